"""Inference proofs (kind 3): inference.md sections 4, 4b and 5 (keys: model_key.py);
the conv and pooling gadgets of conv.md are checked by conv.py, pool.py and window.py
(general windows, section 5), the shaped public input's MLE by spatial.py, the spatial
sums and function tables of nonlinear.md by nonlinear.py (divisors here, in R1), rowmax,
rowdiv and the row-broadcast add (grouped rows, nonlinear.md 6, 7, 12) by rows.py; a mul
(nonlinear.md 8) is one dense instance `sum_v eq(r_g, v) X(v) Y(v) = acc(r_g)` here;
addconst and concat (nonlinear.md 10-11) by nonlinear.py (a concat's parts `E_1..E_K` are
read right after its acc-evals, one dense-group instance per part); a rearrange
(rearrange.md) likewise, its selection by rearrange.py. Limbs: `limb_bits` (nonlinear.md 5).

A kind-3 proof can only be parsed against its verifying key (every vector length is
fixed by the circuit and the batch size), so `InferenceVerifier` binds one key and
verifies many proofs for it, from any number of threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.argmax import check_argmax_d, masked_weight, output_mask, select_weight
from zkml.verifier.circuit import Circuit, Gadget, Layout, log2_ceil, slot_bits
from zkml.verifier.conv import conv_acc_claim, conv_instance_value
from zkml.verifier.encoding import G1Point, Reader, int_width
from zkml.verifier.field import R, eq_eval, eq_table
from zkml.verifier.generators import DEFAULT_SEED, GeneratorSource, generators, seed_digest
from zkml.verifier.hyrax import Stack, StackOpening, batch_open_verify
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.layout import check_lookup_trees, limbs_value
from zkml.verifier.logup import LogupProof, logup_verify_trees, parse_logup_trees
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.nonlinear import (
    check_addconst,
    check_concat_parts,
    check_table_leaves,
    concat_instance_value,
    spatialsum_instance_value,
    table_leaf_count,
)
from zkml.verifier.pool import check_maxpool, check_sumpool, maxpool_zerocheck_value
from zkml.verifier.proofs import (
    KIND_INFERENCE,
    KIND_NAMES,
    KIND_VERSIONS,
    Statement,
    read_header,
)
from zkml.verifier.rearrange import check_rearrange_parts, rearrange_instance_value
from zkml.verifier.rows import (
    check_rowdiv,
    check_rowmax,
    row_vars,
    rowdiv_instance_value,
    rowmax_instance_value,
)
from zkml.verifier.spatial import input_mle
from zkml.verifier.sumcheck import SumcheckProof, batched_sumcheck_verify, parse_sumcheck_proof
from zkml.verifier.transcript import Transcript
from zkml.verifier.window import (
    check_winmax_acc,
    winmax_a_value,
    winmax_b_value,
    winmax_claim_a,
    winmax_zerocheck_value,
    winsum_instance_value,
)

__all__ = ["VerifyingKey", "InferenceStatement", "InferenceVerifier", "to_signed"]

_HALF_R = R // 2


def to_signed(v: int) -> int:
    """The signed integer an Fr element stands for (conventions.md: v mod r)."""
    return v - R if v > _HALF_R else v


@dataclass(frozen=True)
class InferenceStatement(Statement):
    """Kind 3: the committed model maps `input` to `output` (B rows of signed ints each).

    With an ArgMax output (`argmax` true) each output row is the one index `(k_b,)`, the
    first maximum of the output gadget's row, and `output_frac_bits` is 0.
    """

    vk_digest: bytes
    batch: int
    input: tuple[tuple[int, ...], ...]
    output: tuple[tuple[int, ...], ...]
    input_frac_bits: int
    output_frac_bits: int
    argmax: bool = False


@dataclass(frozen=True)
class _Kind3:
    batch: int
    x: list[int]
    x_bytes: bytes
    y: list[int]
    y_bytes: bytes
    c_w: tuple[G1Point, ...]
    logup: tuple[LogupProof, ...]
    leaf_evals: list[int]
    acc_evals: list[list[int]]
    #: conv.md 5: a winmax gadget's E_g (sent right after its acc-evals)
    window_e: dict[int, int]
    #: nonlinear.md 11, rearrange.md 3: a concat or rearrange gadget's E_1..E_K (sent
    #: right after its acc-evals)
    concat_e: dict[int, list[int]]
    argmax_evals: list[int]
    sumcheck: SumcheckProof
    sc_evals: list[int]
    openings: list[StackOpening]


# (kind, gadget index, number of variables): the batched sumcheck's instances in order;
# a concat's part k is the kind "concat.k" (nonlinear.md 11), a rearrange's "rearrange.k"
_Instance = tuple[str, int, int]
_CONCAT = "concat."
_REARRANGE = "rearrange."
_PARTED = ("concat", "rearrange")


def _concat_part(kind: str) -> int:
    return int(kind.rpartition(".")[2])


def _instances(c: Circuit, lay: Layout) -> list[_Instance]:
    out: list[_Instance] = []
    for g in c.gadgets:  # (1) dense, conv, spatialsum, winsum, winmax (a), (b), mul in order
        if g.op == "winsum" and g.window is not None:
            out.append(("winsum", g.index, g.window.in_vars))
        elif g.op == "winmax" and g.window is not None:
            out.append(("winmax_a", g.index, g.window.out_vars))
            out.append(("winmax_b", g.index, g.window.in_vars))
        elif g.op == "dense":
            out.append(("dense", g.index, log2_ceil(c.width_of(g.x))))
        elif g.op == "conv" and g.conv is not None:
            out.append(("conv", g.index, g.conv.num_vars))
        elif g.op == "spatialsum":
            out.append(("spatialsum", g.index, g.sum_vars))
        elif g.op == "mul":  # nonlinear.md 8: over all the gadget's variables
            out.append(("mul", g.index, lay.log_batch + g.log_features))
        elif g.op == "concat":  # nonlinear.md 11: per part, over log2 pad(C_k) variables
            out.extend((f"{_CONCAT}{k}", g.index, log2_ceil(shape[0]))
                       for k, shape in enumerate(g.part_shapes))
        elif g.op == "rearrange" and g.rearrange is not None:  # over log2 pad(width_k)
            out.extend((f"{_REARRANGE}{k}", g.index, g.rearrange.part_vars(k))
                       for k in range(len(g.parts)))
    for g in c.gadgets:  # (2) zerocheck group, in gadget order
        nv_g = lay.log_batch + g.log_features
        if g.op == "rowmax":  # nonlinear.md 7: over x's variables
            out.append(("rowmax", g.index, lay.log_batch + log2_ceil(c.width_of(g.x))))
        elif g.op == "rowdiv":  # its instance carries the clamp terms (R3) too
            out.append(("rowdiv", g.index, nv_g))
        elif g.has_zerocheck:
            out.append(("zerocheck", g.index, nv_g))
    nv = lay.log_batch + log2_ceil(c.output_features)
    kinds = ("select", "masked") if c.argmax else ("output",)
    out.extend((k, c.output_gadget, nv) for k in kinds)
    return out


def _acc_count(c: Circuit, g: Gadget) -> int:
    n = len(g.own)
    if g.op in ("spatialsum", "table", "winsum", "winmax", "mul", *_PARTED):  # own only
        return n
    if g.op == "addconst":  # own columns, x's u limbs, then C(r_f)
        return n + len(c.u_of(g.x)) + 1
    if g.op == "rowmax":  # own u limbs at r_b, then S at the centre
        return n + 1
    if g.op == "rowdiv":  # own columns (R, Rc included), then y's u limbs at r_b
        return n + len(c.u_of(g.y))
    if g.op in ("dense", "conv"):
        return n + (g.bias is not None)
    if g.op in ("sumpool", "maxpool") and g.pool is not None:
        return n + g.pool.windows * len(c.u_of(g.x))
    if g.op == "add":
        return n + len(c.u_of(g.x)) + len(c.u_of(g.y))
    if g.op == "affine":
        return n + sum(len(c.u_of(x)) for x, _ in g.terms)
    return n + len(c.u_of(g.x))


def _sc_count(c: Circuit, inst: _Instance) -> int:
    kind, gi, _ = inst
    g = c.gadgets[gi]
    if kind in ("dense", "conv"):
        return len(c.u_of(g.x)) + 1
    if kind in ("spatialsum", "winsum", "winmax_b"):
        return len(c.u_of(g.x))
    if kind == "winmax_a":
        return len(g.u) + len(g.v)
    if kind.startswith((_CONCAT, _REARRANGE)):  # part k's u limbs (none for the input)
        return len(c.u_of(g.parts[_concat_part(kind)]))
    if kind == "mul":  # x's u limbs, then y's u limbs (none for the input)
        return len(c.u_of(g.x)) + len(c.u_of(g.y))
    if kind == "rowmax":
        return len(c.u_of(g.x)) + len(g.u) + len(g.row_d) + len(g.row_s)
    if kind == "rowdiv":
        return (len(c.u_of(g.x)) + len(c.u_of(g.y)) + len(g.u) + len(g.ep) + len(g.em)
                + len(g.div_r))
    if kind == "zerocheck" and g.op == "winmax":  # S_t, D_t limbs, then u (and v)
        return len(g.pool_s) + sum(len(d) for d in g.pool_d) + len(g.u) + len(g.v)
    if kind == "zerocheck" and g.op == "maxpool":
        return len(g.pool_s) + sum(len(d) for d in g.pool_d)
    if kind == "zerocheck":
        return len(g.u) + len(g.ep) + len(g.em)
    return len(g.u)


def _read_ints(rd: Reader, what: str, count: int, lo: int, hi: int, bad: str):
    """`Ints` whose width the range [lo, hi] fixes; values outside it are rejected."""
    vals, raw = rd.ints(what, int_width(lo, hi), expected=count)
    if vals and (min(vals) < lo or max(vals) > hi):
        raise VerificationError(bad)
    return vals, raw


def _parse_kind3(rd: Reader, vk: VerifyingKey, max_batch: int) -> _Kind3:
    c = vk.circuit
    if rd.raw(32, "vk digest") != vk.digest:
        raise VerificationError("proof is for another model (vk digest differs from the key's)")
    batch = rd.u32("batch size")
    if not 1 <= batch <= max_batch:
        raise ProofFormatError(f"batch size {batch} out of range 1..{max_batch}")
    lay = c.layout(batch)
    half = 1 << (c.input_bits - 1)
    x, x_raw = _read_ints(rd, "input", batch * c.input_features, -half, half - 1,
                          f"input value outside the {c.input_bits}-bit input range")
    n_out = c.output_features
    if c.argmax:
        y, y_raw = _read_ints(rd, "output", batch, 0, n_out - 1,
                              f"output index outside [0, {n_out})")
    else:
        g = c.gadgets[c.output_gadget]
        y, y_raw = _read_ints(rd, "output", batch * n_out, g.lo, g.hi,
                              f"output value outside [{g.lo}, {g.hi}]")
    c_w = rd.g1_vec("witness commitment", expected=1 << (lay.num_vars - lay.log_cols))
    logup = parse_logup_trees(rd, lay.logup_depths)
    n_leaf = len(c.columns) + 1 + sum(table_leaf_count(c, g) for g in c.tables)
    leaf = rd.fr_vec("logup-leaf-evals", expected=n_leaf)
    acc, window_e, concat_e = [], {}, {}
    for g in c.gadgets:
        acc.append(rd.fr_vec(f"gadget {g.index} acc-evals", expected=_acc_count(c, g)))
        if g.op == "winmax":  # conv.md 5: E_g, a Vec<Fr> of length 1
            window_e[g.index] = rd.fr_vec(f"gadget {g.index} window-e", expected=1)[0]
        elif g.op in _PARTED:  # E_1..E_K, a Vec<Fr> of length K
            concat_e[g.index] = rd.fr_vec(f"gadget {g.index} {g.op}-parts",
                                          expected=len(g.parts))
    am = rd.fr_vec("argmax-evals", expected=len(c.d) + 2) if c.argmax else []
    insts = _instances(c, lay)
    sc = parse_sumcheck_proof(rd, max(n for _, _, n in insts), 3, "inference sumcheck")
    sc_evals = rd.fr_vec("sumcheck-evals", expected=sum(_sc_count(c, i) for i in insts))
    shapes = [(lay.num_vars, lay.log_cols), (vk.num_vars, vk.log_cols)]
    openings = parse_openings(rd, shapes)
    rd.finish()
    return _Kind3(batch, x, x_raw, y, y_raw, tuple(c_w), logup, leaf, acc, window_e, concat_e,
                  am, sc, sc_evals, openings)


def _public_mle(vals: Sequence[int], rows: int, cols: int, point: Sequence[int]) -> int:
    """MLE at `point` of the rows x cols matrix `vals` zero-padded to powers of two."""
    lc = log2_ceil(cols)
    ef = eq_table(point[:lc])
    eb = eq_table(point[lc:])
    total = 0
    for b in range(rows):
        row = vals[b * cols : (b + 1) * cols]
        total += eb[b] * (sum(v * e for v, e in zip(row, ef, strict=False)) % R)
    return total % R


class _Run:
    """The state of one verification: the transcript, the claims and their values."""

    def __init__(self, c: Circuit, lay: Layout, p: _Kind3) -> None:
        self.c, self.lay, self.p = c, lay, p
        self.limb_bits = c.limb_bits
        self.wclaims: list[tuple[tuple[int, ...], int]] = []
        #: model claims in the order sent: tables (leaf evals), biases, weights
        self.table_claims: list[tuple[tuple[int, ...], int]] = []
        self.bias_claims: list[tuple[tuple[int, ...], int]] = []
        self.w_claims: list[tuple[tuple[int, ...], int]] = []

    def take(self, cols, vals, z) -> list[int]:
        """Record claims column(z) = value for the next len(cols) values of `vals`."""
        out = []
        for col in cols:
            v = next(vals)
            self.wclaims.append((self.lay.column_point(col.index, z), v))
            out.append(v)
        return out

    def limbs(self, vals: Sequence[int]) -> int:
        """sum_j 2^(L j) vals[j] mod r (L = the circuit's limb_bits)."""
        return limbs_value(vals, self.limb_bits)

    def model_claim(self, dest: list, name: str, z: list[int], v: int) -> None:
        ms = self.c.model
        t = ms.tensors[name]
        dest.append(((*z, *slot_bits(t.offset, t.log_size, ms.num_vars)), v))

    def value(self, ref: int | None, vals, z: list[int]) -> int:
        """A tensor's value at `z`: from its u limbs (claims) or the public input's MLE."""
        if ref is None:
            c = self.c
            return input_mle(self.p.x, self.p.batch, c.input_features, c.input_shape, z)
        g = self.c.gadgets[ref]
        return (g.lo + self.limbs(self.take(g.u, vals, z))) % R


def _check_leaves(run: _Run, trees, alpha: int, beta: int) -> None:
    lay, leaf = run.lay, run.p.leaf_evals
    rho, rho_t = trees[0][0], trees[1][0]
    nc = len(run.c.columns)
    for col, v in zip(run.c.columns, leaf[:nc], strict=True):
        run.wclaims.append((lay.column_point(col.index, rho[: lay.col_vars[col.index]]), v))
    run.wclaims.append((lay.m_point(rho_t), leaf[nc]))
    check_lookup_trees(trees[:2], lay.leaf_slots, lay.leaf_vars, alpha, leaf[:nc], leaf[nc])
    check_table_leaves(run, trees, alpha, beta, iter(leaf[nc + 1 :]))


def _acc_value(g: Gadget, cv: dict[str, int]) -> int:
    """acc from z, e+, e-, rem (relation R1; nonlinear.md 1 for a divisor d > 1)."""
    q = cv["z"] + cv["ep"] - cv["em"]
    if g.divisor > 1:
        return (g.divisor * q + cv["rem"] - g.divisor // 2) % R
    if g.shift == 0:
        return q % R
    return ((q << g.shift) + cv["rem"] - (1 << (g.shift - 1))) % R


def _gadget_values(run: _Run, g: Gadget, vals, z: list[int]) -> dict[str, int]:
    """The gadget's own columns at `z` in column order (a rowmax's D and S excepted)."""
    cv: dict = {k: run.limbs(run.take(getattr(g, k), vals, z))
                for k in ("u", "v", "rem", "remc", "ep", "em")}
    cv["z"] = (g.lo + cv["u"]) % R
    cv["D"] = [run.take(d, vals, z) for d in g.pool_d]
    cv["S"] = run.take(g.pool_s, vals, z)
    cv["R"] = run.limbs(run.take(g.div_r, vals, z))
    cv["Rc"] = run.limbs(run.take(g.div_rc, vals, z))
    return cv


def _check_acc(run: _Run, g: Gadget, r: list[int], claims: dict[int, int]) -> dict:
    """Check gadget g's acc-evals at its point `r`; returns its own columns' values."""
    vals = iter(run.p.acc_evals[g.index])
    cv = _gadget_values(run, g, vals, r)
    if g.v and (cv["z"] + cv["v"] - g.hi) % R != 0:
        raise VerificationError(f"gadget {g.index}: z + v != hi at the acc point")
    if g.divisor > 1 and (cv["rem"] + cv["remc"] - (g.divisor - 1)) % R:
        raise VerificationError(f"gadget {g.index}: rem + remc != d - 1 (divisor "
                                f"{g.divisor}) at the acc point")
    acc = _acc_value(g, cv)
    r_o = r[: g.log_features]
    if g.op == "conv":
        claims[g.index] = conv_acc_claim(run, g, r, vals, acc)
    elif g.op == "sumpool":
        check_sumpool(run, g, r, vals, acc)
    elif g.op == "maxpool":
        check_maxpool(run, g, r, vals, cv["D"], cv["S"], cv["z"])
    elif g.op == "winmax":
        check_winmax_acc(g, r, cv["S"])  # instance (a)'s claim needs gamma_g (after this)
    elif g.op in ("spatialsum", "winsum", "mul", *_PARTED):
        claims[g.index] = acc  # a concat's (rearrange's): acc(r_g), its parts' sum
    elif g.op == "addconst":
        check_addconst(run, g, r, vals, acc)
    elif g.op == "table":
        pass  # no producer relation at the acc point: its relation is the pair lookup
    elif g.op == "rowmax":
        check_rowmax(run, g, r, vals)
    elif g.op == "rowdiv":
        check_rowdiv(run, g, r, vals, cv)
    elif g.op == "dense":
        if g.bias is not None:
            b = next(vals)
            run.model_claim(run.bias_claims, g.bias, r_o, b)
            acc -= b << g.bias_shift
        claims[g.index] = acc % R
    elif g.op == "add":
        xv = run.value(g.x, vals, r)
        # nonlinear.md 6, 12: y's row values broadcast along i, y at (r_grp, r_b)
        yv = run.value(g.y, vals, r[row_vars(run, g) :])
        (sa, sb), (la, lb) = g.signs, g.lshifts
        if (acc - sa * (xv << la) - sb * (yv << lb)) % R != 0:
            raise VerificationError(f"gadget {g.index}: add accumulator mismatch")
    elif g.op == "affine":
        total = sum(ck * run.value(xk, vals, r) for xk, ck in g.terms)
        if (acc - total) % R != 0:
            raise VerificationError(f"gadget {g.index}: affine accumulator mismatch")
    elif (acc - run.value(g.x, vals, r)) % R != 0:
        raise VerificationError(f"gadget {g.index}: identity accumulator mismatch")
    return cv


def _verify_kind3(
    p: _Kind3, vk: VerifyingKey, lay: Layout, digest: bytes, gens
) -> InferenceStatement:
    c = vk.circuit
    B = p.batch  # noqa: N806
    t = Transcript("zkml/inference")
    t.absorb_u32("version", KIND_VERSIONS[KIND_INFERENCE])
    t.absorb_bytes("generators", digest)
    t.absorb_bytes("vk", vk.digest)
    t.absorb_u32("batch", B)
    t.absorb_bytes("input", p.x_bytes)
    t.absorb_bytes("output", p.y_bytes)
    t.absorb_points("witness-commitment", p.c_w)

    run = _Run(c, lay, p)
    alpha = t.squeeze("logup-alpha")
    beta = t.squeeze("logup-beta")  # nonlinear.md 3: in every proof
    trees = logup_verify_trees(t, lay.logup_depths, p.logup, groups=lay.logup_groups)
    t.absorb_frs("logup-leaf-evals", p.leaf_evals)
    _check_leaves(run, trees, alpha, beta)

    points = [t.squeeze_n("acc-point", lay.log_batch + g.log_features) for g in c.gadgets]
    dense_claims: dict[int, int] = {}
    gammas: dict[int, int] = {}
    for g in c.gadgets:
        t.absorb_frs("acc-evals", p.acc_evals[g.index])
        cv = _check_acc(run, g, points[g.index], dense_claims)
        if g.op == "winmax":  # conv.md 5: gamma_g, then the prover's E_g
            gammas[g.index] = t.squeeze("window-gamma")
            e = p.window_e[g.index]
            t.absorb_frs("window-e", [e])
            dense_claims[g.index] = winmax_claim_a(run, cv["D"], gammas[g.index], e)
        elif g.op == "concat":  # nonlinear.md 11: the parts E_1..E_K, summing to acc(r_g)
            parts = p.concat_e[g.index]
            t.absorb_frs("concat-parts", parts)
            check_concat_parts(g, dense_claims[g.index], parts)
        elif g.op == "rearrange":  # rearrange.md 3: where a concat's parts would be
            parts = p.concat_e[g.index]
            t.absorb_frs("rearrange-parts", parts)
            check_rearrange_parts(g, dense_claims[g.index], parts)

    zc: dict[int, tuple[list[int], int]] = {}
    for g in c.gadgets:
        if g.has_zerocheck:  # a rowmax's tau_g has x's length (nonlinear.md 7)
            fv = log2_ceil(c.width_of(g.x)) if g.op == "rowmax" else g.log_features
            tau = t.squeeze_n("zerocheck-tau", lay.log_batch + fv)
            zc[g.index] = (tau, t.squeeze("zerocheck-beta"))
    n_out, fv = c.output_features, log2_ceil(c.output_features)
    if c.argmax:
        r_out = t.squeeze_n("argmax-point", lay.log_batch + fv)
        t.absorb_frs("argmax-evals", p.argmax_evals)
        am = iter(p.argmax_evals)
        d = run.limbs(run.take(c.d, am, r_out))
        a, cm = next(am), next(am)
        check_argmax_d(r_out, fv, n_out, p.y, d, a, cm, c.argmax_last)
        out_claims = {"select": a, "masked": cm}
    else:
        r_out = t.squeeze_n("output-point", lay.log_batch + fv)
        out_claims = {"output": _public_mle(p.y, B, n_out, r_out)}

    insts = _instances(c, lay)
    claims = []
    for kind, gi, _ in insts:
        if kind in ("dense", "conv", "spatialsum", "winsum", "winmax_a", "mul"):
            claims.append(dense_claims[gi])
        elif kind == "winmax_b":
            claims.append(p.window_e[gi])
        elif kind.startswith((_CONCAT, _REARRANGE)):
            claims.append(p.concat_e[gi][_concat_part(kind)])
        elif kind in ("zerocheck", "rowmax", "rowdiv"):
            claims.append(0)
        else:
            claims.append(out_claims[kind])
    res = batched_sumcheck_verify(
        t, claims, [n for _, _, n in insts], [3] * len(insts), p.sumcheck, "inference sumcheck"
    )
    t.absorb_frs("sumcheck-evals", p.sc_evals)

    vals = iter(p.sc_evals)
    values = []
    e_out: dict[int, list[int]] = {}  # a rearrange's eq_table(r_o), shared by its parts
    for (kind, gi, _), s in zip(insts, res.points, strict=True):
        g = c.gadgets[gi]
        if kind == "dense":
            r_g = points[gi]
            r_o, r_b = r_g[: g.log_features], r_g[g.log_features :]
            xv = run.value(g.x, vals, [*s, *r_b])
            w = next(vals)
            run.model_claim(run.w_claims, g.weight, [*s, *r_o], w)
            values.append(xv * w % R)
        elif kind == "conv":
            values.append(conv_instance_value(run, g, points[gi], s, vals))
        elif kind == "spatialsum":
            values.append(spatialsum_instance_value(run, g, points[gi], s, vals))
        elif kind == "mul":  # nonlinear.md 8: eq(r_g, s_g) X(s_g) Y(s_g)
            xv = run.value(g.x, vals, s)
            yv = run.value(g.y, vals, s)
            values.append(eq_eval(points[gi], s) * xv % R * yv % R)
        elif kind.startswith(_CONCAT):
            values.append(concat_instance_value(run, g, _concat_part(kind), points[gi], s,
                                                vals))
        elif kind.startswith(_REARRANGE):
            values.append(rearrange_instance_value(run, g, _concat_part(kind), points[gi], s,
                                                   vals, e_out))
        elif kind == "rowmax":
            values.append(rowmax_instance_value(run, g, *zc[gi], s, vals))
        elif kind == "rowdiv":
            values.append(rowdiv_instance_value(run, g, *zc[gi], s, vals))
        elif kind == "winsum":
            values.append(winsum_instance_value(run, g, points[gi], s, vals))
        elif kind == "winmax_a":
            values.append(winmax_a_value(run, g, points[gi], s, gammas[gi], vals))
        elif kind == "winmax_b":
            values.append(winmax_b_value(run, g, points[gi], s, gammas[gi], vals))
        elif kind == "zerocheck" and g.op == "winmax":
            values.append(winmax_zerocheck_value(run, g, *zc[gi], s, vals))
        elif kind == "zerocheck" and g.op == "maxpool":
            values.append(maxpool_zerocheck_value(run, g, zc[gi][0], s, vals))
        elif kind == "zerocheck":
            tau, beta = zc[gi]
            u = run.limbs(run.take(g.u, vals, s))
            ep = run.limbs(run.take(g.ep, vals, s))
            em = run.limbs(run.take(g.em, vals, s))
            z = g.lo + u
            term = (z - g.hi) * ep if g.ep else 0
            if g.em:
                term += beta * u * em
            values.append(eq_eval(tau, s) * term % R)
        else:
            z = run.value(gi, vals, s)
            if kind == "select":
                weight = select_weight(r_out[fv:], s, fv, p.y)
            elif kind == "masked":
                weight = masked_weight(r_out, s, fv, n_out, B)
            else:
                weight = eq_eval(r_out, s) * output_mask(s, fv, n_out, B) % R
            values.append(weight * z % R)
    if res.final != res.combine(values):
        raise VerificationError("inference sumcheck: final != sum of instance relations")

    stacks = [
        Stack(lay.num_vars, lay.log_cols, p.c_w, tuple(run.wclaims)),
        Stack(vk.num_vars, vk.log_cols, vk.commitment,
              tuple(run.table_claims + run.bias_claims + run.w_claims)),
    ]
    batch_open_verify(t, stacks, p.openings, gens)
    n_in = c.input_features
    if c.argmax:
        out = tuple((k,) for k in p.y)
        out_frac = 0
    else:
        out = tuple(tuple(p.y[b * n_out : (b + 1) * n_out]) for b in range(B))
        out_frac = c.gadgets[c.output_gadget].frac_bits
    return InferenceStatement(
        KIND_INFERENCE,
        KIND_NAMES[KIND_INFERENCE],
        digest,
        vk.digest,
        B,
        tuple(tuple(p.x[b * n_in : (b + 1) * n_in]) for b in range(B)),
        out,
        c.input_frac_bits,
        out_frac,
        c.argmax,
    )


class InferenceVerifier(GeneratorSource):
    """Verifies inference proofs for one verifying key; build once, share between threads.

    Construction derives the generators the key's model stack and a batch-1 witness
    stack need (cached for the process), so the first proof does not pay for them. A key
    checked for another generator seed is checked again for this one (InvalidKeyError
    if its well-formedness proof fails).
    """

    def __init__(
        self,
        vk: VerifyingKey,
        seed: bytes = DEFAULT_SEED,
        *,
        max_log_cols: int = 30,
        max_batch: int = 1 << 20,
    ) -> None:
        if not isinstance(vk, VerifyingKey):
            raise TypeError(f"vk must be a VerifyingKey, not {type(vk).__name__}")
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise TypeError(f"seed must be bytes, not {type(seed).__name__}")
        self._vk = vk
        self._seed_digest = seed_digest(bytes(seed))
        if vk.seed_digest != self._seed_digest:
            vk.check_well_formed(self._seed_digest)
        self._max_cols = 1 << max_log_cols
        self._max_batch = max_batch
        cols = max(1 << vk.log_cols, 1 << vk.circuit.layout(1).log_cols)
        if cols <= self._max_cols:
            generators(self._seed_digest, cols)

    @property
    def vk(self) -> VerifyingKey:
        return self._vk

    def verify(self, data: bytes) -> InferenceStatement:
        """Verify a kind-3 artifact for this key; returns its statement or raises."""
        try:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ProofFormatError(f"artifact must be bytes, not {type(data).__name__}")
            kind, rd = read_header(bytes(data))
            if kind != KIND_INFERENCE:
                raise VerificationError(f"artifact kind {kind}, expected an inference proof (3)")
            parsed = _parse_kind3(rd, self._vk, self._max_batch)
            lay = self._vk.circuit.layout(parsed.batch)
            return _verify_kind3(parsed, self._vk, lay, self._seed_digest, self._generators)
        except VerificationError:
            raise
        except Exception as exc:  # fail closed: any internal surprise is a rejection
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise VerificationError(msg) from exc
