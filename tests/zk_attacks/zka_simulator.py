"""The zero-knowledge simulator of kind-5 proofs (circuits/zk.md, "Simulator"): from the
statement alone (the key, the batch, the input and the output, never the weights, the
activations or the model's blinders) it outputs a proof that the pure-Python verifier
accepts when the verifier's random oracle is the simulator's (`Oracle`, read through
`ProgrammedTranscript`).

The simulator programs the oracle at every challenge: it draws them all uniformly
before it sends anything, as the simulator of an honest-verifier public-coin protocol
does. Then, message by message (zk_inference.md 1.2):

1. every commitment the prover sends (witness rows, LogUp roots, layer rounds and
   evaluations, leaf evals, acc-evals and later messages, the sumcheck's rounds and
   evals, the opening's rounds and `C_e`, the `"zk-products"`) is `Com(v; t) = v G_e + t H`
   with a fresh uniform `t`, so each is a uniform point whatever `v` is; `v` is 0 except
   where step 2 says otherwise;
2. the one linear check needs every form `F_i` to commit to 0. Its entries are public
   linear combinations (coefficients from the challenges, known in advance) of the
   committed values plus public constants (`X_in`, `Y(r_out)`, the tables' MLEs, ...),
   so with every value 0 they do not vanish. The simulator solves the linear system
   `F_i(v) = 0` for the values (any solution: the products' and inverses' values are
   free, since their proofs of product are simulated), and commits to that solution;
3. `tau = sum_i lambda^i t(F_i)`: it knows every blinder;
4. the batched proof of product (sigma.md 7): `V_x`, `V_y` and `T_1` uniform points,
   its responses uniform, its other five first messages solved from its equations at
   the programmed `delta`, `gamma`, `c`;
5. the sigma batch's dot products: for the programmed `c`, each proof's responses are
   uniform and its first messages are solved from its equations (sigma.md 3); the row
   commitments of the model stack are the key's, used only inside these equations.

Pass 1 runs the verifier's own declarations over zero commitments (a backend that mints
a fresh commitment for each product or inverse it asks for) to learn the forms and the
statements; pass 2 re-commits with the solved values and writes the bytes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from unittest import mock

from zka_elements import statement_end

import zkml.verifier.zk.pipeline as zk_pipeline
from zkml.verifier.encoding import enc_fr, enc_g1, enc_u32
from zkml.verifier.field import R
from zkml.verifier.generators import derive_generator, generators
from zkml.verifier.inference_stages import MessagePlan
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.msm import G1Point, _add_many, add, msm
from zkml.verifier.proofs import read_header
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import CommittedBackend
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.opening import verify_opening
from zkml.verifier.zk.pipeline import HidingMessages, run_hiding_checks
from zkml.verifier.zk.products import ProductProof, Triple, product_equations
from zkml.verifier.zk.sigma import G_E_INDEX, H_INDEX, Gens, Statement
from zkml.verifier.zk_inference import _HidingInference, parse_hiding_inference

_MAX_BATCH = 1 << 20


class Oracle:
    """The simulator's random oracle: the `k`-th challenge of a run is the `k`-th draw of
    a seeded generator (uniform in Fr), whatever the transcript absorbed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self.values: list[int] = []
        self.labels: list[str] = []

    def at(self, k: int, label: str) -> int:
        while len(self.values) <= k:
            self.values.append(self._rng.randrange(R))
            self.labels.append(label)
        if self.labels[k] != label:
            raise AssertionError(f"challenge {k}: {label!r}, programmed as {self.labels[k]!r}")
        return self.values[k]


class ProgrammedTranscript(Transcript):
    """A transcript whose challenges come from an `Oracle` (absorbs still run)."""

    def __init__(self, tag: bytes | str, oracle: Oracle) -> None:
        super().__init__(tag)
        self.oracle = oracle
        self.k = 0

    def squeeze(self, label: str) -> int:
        v = self.oracle.at(self.k, label)
        self.k += 1
        return v


def programmed(oracle: Oracle, module: ModuleType = zk_pipeline):
    """Context: the hiding verifier's transcript reads its challenges from `oracle` (the
    verifier itself is unchanged; only the transcript it makes is swapped). `module` is
    the verifier module that makes the transcript (kind 5's pipeline by default; kind 6's
    `zkml.verifier.zk_key`)."""
    return mock.patch.object(module, "Transcript",
                             lambda tag: ProgrammedTranscript(tag, oracle))


