"""A small, slow prover of hiding inference proofs (kind 5, circuits/zk_inference.md) for
the verifier's tests only (never imported by zkml/; randomness from a seeded
`random.Random`, fine for tests, never for proofs).

It is built from two test pieces rather than from scratch:

1. the kind-3 reference prover (`reference_inference.prove_inference`) computes the
   witness and every message from the challenges; it runs here with a transcript that
   turns kind 3's schedule into kind 5's (`_HidingTranscript`: the visibility word,
   blinded witness rows, every private message one commitment per value, the batched
   sumcheck's header) and with the hiding LogUp and the committed sumcheck in place of
   the clear ones; the batch opening is left to step 2;
2. the products, the hiding opening and the tail need the verifier's declarations in
   the verifier's order: the prover replays the verifier's checks
   (`run_hiding_checks`) with a backend that commits every product and inverse as the
   declarations ask for them (`_ProvingBackend`), knowing the opening of every point it
   sent; then it proves the opening (zk.md 5.4), computes `tau` from the linear checks'
   forms and proves the sigma batch.

So this prover is not independent of the verifier (the Rust vectors are); it makes
honest proofs and cheating ones (`edit` / `tamper` as the reference prover takes them,
`lie` for a product commitment's value) whose messages are all consistently committed.
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import reference_inference
from reference_logup import _layers, prove_eq_layer
from reference_prover import _round_values
from zk_prover import Opened, ProductBatchProver

from zkml.verifier.encoding import Reader, enc_fr, enc_g1, enc_g1s, enc_u8, enc_u16, enc_u32
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.generators import DEFAULT_SEED, seed_digest
from zkml.verifier.inference_stages import MessagePlan
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.msm import G1Point, msm
from zkml.verifier.sumcheck import SumcheckProof
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import Committed, CommittedBackend
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.opening import verify_opening
from zkml.verifier.zk.pipeline import HidingMessages, run_hiding_checks
from zkml.verifier.zk.products import Triple
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk_inference import _HidingInference, parse_hiding_inference

#: the private messages kind 3 sends as scalars and kind 5 as commitments
PRIVATE = {"logup-leaf-evals", "acc-evals", "window-e", "concat-parts", "rearrange-parts",
           "argmax-evals", "sumcheck-evals"}


@dataclass
class _State:
    """What the run knows: the generators, the opening of every point it sent, the
    body's bytes so far and the captured stacks."""

    gens: Gens
    rng: random.Random
    n_max: int
    row_blinds: list[int] = field(default_factory=list)
    openings: dict = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    stacks: list = field(default_factory=list)
    model_blinds: list[int] | None = None

    def commit(self, v: int) -> G1Point:
        """A fresh `Com(v; t)`, its opening remembered."""
        o = Opened(v % R, self.rng.randrange(R))
        pt = msm([self.gens.g_e, self.gens.h], [o.v, o.t])
        self.openings[pt] = o
        return pt

    def open(self, form: Form) -> Opened:
        """The opening of a form over the points sent (and `G_e`)."""
        acc = Opened(0, 0)
        for c, p in form.terms():
            if p == self.gens.g_e:
                acc = acc + Opened(c, 0)
            else:
                acc = acc + self.openings[p] * c
        return acc


class _HidingTranscript:
    """kind 3's transcript calls, turned into kind 5's (module doc, step 1)."""

    def __init__(self, state: _State) -> None:
        self.s = state
        self.t = Transcript("zkml/inference-zk")

    def absorb_u32(self, label: str, v: int) -> None:
        if label == "version":
            v = 1
        self.t.absorb_u32(label, v)
        if label == "batch":
            self.s.body.append(enc_u32(v) + enc_u32(0))  # B, then the visibility word

    def absorb_bytes(self, label: str, data: bytes) -> None:
        if label == "input":
            self.t.absorb_u32("visibility", 0)
        self.t.absorb_bytes(label, data)
        if label in ("vk", "input", "output"):
            self.s.body.append(data)

    def absorb_points(self, label: str, pts: Sequence[G1Point]) -> None:
        if label == "witness-commitment":
            h = self.s.gens.h
            self.s.row_blinds = [self.s.rng.randrange(R) for _ in pts]
            pts = [msm([p, h], [1, b]) if p is not None else msm([h], [b])
                   for p, b in zip(pts, self.s.row_blinds, strict=True)]
            self.s.body.append(enc_g1s(pts))
        self.t.absorb_points(label, pts)

    def absorb_frs(self, label: str, values: Sequence[int]) -> None:
        if label not in PRIVATE:
            raise AssertionError(f"unexpected clear message {label}")
        pts = [self.s.commit(v) for v in values]
        self.t.absorb_points(label, pts)
        self.s.body.append(enc_g1s(pts))

    def absorb_fr(self, label: str, v: int) -> None:
        if label != "batch-claim":  # kind 5 absorbs no claim: its atoms are absorbed
            raise AssertionError(f"unexpected clear scalar {label}")

    def squeeze(self, label: str) -> int:
        if label == "sumcheck-batch":  # zk.md 5.2: the header, then the batching challenge
            self.t.absorb_u32("zk-sumcheck-vars", self.s.n_max)
            self.t.absorb_u32("zk-sumcheck-degree", 3)
        return self.t.squeeze(label)

    def squeeze_n(self, label: str, n: int) -> list[int]:
        return self.t.squeeze_n(label, n)


