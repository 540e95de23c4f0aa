"""The convolution gadget of an inference proof (conv.md section 2).

At the gadget's accumulator point `r_g = (r_{T_2}, r_{T_1}, r_o, r_b)` (1-D: no
`r_{T_2}`) the prover's claim `acc - 2^d bias(r_o)` is reduced by one instance of the
batched sumcheck over `(x', y', j, i, c)`:

    sum W(j, i, c ; r_o) X(x', y', c ; r_b) W~_1(r_y, i, y') W~_2(r_x, j, x')

and the verifier checks the instance's final value with two wiring evaluations
(wiring.md, O(log) field operations each) and three multiplications: no loop over the
spatial sizes, channels or kernel taps.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

from zkml.verifier.declarations import Claim, Expr, public
from zkml.verifier.field import R
from zkml.verifier.layout import log2_ceil
from zkml.verifier.spatial import ConvSpec, split_point
from zkml.verifier.wiring import OpCounter, wire_eval

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.linear import ConvProducer
    from zkml.verifier.records import Gadget

__all__ = ["conv_acc_claim", "conv_instance_value", "wiring_product", "conv_points"]


def _acc_parts(spec: ConvSpec, r_g: Sequence[int]) -> tuple[list[list[int]], list[int], list[int]]:
    """(r_T per axis in ONNX order, r_o, r_b) of an accumulator point."""
    k = len(spec.axes)
    sizes = [log2_ceil(spec.out_shape[a + 1]) for a in reversed(range(k))]
    parts = split_point(r_g, [*sizes, log2_ceil(spec.out_shape[0])])
    r_t = list(reversed(parts[:k]))
    return r_t, parts[k], parts[k + 1]


def conv_points(spec: ConvSpec, r_g: Sequence[int], s: Sequence[int]) -> tuple[
        list[int], list[int]]:
    """The points of the instance's two model/witness claims at its point `s`:
    X at `(s_x'.., s_c, r_b)` and W at `(s_j.., s_c, r_o)`."""
    k = len(spec.axes)
    s_in = [log2_ceil(spec.in_shape[a + 1]) for a in reversed(range(k))]
    s_k = [log2_ceil(spec.kernel[a]) for a in reversed(range(k))]
    parts = split_point(s, [sum(s_in), sum(s_k), spec.log_channels])
    _, r_o, r_b = _acc_parts(spec, r_g)
    return [*parts[0], *parts[2], *r_b], [*parts[1], *parts[2], *r_o]


def wiring_product(spec: ConvSpec, r_g: Sequence[int], s: Sequence[int],
                   counter: OpCounter | None = None) -> int:
    """prod_a W~_a(r_{T_a}, s_{K_a}, s_{S_a}): the conv's wiring at the instance point.

    `r_g` is the accumulator point, `s` the instance's point `(x'.., j.., c)` with the
    last axis lowest in each group. Field operations go to `counter` if given.
    """
    k = len(spec.axes)
    r_t, _, _ = _acc_parts(spec, r_g)
    s_in = [log2_ceil(spec.in_shape[a + 1]) for a in reversed(range(k))]
    s_k = [log2_ceil(spec.kernel[a]) for a in reversed(range(k))]
    x_parts = list(reversed(split_point(s, s_in)[:k]))
    k_parts = list(reversed(split_point(s[sum(s_in):], s_k)[:k]))
    out = 1
    for a, axis in enumerate(spec.axes):
        w = wire_eval(axis, r_t[a], k_parts[a], x_parts[a], counter)
        out = out * w % R if a else w
    if counter is not None:
        counter.mul += k - 1
    return out


def _record(g: Gadget) -> ConvProducer:
    """The conv's producer record (its check class, `Conv`, admits no other)."""
    return cast("ConvProducer", g.producer)


def conv_acc_claim(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim],
                   acc: Expr) -> Expr:
    """claim_g = acc - 2^d bias(r_o), reading the bias from `vals` (a model claim)."""
    p = _record(g)
    if p.bias is None:
        return acc
    _, r_o, _ = _acc_parts(p.conv, r_g)
    b = next(vals)
    run.model_claim(run.bias_claims, p.bias, r_o, b)
    return acc - (b << p.bias_shift)


def conv_instance_value(run: RunContext, g: Gadget, r_g: list[int], s: list[int],
                        vals: Iterator[Claim], counter: OpCounter | None = None) -> Expr:
    """The conv instance's final value W(s_j, s_i, s_c, r_o) X(s_x', s_y', s_c, r_b)
    W~_1 W~_2, taking X's u limbs (or the input's MLE) and W from `vals`: the wiring is
    public, W X one product."""
    p = _record(g)
    spec = p.conv
    x_point, w_point = conv_points(spec, r_g, s)
    xv = run.value(p.x, vals, x_point)
    w = next(vals)
    run.model_claim(run.w_claims, p.weight, w_point, w)
    wire = wiring_product(spec, r_g, s, counter)
    if counter is not None:
        counter.mul += 2
    return public(f"g{g.index}.wire(s)", wire) * w * xv