class _FixedBase:
    """`k B` for many scalars at once: a table of `d 256^j B` (32 byte positions, 256
    digits), then 32 rounds of batch-affine additions over all scalars together (one
    field inversion per round instead of one MSM per commitment)."""

    _cache: dict = {}

    def __init__(self, base: G1Point) -> None:
        self.rows = []
        cur = base
        for _ in range(32):
            row: list[G1Point] = [None, cur]
            for _ in range(2, 256):
                row.append(add(row[-1], cur))
            self.rows.append(row)
            cur = add(row[255], cur)

    @classmethod
    def of(cls, base: G1Point) -> _FixedBase:
        if base not in cls._cache:
            cls._cache[base] = cls(base)
        return cls._cache[base]

    def mul_many(self, scalars: Sequence[int], acc: list[G1Point] | None = None
                 ) -> list[G1Point]:
        """`[k B for k in scalars]` (added to `acc` when given)."""
        out = list(acc) if acc is not None else [None] * len(scalars)
        for j, row in enumerate(self.rows):
            out = _add_many(out, [row[(k >> (8 * j)) & 255] for k in scalars])
        return out


@dataclass
class Atoms:
    """Every commitment the simulator sends: its value and blinder, by index."""

    g_e: G1Point
    h: G1Point
    rng: random.Random
    v: list[int] = field(default_factory=list)
    t: list[int] = field(default_factory=list)
    points: list[G1Point] = field(default_factory=list)

    def fresh(self) -> int:
        """A new commitment to 0 (its point made by `commit_all`)."""
        self.v.append(0)
        self.t.append(self.rng.randrange(1, R))
        self.points.append(None)
        return len(self.v) - 1

    def commit_one(self, a: int) -> G1Point:
        self.points[a] = _FixedBase.of(self.h).mul_many([self.t[a]])[0]
        return self.points[a]

    def commit_all(self) -> None:
        """Every point `v G_e + t H`."""
        tH = _FixedBase.of(self.h).mul_many(self.t)  # noqa: N806
        self.points = _FixedBase.of(self.g_e).mul_many(self.v, tH)


class _Minting(CommittedBackend):
    """Pass 1's backend: each product or inverse the declarations ask for is a fresh
    commitment (there is no `"zk-products"` message to read yet)."""

    def __init__(self, g_e: G1Point, atoms: Atoms) -> None:
        super().__init__(g_e, [])
        self.atoms = atoms
        self.minted: list[int] = []

    def _take(self, what: str) -> Form:
        a = self.atoms.fresh()
        self.minted.append(a)
        return Form.of(self.atoms.commit_one(a))


def _layout(vk: VerifyingKey, batch: int, atoms: Atoms) -> list:
    """The body after the statement up to `"zk-products"` (zk_inference.md 1.2), as bytes
    and atom indices; every count from the circuit and `B`."""
    lay = vk.circuit.layout(batch)
    plan = MessagePlan.of(vk.circuit, lay)
    out: list = []

    def pts(n: int) -> None:
        out.extend(atoms.fresh() for _ in range(n))

    def vec(n: int) -> None:
        out.append(enc_u32(n))
        pts(n)

    vec(1 << (lay.num_vars - lay.log_cols))
    for d in lay.logup_depths:
        out.append(enc_u32(d))
        pts(4)
        for k in range(1, d):
            pts(2 * k + 4)
    vec(plan.leaf_count)
    for chk in plan.checks:
        vec(chk.acc_count())
        for _, n in chk.messages():
            vec(n)
    if plan.output.c.argmax:
        vec(plan.output.argmax_count())
    pts(3 * plan.sumcheck_vars)
    vec(plan.sumcheck_evals)
    for n in (lay.num_vars, vk.num_vars):
        pts(2 * n + 1)
    return out


def render(items: Sequence, atoms: Atoms) -> bytes:
    """A layout's bytes: its literal bytes and its atoms' current points, in order."""
    return b"".join(i if isinstance(i, bytes) else enc_g1(atoms.points[i]) for i in items)


