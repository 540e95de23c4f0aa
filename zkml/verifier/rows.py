"""Row-wise gadgets of an inference proof: rowmax and rowdiv (nonlinear.md section 7), the
Softmax lowering `m = rowmax(x)`, `d = add(x, -m)` (a row-broadcast add, section 6),
`e = table(d)`, `s = spatialsum(e)` over the row, `y = rowdiv(e, s)`.

- rowmax (`features = 1`, `z_b = max_{i<n} x[b][i]`): the extra columns `D` (limbs) and
  `S` have x's length. At the gadget's point `r_b` the verifier reads `S` at the centre
  `(1/2, .., 1/2, r_b)` and requires `2^m S(1/2.., r_b) == 1` (`m = log2 width(x)`: the
  row sums of `S` are 1). Its zerocheck instance over x's variables has the summand
  `eq(tau_g, x) [D - mask z_b + mask X + beta_g (S - mask S) + beta_g^2 S D]` with
  `mask = lt(x_f, n)`; with `D` range-checked this makes `z_b` an upper bound of the
  row's real entries, `S` a one-hot selector of a real entry, and the selected entry
  equal to `z_b` (DESIGN 3b rule 6).
- rowdiv (`q = floor((2^(l+1) x + y_b) / (2 y_b))`, `q = z + e+ - e-`): at `r_g` the
  verifier requires `R(r_g) + Rc(r_g) == 2 y(r_b) - 1` (with both range-checked,
  `0 <= R < 2 y_b`) and the gadget's one zerocheck instance over its variables has the
  summand `eq(tau_g, x) [2^(l+1) X + y_b - 2 y_b q - R + beta_g (z - hi) e+
  + beta_g^2 (z - lo) e-]`: the text's relation plus the clamp relation (R3) of
  inference.md, which a gadget with `ep`/`em` columns needs for `z = clamp(q)` (terms of
  an absent column dropped; the Rust prover's reading, rust/core/src/inference/rowops.rs).

Every value costs O(log) field operations (eq and lt over the point).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from zkml.errors import VerificationError
from zkml.verifier.field import R, eq_eval
from zkml.verifier.layout import log2_ceil, lt

if TYPE_CHECKING:
    from zkml.verifier.circuit import Gadget
    from zkml.verifier.inference import _Run

__all__ = ["HALF", "rowmax_vars", "check_rowmax", "rowmax_instance_value", "check_rowdiv",
           "rowdiv_instance_value"]

#: 1/2 = 2^-1 mod r
HALF = (R + 1) // 2


def rowmax_vars(run: _Run, g: Gadget) -> int:
    """log2 width(x) of a rowmax gadget: the feature variables of its D and S columns."""
    return log2_ceil(run.c.width_of(g.x))


def check_rowmax(run: _Run, g: Gadget, r_b: list[int], vals: Iterator[int]) -> None:
    """Read S at (1/2, .., 1/2, r_b) from `vals` and require 2^m S(1/2.., r_b) == 1."""
    m = rowmax_vars(run, g)
    (s_centre,) = run.take(g.row_s, vals, [HALF] * m + list(r_b))
    if ((s_centre << m) - 1) % R:
        raise VerificationError(f"gadget {g.index}: rowmax selectors do not sum to 1 per row "
                                f"(2^m S(1/2.., r_b) != 1)")


def rowmax_instance_value(run: _Run, g: Gadget, tau: list[int], beta: int, s: list[int],
                          vals: Iterator[int]) -> int:
    """eq(tau_g, s) [D - mask z_b + mask X + beta (S - mask S) + beta^2 S D] at the
    instance point `s = (s_f, s_b)` (x's variables), reading x's u limbs at `s`, the
    gadget's u limbs at `s_b`, then the D limbs and S at `s`."""
    m = rowmax_vars(run, g)
    s_f, s_b = s[:m], s[m:]
    xv = run.value(g.x, vals, s)
    z = run.value(g.index, vals, s_b)
    d = run.limbs(run.take(g.row_d, vals, s))
    (sel,) = run.take(g.row_s, vals, s)
    mask = lt(s_f, g.row_n)
    term = d - mask * z + mask * xv + beta * (sel - mask * sel) + beta * beta % R * sel * d
    return eq_eval(tau, s) * (term % R) % R


def check_rowdiv(run: _Run, g: Gadget, r_g: list[int], vals: Iterator[int],
                 cv: dict[str, int]) -> None:
    """Read y's u limbs at r_b from `vals` and require R(r_g) + Rc(r_g) == 2 y(r_b) - 1."""
    yv = run.value(g.y, vals, r_g[g.log_features :])
    if (cv["R"] + cv["Rc"] - 2 * yv + 1) % R:
        raise VerificationError(f"gadget {g.index}: rowdiv R + Rc != 2 y(r_b) - 1 at the acc "
                                f"point")


def rowdiv_instance_value(run: _Run, g: Gadget, tau: list[int], beta: int, s: list[int],
                          vals: Iterator[int]) -> int:
    """eq(tau_g, s) [2^(l+1) X + y_b - 2 y_b q - R + beta (z - hi) e+ + beta^2 (z - lo) e-]
    at `s` (the gadget's variables), reading x's u limbs at `s`, y's u limbs at `s_b`, the
    gadget's u, ep, em limbs, then the R limbs; q = z + e+ - e-."""
    xv = run.value(g.x, vals, s)
    yv = run.value(g.y, vals, s[g.log_features :])
    z = run.value(g.index, vals, s)
    ep = run.limbs(run.take(g.ep, vals, s))
    em = run.limbs(run.take(g.em, vals, s))
    rem = run.limbs(run.take(g.div_r, vals, s))
    q = z + ep - em
    term = (xv << (g.lshift + 1)) + yv - 2 * yv * q - rem
    if g.ep:
        term += beta * (z - g.hi) * ep
    if g.em:
        term += beta * beta % R * (z - g.lo) * em
    return eq_eval(tau, s) * (term % R) % R