def _committed_rounds(s: _State, t: Transcript, tables, terms, n: int, d: int,
                      header: bool) -> tuple[list[list[G1Point]], list[int]]:
    """zk.md 5.2's prover: per round commitments to p(0), p(2..d) (p(1) is implied)."""
    if header:
        t.absorb_u32("zk-sumcheck-vars", n)
        t.absorb_u32("zk-sumcheck-degree", d)
        t.squeeze("sumcheck-batch")
    tabs = [[v % R for v in tab] for tab in tables]
    rounds, point = [], []
    for _ in range(n):
        e = _round_values(tabs, terms, d)
        pts = [s.commit(e[0]), *(s.commit(v) for v in e[2:])]
        t.absorb_points("zk-sumcheck-round", pts)
        c = t.squeeze("sumcheck-challenge")
        rounds.append(pts)
        point.append(c)
        tabs = [[(lo + c * (hi - lo)) % R for lo, hi in zip(tab[0::2], tab[1::2], strict=True)]
                for tab in tabs]
    return rounds, point


def _committed_eq_rounds(s: _State, t: Transcript, r: list[int], tabs, lam: int
                         ) -> tuple[list[list[G1Point]], list[int]]:
    """zk.md 5.2's eq-factored prover: per round commitments to g(0), g(2) (g(1)'s
    form is derived by the verifier from the running claim)."""
    t.absorb_u32("zk-eq-sumcheck-vars", len(r))
    t.absorb_u32("zk-eq-sumcheck-degree", 2)
    rounds: list[list[G1Point]] = []

    def send(g: list[int]) -> int:
        pts = [s.commit(g[0]), s.commit(g[2])]
        t.absorb_points("zk-eq-sumcheck-round", pts)
        rounds.append(pts)
        return t.squeeze("sumcheck-challenge")

    return rounds, prove_eq_layer(send, r, tabs, lam)


def _hiding_logup(s: _State, t: Transcript, trees) -> tuple[bytes, list[list[int]]]:
    """zk.md 5.6's prover over the reference trees (every root first, then the layers)."""
    all_layers = [_layers(p, q) for p, q in trees]
    roots = []
    for layers in all_layers:
        p1, q1 = layers[1]
        pts = [s.commit(v) for v in (p1[0], p1[1], q1[0], q1[1])]
        t.absorb_points("logup-root", pts)
        roots.append(pts)
    out, points = [], []
    for layers, root in zip(all_layers, roots, strict=True):
        depth = max(layers)
        out.append(enc_u32(depth) + b"".join(enc_g1(p) for p in root))
        mu = t.squeeze("logup-mu")
        r = [mu]
        for k in range(1, depth):
            lam = t.squeeze("logup-lambda")
            pch, qch = layers[k + 1]
            p0, p1_, q0, q1_ = pch[0::2], pch[1::2], qch[0::2], qch[1::2]
            rounds, sp = _committed_eq_rounds(s, t, r, [p0, p1_, q0, q1_], lam)
            evals = [s.commit(mle_eval(tab, sp)) for tab in (p0, p1_, q0, q1_)]
            t.absorb_points("logup-layer-evals", evals)
            out.append(b"".join(enc_g1(p) for rd in rounds for p in rd))
            out.append(b"".join(enc_g1(p) for p in evals))
            mu = t.squeeze("logup-mu")
            r = [mu, *sp]
        points.append(r)
    return b"".join(out), points


