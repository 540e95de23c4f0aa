"""Pooling gadgets with power-of-two windows (conv.md section 3).

Window = stride = `K_a`, no padding, so window `w` of output point `r_g` reads the
input at the *window point* `(bits(w_2) || r_x || 0.., bits(w_1) || r_y || 0.., r_c, r_b)`:
the verifier evaluates `x` there from its `u` limbs (claims) or the input's MLE.

- sumpool: `acc == 2^l sum_w X_w`.
- maxpool: `D_w == z - X_w` for every window and `sum_w S_w == 1` at `r_g`, plus the
  zerocheck instance `sum_x eq(tau_g, x) sum_w S_w(x) D_w(x) = 0`; the range checks give
  `D_w >= 0` and boolean `S_w` (circuits/soundness.md rule 6).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from zkml.verifier.declarations import Claim, Expr, linear

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.pool import PoolProducer
    from zkml.verifier.records import Gadget

__all__ = ["window_values", "check_sumpool", "check_maxpool", "maxpool_zerocheck_value"]


def _record(g: Gadget) -> PoolProducer:
    """The pooling producer record (its check classes, `SumPool` and `MaxPool`, admit
    no other)."""
    return cast("PoolProducer", g.producer)


def window_values(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim]
                  ) -> list[Expr]:
    """X at every window point of `r_g`, in window order (u limbs read from `vals`)."""
    p = _record(g)
    return [run.value(p.x, vals, p.pool.window_point(r_g, w)) for w in p.pool.offsets()]


def check_sumpool(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim],
                  acc: Expr) -> None:
    """Declare acc == 2^l sum_w X_w at the accumulator point."""
    total = linear((1, x) for x in window_values(run, g, r_g, vals)) << _record(g).pool.lshift
    run.require("gadget.sumpool.relation", acc - total,
                f"gadget {g.index}: sumpool accumulator mismatch", g.index)


def check_maxpool(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim],
                  d_evals: list[list[Claim]], s_evals: list[Claim], z: Expr) -> None:
    """Declare D_w == z - X_w for every window and sum_w S_w == 1 at the acc point."""
    xs = window_values(run, g, r_g, vals)
    for w, (d, xw) in enumerate(zip(d_evals, xs, strict=True)):
        run.require("gadget.maxpool.difference", run.limbs(d) - z + xw,
                    f"gadget {g.index}: maxpool D_{w} != z - X_{w} at the acc point", g.index)
    run.require("gadget.maxpool.selectors", linear(((1, s) for s in s_evals), -1),
                f"gadget {g.index}: maxpool selectors do not sum to 1", g.index)


def maxpool_zerocheck_value(run: RunContext, g: Gadget, tau: Claim, s: list[int],
                            vals: Iterator[Claim]) -> Expr:
    """eq(tau_g, s) sum_w S_w(s) D_w(s), reading every S_w then every D_w limb: one
    product per window (`tau` is the public eq(tau_g, s))."""
    sel = [run.take((c,), vals, s)[0] for grp in g.numbered("S") for c in grp]
    ds = [run.limbs(run.take(d, vals, s)) for d in g.numbered("D")]
    total: Expr | int = 0
    for a, b in zip(sel, ds, strict=True):
        total = total + a * b
    return tau * total
