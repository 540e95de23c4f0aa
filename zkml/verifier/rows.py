"""Row-wise gadgets of an inference proof: rowmax and rowdiv (nonlinear.md sections 7 and 12),
the Softmax lowering `m = rowmax(x)`, `d = add(x, -m)` (a row-broadcast add, sections 6 and
12), `e = table(d)`, `s = spatialsum(e)` over the rows, `y = rowdiv(e, s)`.

Grouped rows (section 12): a row is a pair (group g, batch row b). A tensor read in groups
has its feature index split as `f = i + P g`: the low `log2 P` feature variables are the
position `i` inside the group, the high `log2 pad(G)` ones the group; a row value (a tensor
of width `G`) at a point `(r_i, r_grp, r_b)` is its MLE at `(r_grp, r_b)`, i.e. the point
with its first `log2 P` coordinates dropped (`row_vars`). `G = 1` is sections 6-7
(`P = pad(width(x))`, the row value at `r_b`).

- rowmax (`features = G`, `z[g][b] = max_{i<n} x[b][i + P g]`): the extra columns `D`
  (limbs) and `S` have x's length. At the gadget's point `(r_grp, r_b)` the verifier reads
  `S` at `(1/2, .., 1/2, r_grp, r_b)` and requires `P S(1/2.., r_grp, r_b) == 1` (the row
  sums of `S` are 1). Its zerocheck instance over x's variables has the summand
  `eq(tau_g, x) [D - mask z + mask X + beta_g (S - mask S) + beta_g^2 S D]` with `z`
  broadcast along `i` and `mask = lt(x_i, n)`; with `D` range-checked this makes `z` an
  upper bound of the row's real entries, `S` a one-hot selector of a real entry, and the
  selected entry equal to `z` (circuits/soundness.md rule 6).
- rowdiv (`q = floor((2^(l+1) x + y_gb) / (2 y_gb))`, `q = z + e+ - e-`): at `r_g` the
  verifier requires `R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1` (with both range-checked,
  `0 <= R < 2 y_gb`) and the gadget's one zerocheck instance over its variables has the
  summand `eq(tau_g, x) [2^(l+1) X + y - 2 y q - R + beta_g (z - hi) e+
  + beta_g^2 (z - lo) e-]` (`y` broadcast along `i`): the text's relation plus the clamp
  relation (R3) of inference.md, which a gadget with `ep`/`em` columns needs for
  `z = clamp(q)` (terms of an absent column dropped; the Rust prover's reading,
  rust/core/src/inference/rowops.rs).

Every value costs O(log) field operations (eq and lt over the point).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.field import R
from zkml.verifier.layout import log2_ceil, lt

if TYPE_CHECKING:
    from zkml.verifier.gadgets.base import RunContext
    from zkml.verifier.gadgets.elementwise import AddProducer
    from zkml.verifier.gadgets.rows import RowDivProducer, RowMaxProducer
    from zkml.verifier.records import Gadget

__all__ = ["HALF", "row_vars", "rowmax_vars", "check_rowmax", "rowmax_instance_value",
           "check_rowdiv", "rowdiv_instance_value"]

#: 1/2 = 2^-1 mod r
HALF = (R + 1) // 2


def row_vars(run: RunContext, g: Gadget) -> int:
    """log2 P of nonlinear.md 12 for an add or a rowdiv: the position variables of the
    gadget's rows, y's row values broadcast along them (0 for an elementwise add)."""
    y = cast("AddProducer | RowDivProducer", g.producer).y
    return g.log_features - log2_ceil(run.c.width_of(y))


def rowmax_vars(run: RunContext, g: Gadget) -> int:
    """log2 P of nonlinear.md 12 for a rowmax: the position variables of x's rows (the
    gadget has one entry per row)."""
    return log2_ceil(run.c.width_of(g.producer.x)) - g.log_features


def _rowmax(g: Gadget) -> RowMaxProducer:
    """The rowmax's producer record (its check class, `RowMax`, admits no other)."""
    return cast("RowMaxProducer", g.producer)