@dataclass
class Pass1:
    """What pass 1 learns: the linear check's forms, the product triples, the dot-product
    statements, the minted product atoms (kind 5), and the tail's challenges."""

    forms: list[Form]
    triples: list[Triple]
    dots: list[Statement]
    minted: list[int]
    ch: tuple[int, int]
    lam: int
    c: int


def _pass1(vk: VerifyingKey, statement: bytes, body: bytes, atoms: Atoms, oracle: Oracle,
           digest: bytes) -> Pass1:
    """The verifier's declarations over the zero commitments, with the programmed
    challenges: the linear check's forms and the sigma statements."""
    _, rd = read_header(statement + body + enc_u32(0))
    p = parse_hiding_inference(rd, vk, _MAX_BATCH)
    be = _Minting(atoms.g_e, atoms)
    kind = _HidingInference(p, vk, vk.circuit.layout(p.batch), digest, be)
    msgs = HidingMessages(p.c_w, p.logup, p.leaf_evals, p.sumcheck, p.sc_evals, p.opening,
                          (), p.tail)
    with programmed(oracle):
        t = run_hiding_checks(kind, msgs)
    lin, dots = verify_opening(t, p.opening, kind.hiding_stacks(p.c_w))
    ch = (t.squeeze("zk-product-link"), t.squeeze("zk-product-batch")) if be.minted else (0, 0)
    lam = t.squeeze("zk-linear")
    c = t.squeeze("sigma-c")
    t.squeeze("sigma-merge")
    return Pass1([*be.linear, *lin], be.triples, dots, be.minted, ch, lam, c)


def _solve(forms: Sequence[Form], index: dict, g_e: G1Point) -> dict[int, int]:
    """Values of atoms making every form commit to 0 (sparse elimination over Fr, free
    atoms 0). Raises if a form has no committed atom and a non-zero constant."""
    pivots: dict[int, tuple[dict[int, int], int]] = {}  # atom -> (row, rhs), row[atom] = 1
    order: list[int] = []
    for f in forms:
        row: dict[int, int] = {}
        rhs = 0
        for coef, pt in f.terms():
            if pt == g_e:
                rhs = (rhs - coef) % R
            else:
                a = index[pt]  # a KeyError: a form over a point the simulator did not send
                row[a] = (row.get(a, 0) + coef) % R
        for a in order:  # eliminate earlier pivots
            if row.get(a):
                prow, prhs = pivots[a]
                k = row[a]
                for b, cb in prow.items():
                    row[b] = (row.get(b, 0) - k * cb) % R
                rhs = (rhs - k * prhs) % R
        row = {a: c for a, c in row.items() if c}
        if not row:
            if rhs:
                raise AssertionError("a linear check with no committed value fails")
            continue
        a = max(row)  # pivot on the latest atom (a product when there is one)
        inv = pow(row[a], R - 2, R)
        pivots[a] = ({b: c * inv % R for b, c in row.items()}, rhs * inv % R)
        order.append(a)
    values: dict[int, int] = {}
    for a in reversed(order):  # back substitution, free atoms 0
        prow, prhs = pivots[a]
        values[a] = (prhs - sum(c * values.get(b, 0) for b, c in prow.items() if b != a)) % R
    return values


def _products(one: Pass1, pt, gens: Gens, rng: random.Random) -> tuple[bytes, bytes]:
    """The batched proof of product simulated (sigma.md 7): `V_x`, `V_y`, `T_1` uniform
    points, uniform responses, the other first messages solved from the equations (each
    equation with its first message left out is exactly that message). Returns the
    vectors' bytes and the sigma part's."""
    if not one.triples:
        return b"", b""
    m = len(one.triples)
    triples = [Triple(*(Form.of(pt(f)) for f in (tr.x, tr.y, tr.z))) for tr in one.triples]

    def uniform() -> G1Point:
        return msm([gens.g_e, gens.h], [rng.randrange(R), rng.randrange(R)])

    vectors, t_1 = (uniform(), uniform()), uniform()
    z = [rng.randrange(R) for _ in range(2 * m + 5)]
    blank = ProductProof(vectors, (None, None, None, None, t_1, None), tuple(z[:m]),
                         tuple(z[m:2 * m]), tuple(z[2 * m:]))
    s = [msm([p for _, p in e], [k for k, _ in e])
         for e in product_equations(gens, triples, blank, one.ch, one.c)]
    first = (s[0], s[1], s[2], s[3], t_1, s[4])
    return (b"".join(map(enc_g1, vectors)),
            b"".join(map(enc_g1, first)) + b"".join(map(enc_fr, z)))