class _ProvingBackend(CommittedBackend):
    """The verifier's CommittedBackend on the prover's side: a product or an inverse is
    committed when the declarations ask for it (`lie`: a product's index -> the value to
    commit instead), its witness kept for the proof of product."""

    def __init__(self, s: _State, lie: dict[int, int] | None = None) -> None:
        super().__init__(s.gens.g_e, [])
        self.s, self.lie = s, lie or {}
        self.points: list[G1Point] = []
        self.witnesses: list[tuple[Opened, Opened, Opened]] = []

    def _new(self, v: int) -> G1Point:
        pt = self.s.commit(self.lie.get(len(self.points), v))
        self.points.append(pt)
        return pt

    def product(self, a: Committed, b: Committed) -> Committed:
        oa, ob = self.s.open(a.form), self.s.open(b.form)
        z = self._new(oa.v * ob.v)
        self.triples.append(Triple(a.form, b.form, Form.of(z)))
        self.witnesses.append((oa, ob, self.s.openings[z]))
        return Committed(Form.of(z), self.g_e)

    def assert_nonzero(self, value, check) -> None:
        ov = self.s.open(value.form)
        inv = self._new(pow(ov.v, -1, R) if ov.v else 0)
        self.triples.append(Triple(value.form, Form.of(inv), Form({self.g_e: 1})))
        self.witnesses.append((ov, self.s.openings[inv], Opened(1, 0)))

    def finish(self) -> None:
        """Every product is the prover's own."""


def _prove_opening(s: _State, t: Transcript, stacks, blinds) -> tuple[bytes, list]:
    """zk.md 5.4's prover: per stack the committed claim-batching sumcheck and `C_e`; the
    dot products' witnesses (x, t_x, opening of C_e, a)."""
    for st in stacks:
        t.absorb_u32("claims", len(st.claims))
        for z, _ in st.claims:
            t.absorb_frs("claim-point", z)
    alphas = [t.squeeze("batch-alpha") for _ in stacks]
    out, dots = [], []
    for st, alpha, (table, rho) in zip(stacks, alphas, blinds, strict=True):
        e_tab = [0] * (1 << st.num_vars)
        a_k = 1
        for z, _ in st.claims:
            for i, q in enumerate(eq_table(z)):
                e_tab[i] = (e_tab[i] + a_k * q) % R
            a_k = a_k * alpha % R
        rounds, r = _committed_rounds(s, t, [table, e_tab], [(1, [0, 1])], st.num_vars, 2,
                                      header=True)
        y = mle_eval(table, r)
        c_e = s.commit(y)
        t.absorb_points("zk-stack-eval", [c_e])
        out.append(b"".join(enc_g1(p) for rd in rounds for p in rd) + enc_g1(c_e))
        cols = 1 << st.log_cols
        e_hi, e_lo = eq_table(r[st.log_cols:]), eq_table(r[:st.log_cols])
        x = [sum(e_hi[i] * table[i * cols + j] for i in range(len(e_hi))) % R
             for j in range(cols)]
        t_x = sum(e * b for e, b in zip(e_hi, rho, strict=True)) % R
        dots.append((x, t_x, s.openings[c_e], e_lo))
    return b"".join(out), dots


def _sigma_batch(s: _State, t: Transcript, products: ProductBatchProver | None,
                 dots) -> bytes:
    """sigma.md 4, 7: the batched proof of product, then the proofs of dot product; one
    challenge."""
    g, ge, h, rng = s.gens.g, s.gens.g_e, s.gens.h, s.rng
    firsts: list = [products.first()] if products else []
    nonces: list = []
    for x, _, _, a in dots:
        d = [rng.randrange(R) for _ in x]
        r_d, r_b = rng.randrange(R), rng.randrange(R)
        ad = sum(ai * di for ai, di in zip(a, d, strict=True)) % R
        firsts.append((msm([*g[:len(d)], h], [*d, r_d]), msm([ge, h], [ad, r_b])))
        nonces.append((d, r_d, r_b))
    t.absorb_points("sigma-first", [p for f in firsts for p in f])
    c = t.squeeze("sigma-c")
    responses = [products.respond(c)] if products else []
    for (x, t_x, y, _), (d, r_d, r_b) in zip(dots, nonces, strict=True):
        responses.append([*(di + c * xi for di, xi in zip(d, x, strict=True)),
                          r_d + c * t_x, r_b + c * y.t])
    responses = [[v % R for v in rs] for rs in responses]
    t.absorb_frs("sigma-responses", [v for rs in responses for v in rs])
    t.squeeze("sigma-merge")
    out = []
    for f, rs in zip(firsts, responses, strict=True):
        out.append(b"".join(enc_g1(p) for p in f) + b"".join(enc_fr(v) for v in rs))
    return b"".join(out)