def _rowdiv(g: Gadget) -> RowDivProducer:
    """The rowdiv's producer record (its check class, `RowDiv`, admits no other)."""
    return cast("RowDivProducer", g.producer)


def check_rowmax(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim]) -> None:
    """Read S at (1/2, .., 1/2, r_grp, r_b) from `vals` (log2 P halves) and declare
    P S(1/2.., r_grp, r_b) == 1."""
    k = rowmax_vars(run, g)
    (s_centre,) = run.take(g.group("S"), vals, [HALF] * k + list(r_g))
    run.require("gadget.rowmax.selectors", (s_centre << k) - 1,
                f"gadget {g.index}: rowmax selectors do not sum to 1 per row "
                f"(P S(1/2.., r_grp, r_b) != 1)", g.index)


def rowmax_instance_value(run: RunContext, g: Gadget, tau: Claim, beta: int, s: list[int],
                          vals: Iterator[Claim]) -> Expr:
    """eq(tau_g, s) [D - mask z + mask X + beta (S - mask S) + beta^2 S D] at the instance
    point `s = (s_i, s_grp, s_b)` (x's variables), reading x's u limbs at `s`, the gadget's
    u limbs at `(s_grp, s_b)`, then the D limbs and S at `s`; mask = lt(s_i, n) public;
    one product (S D)."""
    k = rowmax_vars(run, g)
    xv = run.value(g.producer.x, vals, s)
    z = run.value(g.index, vals, s[k:])
    d = run.limbs(run.take(g.group("D"), vals, s))
    (sel,) = run.take(g.group("S"), vals, s)
    mask = lt(s[:k], _rowmax(g).n)
    term = d - mask * z + mask * xv + beta * (1 - mask) * sel + (beta * beta % R) * sel * d
    return tau * term


def check_rowdiv(run: RunContext, g: Gadget, r_g: list[int], vals: Iterator[Claim],
                 cv: dict[str, list[Claim]]) -> None:
    """Read y's u limbs at (r_grp, r_b) from `vals` and declare
    R(r_g) + Rc(r_g) == 2 y(r_grp, r_b) - 1 (`cv`: the acc-evals, R's and Rc's limbs
    under their keys)."""
    yv = run.value(_rowdiv(g).y, vals, r_g[row_vars(run, g) :])
    rem = run.limbs(cv["R"]) + run.limbs(cv["Rc"])
    run.require("gadget.rowdiv.remainder", rem - 2 * yv + 1,
                f"gadget {g.index}: rowdiv R + Rc != 2 y(r_grp, r_b) - 1 at the acc point",
                g.index)


def rowdiv_instance_value(run: RunContext, g: Gadget, tau: Claim, beta: int, s: list[int],
                          vals: Iterator[Claim]) -> Expr:
    """eq(tau_g, s) [2^(l+1) X + y - 2 y q - R + beta (z - hi) e+ + beta^2 (z - lo) e-]
    at `s` (the gadget's variables), reading x's u limbs at `s`, y's u limbs at
    `(s_grp, s_b)`, the gadget's u, ep, em limbs, then the R limbs; q = z + e+ - e-;
    one product per term y q, (z - hi) e+, (z - lo) e-."""
    p = _rowdiv(g)
    xv = run.value(p.x, vals, s)
    yv = run.value(p.y, vals, s[row_vars(run, g) :])
    z = run.value(g.index, vals, s)
    ep = run.limbs(run.take(g.ep, vals, s))
    em = run.limbs(run.take(g.em, vals, s))
    rem = run.limbs(run.take(g.group("R"), vals, s))
    q = z + ep - em
    term = (xv << (p.lshift + 1)) + yv - 2 * yv * q - rem
    return tau * g.with_clamp_terms(term, z, ep, em, beta)
