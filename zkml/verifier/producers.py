"""Strict parsing of a gadget's producer object (inference.md 6, conv.md 2-3, nonlinear.md).

`parse_producer` reads one producer through its op's gadget class (`zkml.verifier.gadgets`,
each class's `parse`, with the strict readers of records.py: exact keys, JSON integers
only, limits), which resolves its references to earlier gadgets or the input, checks it
against the gadget's own fields and against `width(x)` (conv.md 1) and returns the op's
frozen record (defined next to its parser, holding that op's fields only):

- dense / conv / sumpool / maxpool / table / identity / affine as before;
- spatialsum: `pad(width(x)) == prod pad(in_shape)` (nonlinear.md 7: a flat row of `n`
  features, a softmax's row sum over `in_shape = [1, n]`, has the layout of `[1, n]`);
- add: `width(x) == features`, `1 <= width(y) <= features` with `pad(width(y))`
  dividing `pad(features)` (nonlinear.md 6 and 12: a `y` of `G < features` row values is
  broadcast along the low `log2 P` feature variables, `P = pad(features) / pad(G)`);
- rowmax (nonlinear.md 7, 12): `features = G >= 1` with `pad(G)` dividing `pad(width(x))`,
  `P = pad(width(x)) / pad(G)`, `1 <= n <= P` and `P (G - 1) + n <= width(x)` (the real
  entries of the real groups are real features; `n <= width(x)` when `G = 1`),
  `1 <= diff_bits <= 64`, shift 0, divisor 1, no excess, and `[lo, hi]` covering `x`'s
  range;
- winsum / winmax (conv.md 5): wiring axes as for conv, channel counts equal,
  `width(x) == prod pad(in_shape)`, `features == prod pad(out_shape)`, `0 <= lshift <= 64`
  (winsum), `1 <= diff_bits <= 64`, shift 0, divisor 1, no excess and every real output
  reading some tap (winmax);
- rowdiv (nonlinear.md 7, 12): `1 <= width(y) = G <= features` with `pad(G)` dividing
  `pad(features)`, `width(x) == features`, `0 <= lshift <= 64`,
  `1 <= rem_bits <= 64`, shift 0, divisor 1;
- mul (nonlinear.md 8): `width(x) == width(y) == features`;
- winsum / winmax (nonlinear.md 9): at most 1024 taps (`prod K_a <= 1024`);
- addconst (nonlinear.md 10): `width(x) == features`, `0 <= lshift <= 64`, the constant a
  `1 x width(x)` model tensor;
- concat (nonlinear.md 11): `2 <= K <= 64` parts, shapes `[C_k, S..]` with the same
  spatial dims (none for flat parts), `width(part_k) == prod pad(shape_k)` (a flat
  part: `width(part_k) == C_k`),
  `features == pad(C) prod pad(S_a)` (`C = sum C_k`) and each part's wiring axis
  `(C, C_k, 1, 1, 1, off_k)` within wiring.md's limits;
- rearrange (rearrange.md 1): `1 <= K <= 64` parts with layouts `[n]` (`width == n`) or
  `[C, S..]` (`width == prod pad`), `features` the output layout's width, padded widths
  <= 2^20, `dims` of 1..6 dims with `prod dims == prod out_shape`, 1..4096 blocks, each a
  box inside `dims` with offset and strides in [0, 2^31) whose corner reads a real entry
  of its part, tiling `dims` exactly (volumes summing to `prod dims`, no overlap).

circuit.py derives the gadget's columns from the record (its class's `extra_columns`).
"""

from __future__ import annotations

from zkml.verifier.gadgets import GADGETS
from zkml.verifier.records import GadgetFields, Producer, err

__all__ = ["parse_producer"]


def parse_producer(prod: object, gf: GadgetFields) -> tuple[str, Producer]:
    """Strictly parse gadget `gf.index`'s producer object and check it (module doc) with
    its op's gadget class (`zkml.verifier.gadgets.GADGETS`): its op and its record."""
    what = f"gadget {gf.index}"
    pw = f"{what} producer"
    if not isinstance(prod, dict):
        raise err(f"{what} producer must be an object")
    op = prod.get("op")
    cls = GADGETS.get(op) if isinstance(op, str) else None
    if cls is None:
        raise err(f"{what}: unknown producer op {op!r}")
    return op, cls.parse(prod, what, pw, gf)
