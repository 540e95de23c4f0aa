"""Spatial sums, function tables, constants and concatenations of an inference proof
(nonlinear.md sections 2-3, 10-11).

- spatialsum: at the gadget's point `r_g = (r_c, r_b)` the claim `acc(r_g)` is reduced by
  one instance of the batched sumcheck (dense group) over the spatial variables
  `(x', y')`, summand `2^l M(x', y') X(x', y', r_c, r_b)` with `M` the real-region mask
  (a product of `lt`s, O(log) operations); the verifier checks its final value.
- table: `z = T[x - lo_x]` is a LogUp lookup of pairs. Per table gadget two more trees,
  the lookups `1 / (alpha - (x - lo_x) - beta z)` over the gadget's entries and the table
  `-t_g[j] / (alpha - j - beta T[j])`; the verifier checks their leaf claims from the `u`
  limbs of `x` and `g` (or the input's MLE), the multiplicity column `t_g` and a
  model-stack claim on the table tensor `T`.
- addconst: at `r_g = (r_f, r_b)` the acc-evals carry `x`'s `u` limbs (or the input's MLE)
  and the model claim `C(r_f)`; the verifier requires `acc == 2^l X(r_g) + C(r_f)`.
- concat: the prover's parts `E_1..E_K` must sum to `acc(r_g)`; one dense-group instance
  per part `sum_{c'} W~_k(r_c, (), c') X_k(r_s, c', r_b) = E_k`, whose final value the
  verifier computes with one wiring evaluation (wiring.md, axis `(C, C_k, 1, 1, 1, off_k)`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, cast

from zkml.errors import VerificationError
from zkml.verifier.axes import features_batch
from zkml.verifier.declarations import Claim, Expr, public
from zkml.verifier.field import R
from zkml.verifier.layout import log2_ceil, lt
from zkml.verifier.wiring import wire_eval

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.elementwise import AddConstProducer
    from zkml.verifier.gadgets.parts import ConcatProducer, RearrangeProducer
    from zkml.verifier.gadgets.pool import SpatialSumProducer
    from zkml.verifier.records import Gadget

__all__ = ["spatial_mask", "spatialsum_instance_value", "check_addconst", "check_parts",
           "concat_instance_value"]


def spatial_mask(shape: Sequence[int], s: Sequence[int]) -> int:
    """M(s) = prod_a lt(s_a, S_a) over the spatial axes of `shape = [C, S_1(, S_2)]`,
    the point `s` holding the last axis lowest (`(x', y')`)."""
    out, pos = 1, 0
    for size in reversed(shape[1:]):
        k = log2_ceil(size)
        out = out * lt(s[pos : pos + k], size) % R
        pos += k
    if pos != len(s):
        raise VerificationError("spatialsum: instance point of the wrong length")
    return out


def spatialsum_instance_value(run: RunContext, g: Gadget, r_g: list[int], s: list[int],
                              vals: Iterator[Claim]) -> Expr:
    """The instance's final value `2^l M(s) X(s, r_c, r_b)`, X from the `u` limbs of `x`
    (read from `vals`) or the input's MLE; M(s) public (`g` a spatialsum: its check class,
    `SpatialSum`, admits no other record)."""
    p = cast("SpatialSumProducer", g.producer)
    xv = run.value(p.x, vals, [*s, *r_g])
    return public(f"g{g.index}.mask(s)", spatial_mask(p.sum_shape, s)) * (xv << p.lshift)


def check_addconst(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim],
                   acc: Expr) -> None:
    """nonlinear.md 10: declare `acc == 2^l X(r_g) + C(r_f)`, X from `x`'s `u` limbs (or
    the input's MLE) and `C(r_f)` a model claim, both read from `vals` (`g` an addconst:
    its check class, `AddConst`, admits no other record)."""
    p = cast("AddConstProducer", g.producer)
    xv = run.value(p.x, vals, r_g)
    cv = next(vals)
    run.model_claim(run.bias_claims, p.constant, features_batch(r_g, g.log_features)[0], cv)
    run.require("gadget.addconst.relation", acc - (xv << p.lshift) - cv,
                f"gadget {g.index}: addconst accumulator mismatch", g.index)


def check_parts(run: RunContext, g: Gadget, acc: Expr | int, parts: Sequence[Claim]) -> None:
    """nonlinear.md 11, rearrange.md 3: declare that the parts' values `E_1..E_K` sum to
    `acc(r_g)` (`gadget.<op>.parts`)."""
    n = len(cast("ConcatProducer | RearrangeProducer", g.producer).parts)
    if len(parts) != n:
        raise VerificationError(f"gadget {g.index}: {len(parts)} {g.op} parts, expected "
                                f"{n}", check=f"gadget.{g.op}.part-count")
    total: Expr | int = 0
    for e in parts:
        total = total + e
    run.require(f"gadget.{g.op}.parts", total - acc,
                f"gadget {g.index}: {g.op} parts do not sum to acc(r_g)", g.index)


def _concat(g: Gadget) -> ConcatProducer:
    """The concat's producer record (its check class, `Concat`, admits no other)."""
    return cast("ConcatProducer", g.producer)


def concat_point(g: Gadget, k: int, r_g: Sequence[int],
                 s: Sequence[int]) -> tuple[list[int], list[int]]:
    """(r_c, part k's point (r_s, s_c', r_b)) of part `k`'s instance at its point `s`."""
    n_sp = sum(log2_ceil(d) for d in _concat(g).shapes[k][1:])
    n_c = g.log_features - n_sp  # log2 pad(C)
    r_s, r_c, r_b = r_g[:n_sp], r_g[n_sp : n_sp + n_c], r_g[n_sp + n_c :]
    return list(r_c), [*r_s, *s, *r_b]


def concat_instance_value(run: RunContext, g: Gadget, k: int, r_g: list[int], s: list[int],
                          vals: Iterator[Claim]) -> Expr:
    """Part `k`'s final value `W~_k(r_c, (), s_c') X_k(r_s, s_c', r_b)`, X_k from the part's
    `u` limbs (read from `vals`) or the input's MLE; the wiring public."""
    p = _concat(g)
    if not 0 <= k < len(p.parts):
        raise VerificationError(f"gadget {g.index}: no concat part {k}")
    r_c, x_point = concat_point(g, k, r_g, s)
    xv = run.value(p.parts[k], vals, x_point)
    return public(f"g{g.index}.wire[{k}](s)", wire_eval(p.axes[k], r_c, [], s)) * xv