def prove_hiding(doc: dict, tensors: dict, stack_table: list[int], x_rows: list[list[int]],
                 vk_bytes: bytes, *, seed: bytes = DEFAULT_SEED, rng_seed: int = 0,
                 lie: dict[int, int] | None = None, model_blinds: list[int] | None = None,
                 check_honest: bool = False, failed: list[str] | None = None, **kw) -> bytes:
    """A kind-5 artifact for the reference model (honest unless `kw` (the reference
    prover's `edit`, `tamper`) or `lie` say otherwise). `model_blinds`: the row blinders
    of a key whose model commitment is blinded. `check_honest` asserts that every
    linear check commits to zero (a debugging aid for honest runs); `failed`, if given,
    receives the ids of the linear checks that do not (what a cheat breaks)."""
    digest = seed_digest(seed)
    vk = VerifyingKey.from_bytes(vk_bytes, seed=seed, trusted_digest=_sha(vk_bytes))
    batch = len(x_rows)
    lay = vk.circuit.layout(batch)
    plan = MessagePlan.of(vk.circuit, lay)
    n_cols = max(1 << lay.log_cols, 1 << vk.log_cols)
    s = _State(Gens.of(digest, n_cols), random.Random(rng_seed), plan.sumcheck_vars)
    s.model_blinds = model_blinds
    _run_reference(s, doc, tensors, stack_table, x_rows, vk_bytes, seed, kw)

    # step 2: replay the verifier's checks with the proving backend
    prefix = b"".join(s.body)
    dummy = b"\0" * (64 * sum(2 * n + 1 for n in (lay.num_vars, vk.num_vars))) + enc_u32(0)
    p = parse_hiding_inference(Reader(prefix + dummy), vk, 1 << 20)
    backend = _ProvingBackend(s, lie)
    kind = _HidingInference(p, vk, lay, digest, backend)
    msgs = HidingMessages(p.c_w, p.logup, p.leaf_evals, p.sumcheck, p.sc_evals, p.opening,
                          (), p.tail)
    t = run_hiding_checks(kind, msgs)
    stacks = kind.hiding_stacks(p.c_w)
    wtab, mtab = (st.table for st in s.stacks)
    blinds = [(wtab, s.row_blinds), (mtab, model_blinds or [0] * len(vk.commitment))]
    t_open = copy.copy(t)
    opening, dots = _prove_opening(s, t, stacks, blinds)
    opening_linear, _ = verify_opening(t_open, Reader(opening), stacks)
    t.absorb_points("zk-products", backend.points)
    m = len(backend.witnesses)
    pgens = Gens.of(digest, max(n_cols, m))
    products = ProductBatchProver(pgens, backend.witnesses, s.rng) if m else None
    vectors = products.commit(t) if products else []
    forms = [*backend.linear, *opening_linear]
    ids = [*backend.linear_ids, *(["opening"] * len(opening_linear))]
    lam = t.squeeze("zk-linear")
    tau = 0
    for i, f in enumerate(forms):
        o = s.open(f)
        if check_honest and o.v:
            raise AssertionError(f"linear check {i} ({ids[i]}) does not hold")
        if failed is not None and o.v:
            failed.append(ids[i])
        tau = (tau + pow(lam, i, R) * o.t) % R
    t.absorb_fr("zk-linear-blinder", tau)
    sigma = _sigma_batch(s, t, products, dots)
    body = (prefix + opening + enc_g1s(backend.points) + b"".join(map(enc_g1, vectors))
            + enc_fr(tau) + sigma)
    return b"ZKML" + enc_u16(1) + enc_u8(5) + body


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _run_reference(s: _State, doc, tensors, stack_table, x_rows, vk_bytes, seed, kw) -> None:
    """Step 1: the reference prover with kind 5's transcript and sub-provers."""
    mod = reference_inference
    saved = {k: getattr(mod, k) for k in ("Transcript", "prove_logup_trees", "prove_sumcheck",
                                          "prove_batch_open")}

    def transcript(tag: str) -> _HidingTranscript:
        return _HidingTranscript(s)

    def logup(t: _HidingTranscript, trees) -> tuple[bytes, list[list[int]]]:
        data, points = _hiding_logup(s, t.t, trees)
        s.body.append(data)
        return data, points

    def sumcheck(t: _HidingTranscript, tables, terms, n, d, claim):
        rounds, point = _committed_rounds(s, t.t, tables, terms, n, d, header=False)
        s.body.append(b"".join(enc_g1(p) for rd in rounds for p in rd))
        return SumcheckProof(n, d, tuple((0,) * (d + 1) for _ in range(n))), point

    def batch_open(t: _HidingTranscript, stacks) -> bytes:
        s.stacks = list(stacks)
        return b""

    mod.Transcript, mod.prove_logup_trees = transcript, logup
    mod.prove_sumcheck, mod.prove_batch_open = sumcheck, batch_open
    try:
        mod.prove_inference(doc, tensors, stack_table, x_rows, vk_bytes, seed=seed, **kw)
    finally:
        for k, v in saved.items():
            setattr(mod, k, v)

