"""General pooling windows (conv.md section 5): winsum and winmax through the wiring MLE.

A window tap `t = (i(, j))` (last axis fastest, index `t = j + K_2 i`) of output
`(c, y(, x))` reads input `(c, s_1 y + d_1 i - p_1(, ..))` when that lies inside the input.
Per axis `a` with wiring `W~_a` (wiring.md) and `m_K`, `m_S` its kernel and input
variables, the verifier evaluates at a point, never by a loop over the spatial sizes:

    A_a(r_T, y')  = 2^(m_K) W~_a(r_T, (1/2, ..), y')     "output reads y' through a tap"
    V_{a,i}(r_T)  = 2^(m_S) W~_a(r_T, bits(i), (1/2, ..)) "tap i reads something"

- winsum: one instance over `(x', y')`, final `2^l X(s, r_c, r_b) prod_a A_a(r_T_a, s_a)`.
- winmax: `sum_t S_t(r_g) == Rg(r_g)` at the acc point, `Rg = prod_a lt(r_T_a, T_a)` the
  real output region; `gamma_g` and `E_g` follow its acc-evals;
  instance (a) over `(x, y)` with claim `E + sum_t gamma^t D_t(r_g)`, final
  `eq(r_g', s) z(s, r_c, r_b) prod_a (sum_i gamma^(i w_a) V_{a,i}(s_a))`; instance (b)
  over `(x', y')` with claim `E`, final
  `X(s, r_c, r_b) prod_a (sum_i gamma^(i w_a) W~_a(r_T_a, bits(i), s_a))`, where
  `w_a = prod_{b > a} K_b` (so `c_t = gamma^t` factors over the axes: `K_1 + K_2`
  wiring evaluations per instance); the zerocheck instance's final
  `eq(tau, s) [sum_t S_t D_t + beta sum_t S_t (1 - V_t(s)) + beta^2 z(s) (1 - Rg(s))]`,
  `V_t = prod_a V_{a,t_a}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

from zkml.errors import VerificationError
from zkml.verifier.declarations import Claim, Expr, linear, public
from zkml.verifier.field import R, eq_eval
from zkml.verifier.layout import log2_ceil, lt
from zkml.verifier.spatial import WindowSpec, split_point
from zkml.verifier.wiring import Axis, wire_eval

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.window import WindowProducer
    from zkml.verifier.records import Gadget

__all__ = ["check_winmax_acc", "winmax_claim_a", "winsum_instance_value",
           "winmax_a_value", "winmax_b_value", "winmax_zerocheck_value", "tap_weights"]

_HALF = (R + 1) // 2


def _spec(g: Gadget) -> WindowSpec:
    """The window's spec (its check classes, `WinSum` and `WinMax`, admit no other
    record)."""
    return cast("WindowProducer", g.producer).window


def _out_parts(spec: WindowSpec, r_g: Sequence[int]) -> tuple[list[list[int]], list[int]]:
    """(r_T per axis in ONNX order, (r_c, r_b)) of a point over the gadget's variables."""
    k = len(spec.axes)
    sizes = [log2_ceil(spec.out_shape[a + 1]) for a in reversed(range(k))]
    parts = split_point(r_g, sizes)
    return list(reversed(parts[:k])), parts[k]


def _in_parts(spec: WindowSpec, s: Sequence[int]) -> list[list[int]]:
    """s_{S_a} per axis in ONNX order of a point over (x', y') (last axis lowest)."""
    k = len(spec.axes)
    sizes = [log2_ceil(spec.in_shape[a + 1]) for a in reversed(range(k))]
    parts = split_point(s, sizes)
    if parts[k]:
        raise VerificationError("window: instance point longer than the input's variables")
    return list(reversed(parts[:k]))


def _bits(i: int, m: int) -> list[int]:
    return [(i >> b) & 1 for b in range(m)]


def _area(axis: Axis, r_t: Sequence[int], s_in: Sequence[int]) -> int:
    """A_a(r_T, s') = 2^(m_K) W~_a(r_T, (1/2, ..), s')."""
    m_y, m_k, m_x = axis.vars()
    return (wire_eval(axis, r_t, [_HALF] * m_k, s_in) << m_k) % R


def tap_weights(spec: WindowSpec, gamma: int) -> list[list[int]]:
    """Per axis `a`, the weights gamma^(i w_a), `i < K_a`, `w_a = prod_{b > a} K_b`: their
    product over the axes is c_t = gamma^t of the tap t (index `j + K_2 i`)."""
    out = []
    stride = 1
    for a in reversed(range(len(spec.axes))):
        step = pow(gamma, stride, R)
        ws, w = [], 1
        for _ in range(spec.kernel[a]):
            ws.append(w)
            w = w * step % R
        out.append(ws)
        stride *= spec.kernel[a]
    return list(reversed(out))


def _reads(axis: Axis, r_t: Sequence[int], i: int) -> int:
    """V_{a,i}(r_T) = 2^(m_S) W~_a(r_T, bits(i), (1/2, ..))."""
    m_y, m_k, m_x = axis.vars()
    return (wire_eval(axis, r_t, _bits(i, m_k), [_HALF] * m_x) << m_x) % R


def _reads_all(spec: WindowSpec, r_ts: list[list[int]]) -> list[list[int]]:
    """V_{a,i}(r_T_a) for every axis and tap index (K_1 + K_2 wiring evaluations)."""
    return [[_reads(axis, r_ts[a], i) for i in range(axis.k)]
            for a, axis in enumerate(spec.axes)]