def _sigma(stmts: Sequence[Statement], c: int, pt, g: Sequence[G1Point], g_e: G1Point,
           h: G1Point, rng: random.Random) -> bytes:
    """Each proof of dot product simulated at challenge `c`: uniform responses, first
    messages solved from its equations (sigma.md 3). `pt(form)` evaluates a form to a
    point."""
    mc = (R - c) % R
    out = []
    for s in stmts:
        if s.kind == "dot_product":
            cx, cy = (pt(f) for f in s.commitments)
            k = len(s.a)
            z = [rng.randrange(R) for _ in range(k + 2)]
            az = sum(a * v for a, v in zip(s.a, z[:k], strict=True)) % R
            first = [msm([*g[:k], h, cx], [*z[:k], z[k], mc]),
                     msm([g_e, h, cy], [az, z[k + 1], mc])]
        else:
            raise AssertionError(f"unexpected sigma statement {s.kind}")
        out.append(b"".join(map(enc_g1, first)) + b"".join(map(enc_fr, z)))
    return b"".join(out)


def finish(one: Pass1, atoms: Atoms, g_e: G1Point, *, cols: int, digest: bytes,
           solve: bool = True) -> bytes:
    """Steps 2 to 5 after pass 1: solve the values (unless `solve` is False), re-commit
    every atom, and return the tail's bytes (`[V_x || V_y] || tau || SigmaBatch`). The
    caller renders its atoms again afterwards (their points change)."""
    old = list(atoms.points)
    index = {p: i for i, p in enumerate(old)}
    if solve:
        for a, v in _solve(one.forms, index, g_e).items():
            atoms.v[a] = v
    atoms.commit_all()
    new = dict(zip(old, atoms.points, strict=True))

    def pt(f: Form) -> G1Point:  # public points (the key's rows) are kept as they are
        terms = f.terms()
        return msm([new.get(p, p) for _, p in terms], [k for k, _ in terms])

    tau = sum(pow(one.lam, i, R) * sum(k * atoms.t[index[p]] for k, p in f.terms() if p != g_e)
              for i, f in enumerate(one.forms)) % R
    gens = generators(digest, cols)
    vectors, prod = _products(one, pt, Gens(tuple(gens), g_e, atoms.h), atoms.rng)
    return vectors + enc_fr(tau) + prod + _sigma(one.dots, one.c, pt, gens, g_e, atoms.h,
                                                 atoms.rng)


def simulate(vk: VerifyingKey, statement: bytes, oracle: Oracle, seed: int,
             *, solve: bool = True) -> bytes:
    """A kind-5 proof of `statement` (the artifact's bytes up to the end of the output:
    header, key digest, batch, visibility word, input, output) for `vk`, accepted by the
    verifier under `programmed(oracle)`. `solve=False` keeps every value 0 (step 2 left
    out: the linear check then fails, which is why step 2 exists)."""
    digest = vk.seed_digest
    g_e, h = derive_generator(digest, G_E_INDEX), derive_generator(digest, H_INDEX)
    atoms = Atoms(g_e, h, random.Random(seed))
    batch = int.from_bytes(statement[39:43], "big")
    items = _layout(vk, batch, atoms)
    atoms.commit_all()
    one = _pass1(vk, statement, render(items, atoms), atoms, oracle, digest)
    sent = finish(one, atoms, g_e, cols=max(1 << vk.circuit.layout(batch).log_cols,
                                            1 << vk.log_cols, len(one.triples)),
                  digest=digest, solve=solve)
    products = enc_u32(len(one.minted)) + b"".join(enc_g1(atoms.points[a]) for a in one.minted)
    return statement + render(items, atoms) + products + sent


def statement_bytes(proof: bytes, vk: VerifyingKey) -> bytes:
    """The statement part of a kind-5 artifact (what the simulator is given)."""
    return proof[:statement_end(vk, proof)]