def winsum_instance_value(run: RunContext, g: Gadget, r_g: list[int], s: list[int],
                          vals: Iterator[Claim]) -> Expr:
    """2^l X(s_x', s_y', r_c, r_b) prod_a A_a(r_T_a, s_a) (the A_a public), X from `vals`
    or the input."""
    spec = _spec(g)
    r_ts, rest = _out_parts(spec, r_g)
    xv = run.value(g.producer.x, vals, [*s, *rest])
    area = pow(2, spec.lshift, R)
    for axis, r_t, s_in in zip(spec.axes, r_ts, _in_parts(spec, s), strict=True):
        area = area * _area(axis, r_t, s_in) % R
    return public(f"g{g.index}.area(s)", area) * xv


def _region(spec: WindowSpec, r_ts: list[list[int]]) -> int:
    """Rg = prod_a lt(r_T_a, T_a), the MLE of the real output region."""
    out = 1
    for r_t, n in zip(r_ts, spec.out_shape[1:], strict=True):
        out = out * lt(r_t, n) % R
    return out


def check_winmax_acc(run: RunContext, g: Gadget, r_g: list[int], s_evals: list[Claim]
                     ) -> None:
    """Declare sum_t S_t(r_g) == Rg(r_g) at the accumulator point (Rg public)."""
    spec = _spec(g)
    region = public(f"g{g.index}.Rg(r_g)", _region(spec, _out_parts(spec, r_g)[0]))
    run.require("gadget.winmax.selectors", linear((1, s) for s in s_evals) - region,
                f"gadget {g.index}: winmax selectors do not sum to the real output region",
                g.index)


def winmax_claim_a(run: RunContext, d_evals: list[list[Claim]], gamma: int, e: Claim
                   ) -> Expr:
    """Instance (a)'s claim E + sum_t gamma^t D_t(r_g), D_t from its limbs."""
    terms, c = [(1, e)], 1
    for d in d_evals:
        terms.append((c, run.limbs(d)))
        c = c * gamma % R
    return linear(terms)


def _z(run: RunContext, g: Gadget, point: list[int], vals: Iterator[Claim], what: str
       ) -> Expr:
    """z at `point` from the gadget's u limbs, then its v limbs (declares z + v == hi,
    `gadget.winmax.z-plus-v-<what>`)."""
    z = g.lo + run.limbs(run.take(g.u, vals, point))
    if g.v:
        v = run.limbs(run.take(g.v, vals, point))
        label = "(a)'s" if what == "a" else what
        run.require(f"gadget.winmax.z-plus-v-{what}", z + v - g.hi,
                    f"gadget {g.index}: z + v != hi at winmax {label} point", g.index)
    return z


def winmax_a_value(run: RunContext, g: Gadget, r_g: list[int], s: list[int], gamma: int,
                   vals: Iterator[Claim]) -> Expr:
    """eq(r_g', s) z(s, r_c, r_b) Vc(s): reads the gadget's u limbs then its v limbs at
    (s, r_c, r_b)."""
    spec = _spec(g)
    n_sp = spec.out_vars
    r_sp, rest = list(r_g[:n_sp]), list(r_g[n_sp:])
    point = [*s, *rest]
    z = _z(run, g, point, vals, "a")
    s_ts, _ = _out_parts(spec, point)
    vc = eq_eval(r_sp, s)
    for ws, reads in zip(tap_weights(spec, gamma), _reads_all(spec, s_ts), strict=True):
        vc = vc * (sum(w * r for w, r in zip(ws, reads, strict=True)) % R) % R
    return public(f"g{g.index}.eq*Vc(s)", vc) * z


def winmax_b_value(run: RunContext, g: Gadget, r_g: list[int], s: list[int], gamma: int,
                   vals: Iterator[Claim]) -> Expr:
    """X(s, r_c, r_b) Ac(r_T; s) (Ac public), X from `vals` (x's u limbs) or the input's
    MLE."""
    spec = _spec(g)
    r_ts, rest = _out_parts(spec, r_g)
    xv = run.value(g.producer.x, vals, [*s, *rest])
    ac = 1
    for a, (axis, s_in) in enumerate(zip(spec.axes, _in_parts(spec, s), strict=True)):
        ws = tap_weights(spec, gamma)[a]
        m_k = axis.vars()[1]
        total = sum(w * wire_eval(axis, r_ts[a], _bits(i, m_k), s_in)
                    for i, w in enumerate(ws)) % R
        ac = ac * total % R
    return public(f"g{g.index}.Ac(s)", ac) * xv


def winmax_zerocheck_value(run: RunContext, g: Gadget, tau: Claim, beta: int, s: list[int],
                           vals: Iterator[Claim]) -> Expr:
    """eq(tau, s) [sum_t S_t D_t + beta sum_t S_t (1 - V_t(s)) + beta^2 z (1 - Rg(s))],
    reading every S_t, then every D_t limb, then the gadget's u (and v) limbs at s: one
    product per tap (`tau` is the public eq(tau_g, s), V_t and Rg public)."""
    spec = _spec(g)
    sel = [run.take((c,), vals, s)[0] for grp in g.numbered("S") for c in grp]
    ds = [run.limbs(run.take(d, vals, s)) for d in g.numbered("D")]
    z = _z(run, g, s, vals, "zerocheck")
    s_ts, _ = _out_parts(spec, s)
    reads = _reads_all(spec, s_ts)
    taps: list[int] = [1]
    for per_axis in reads:  # V_t = prod_a V_{a,t_a}, the last axis fastest
        taps = [v * r % R for v in taps for r in per_axis]
    total: Expr | int = 0
    for a, b in zip(sel, ds, strict=True):
        total = total + a * b
    total = total + linear((beta * (1 - v), a) for a, v in zip(sel, taps, strict=True))
    total = total + z * (beta * beta % R * (1 - _region(spec, s_ts)))
    return tau * total
