"""Function tables and what the circuit cannot divide yet (circuits/nonlinear.md).

- `table` (Sigmoid, Tanh, Erf, Gelu, Exp, ...) -> a `table` gadget: `z = T[x - lo_x]`
  elementwise, the table `T` (the IR's table constant, `2^t` activation-width integers)
  stored in the model stack as a `1 x 2^t` tensor. The gadget's operand must have the
  range `[lo_x, hi_x]` of the table's domain, `hi_x - lo_x + 1 == 2^t`: the quantizer's
  rescale into the table domain (or the public input) has exactly that range; an operand
  whose clamp range is narrower (a fused ReLU) is first widened by an `identity` gadget
  (shift 0, the IR tensor's own bounds). The gadget has shift 0, divisor 1, no excess
  and the output tensor's bounds; it keeps its operand's layout (a table after a
  convolution works on the padded spatial tensor).
- `mul` by a scalar constant or one constant per channel of a spatial tensor (an
  unfolded BatchNormalization, a layer scale) -> a depthwise 1x1 `conv` gadget; by one
  constant per feature of a flat tensor (at most `MAX_DIAGONAL_FEATURES`) or a scalar
  (at most `MAX_SCALAR_DIAGONAL_FEATURES` features) -> a `dense` gadget with a diagonal
  weight; by a scalar on a wider flat tensor -> a one-channel depthwise `conv` between
  two `rearrange` moves. The constant stays in the model stack (a scalar as a public
  `affine` coefficient would show it);
  `mul` of two computed tensors of the same shape and layout (SiLU `x * sigmoid(x)`,
  gating) -> a `mul` gadget (nonlinear.md section 8): `acc = x y` elementwise, the op's
  shift and clamp, the accumulator bound `max|x| max|y|` from the operands' clamp ranges
  (each below 2^31, the product with the rounding offset below 2^62).
- Softmax over the last axis of a flat `(B, n)` tensor (lowered by the quantizer to
  reduce_max / add / table(exp) / reduce_sum / div, all with the Softmax node as their
  source) -> `rowmax` (`n` real entries, `diff_bits = bits(hi_x - lo_x)`, the clamp range
  of its operand), a row-broadcast `add(x, -max)` (nonlinear.md section 6), the exp
  `table`, a `spatialsum` over the row (`in_shape = [1, n]`, one feature) and `rowdiv`
  (`rem_bits = bits(2 hi_s - 1)`; the sum is at least the exp of 0 on every row, padded
  rows included, since every row's maximum gives exp(0)); nonlinear.md section 7.
  Any other tensor (spatial, or with more axes; the quantizer moves a Softmax axis that
  is not last there with explicit transposes) is read as grouped rows `(G, n)`
  (nonlinear.md section 12: one row value per group, `G` the product of the other
  non-batch axes), moved into that layout by a `rearrange` when held otherwise.
  Softmax over a single feature is refused; so are `div` and `reduce_sum` outside a
  Softmax (a variable divisor, a row sum).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zkml.compiler import rearrange, spatial
from zkml.compiler.circuit import (
    MAX_BITS,
    MAX_RANGE_BITS,
    MAX_TABLE_BITS,
    bits,
)
from zkml.compiler.producers import (
    Add,
    Dense,
    Identity,
    Mul,
    Producer,
    RowDiv,
    RowMax,
    SpatialSum,
    Table,
)
from zkml.compiler.state import Layout, State, refuse, signed_bits
from zkml.errors import ModelError
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QModel, QOp

__all__ = ["HANDLERS", "SOFTMAX_HANDLERS", "softmax_sources", "softmax_refusal",
           "rowdiv_excess", "MAX_MUL_OPERAND_BITS"]

_VARIABLE_DIVISOR = ("it divides by a computed value (a variable divisor); only the "
                     "normalisation of a Softmax over the last axis of a flat (B, n) tensor "
                     "divides by one (circuits/nonlinear.md section 7)")


def softmax_sources(model: QModel) -> set[str]:
    """ONNX nodes lowered as Softmax: an exp table and a division with the same source."""
    exp = {op.source for op in model.ops if op.op == "table" and op.attrs.get("fn") == "exp"}
    div = {op.source for op in model.ops if op.op == "div"}
    return {s for s in exp & div if s}


def softmax_refusal(op: QOp, why: str) -> ModelError:
    """The error for a lowered Softmax node the circuit cannot prove (named as the ONNX
    Softmax, not as the op of its lowering that noticed)."""
    return ModelError(f"node '{op.source}' (op Softmax) cannot be proven yet: {why}")


def _softmax_row(s: State, op: QOp, name: str) -> tuple[str | int, int, Layout]:
    """The gadget of a Softmax operand (or of its exp), its row length `n` and its layout:
    a flat `(rows, n)` tensor as it is (layout None: one row value per batch row); any
    other `(rows, d_1, .., n)` tensor as grouped rows (nonlinear.md section 12): held in
    the layout `(G, n)`, `G = prod d_a` (ONNX order, the Softmax axis last), moved there
    by a `rearrange` if it is held otherwise. The quantizer moves any other Softmax axis
    last with explicit transposes, so the reduction is always over the last axis."""
    t = s.model.tensor(name)
    rank = len(t.shape)
    # The division has no axes: it divides by a sum kept along the last axis.
    axes = [int(a) % max(rank, 1) for a in op.attrs.get("axes", [-1])]
    if rank < 2 or t.shape[0] != s.rows or axes != [rank - 1]:
        raise softmax_refusal(op, f"Softmax over axis {list(op.attrs.get('axes', [-1]))} of a "
                                  f"{list(t.shape)} tensor: only over a last axis, with "
                                  f"{s.rows} row(s)")
    n = int(t.shape[-1])
    if n < 2:
        raise softmax_refusal(op, "Softmax over a single feature (it is the constant 1; "
                                  "drop it)")
    if rank == 2 and s.layout(name) is None:
        return s.ref(op, name), n, None
    groups = int(np.prod(t.shape[1:-1], dtype=np.int64))
    grouped = (groups, n)
    if name not in s.grouped:  # (the max and the shift read the same grouped operand)
        s.grouped[name] = (rearrange.hold(s, op, name, grouped), grouped)
    ref, layout = s.grouped[name]
    return ref, n, layout


def _groups(layout: Layout) -> int:
    """Row values per batch row: `G` of a grouped `(G, n)` layout, 1 for a flat row."""
    return 1 if layout is None else layout[0]


def _softmax_max(s: State, op: QOp) -> None:
    """Softmax's `reduce_max` over the row -> `rowmax` (shift 0, no excess, the operand's
    clamp range, `diff_bits = bits(hi_x - lo_x)`) of `G` features (one per group)."""
    x, n, layout = _softmax_row(s, op, op.inputs[0])
    lo, hi = s.clamp_range(x)
    s.add_gadget(op, s.model.tensor(op.output), max(abs(lo), abs(hi)),
                 RowMax(x, n, max(1, bits(hi - lo))), None, features=_groups(layout), shift=0)
    # z is the row maximum itself: it keeps the operand's range (no clamp, no excess).
    s.gadgets[-1]["lo"], s.gadgets[-1]["hi"] = lo, hi


def _softmax_shift(s: State, op: QOp) -> None:
    """Softmax's `add(x, -max)`: the row-broadcast `add` of the row maxima (one value per
    row or per group, nonlinear.md sections 6 and 12) to the operand as the max read it."""
    x_name, m_name = op.inputs
    x, _, layout = _softmax_row(s, op, x_name)
    y = s.ref(op, m_name)
    if s.width(y) != _groups(layout):
        raise softmax_refusal(op, "internal: the row maxima are not one value per row")
    s.add_gadget(op, s.model.tensor(op.output), accumulator_bound(s.model, op),
                 Add(x, y, tuple(op.attrs["signs"]), tuple(op.attrs["lshifts"])), layout,
                 shift=op.attrs["shift"])


def _softmax_sum(s: State, op: QOp) -> None:
    """Softmax's `reduce_sum` of the exps over the row -> `spatialsum` with
    `in_shape = [G, n]` (`G` features; `[1, n]` for a flat row; no division)."""
    x, n, layout = _softmax_row(s, op, op.inputs[0])
    g = _groups(layout)
    s.add_gadget(op, s.model.tensor(op.output), accumulator_bound(s.model, op),
                 SpatialSum(x, (g, n), 0), None, features=g, shift=0)


def rowdiv_excess(lshift: int, x_range: tuple[int, int], lo: int, hi: int, y_min: int = 1
                  ) -> tuple[int, int]:
    """Excess widths `(E+, E-)` of a rowdiv whose divisor is at least `y_min >= 1`:
    `q = floor((2^(l+1) x + y) / (2 y))` lies between the values at `y = y_min` of
    `min(lo_x, 0)` and `max(hi_x, 0)` (for `x >= 0` it falls as `y` grows, for `x < 0` it
    rises)."""
    top, bottom = max(x_range[1], 0) << (lshift + 1), min(x_range[0], 0) << (lshift + 1)
    q_max, q_min = (top + y_min) // (2 * y_min), (bottom + y_min) // (2 * y_min)
    return bits(max(q_max - hi, 0)), bits(max(lo - q_min, 0))


def _softmax_exp_floor(s: State, op: QOp, x: str | int, y: str | int
                       ) -> tuple[tuple[int, int], int]:
    """The exps' actual range `[min T, max T]` and the least row sum `y_min >= 1`, from the
    lowered Softmax's structure: `x = table(d)`, `d = add(v, -rowmax(v))` (a clamp range
    containing 0) and `y` the spatial sum of `x` over the row. Every row (padded rows
    included) has an entry with `d = 0`, so its sum is at least `T[0 - lo_d]` when no entry
    of `T` is negative; the rowdiv relies on `y >= 1`, so anything else is refused."""
    gs = s.gadgets

    def producer(ref: str | int) -> Producer | None:
        return None if ref == "input" else gs[int(ref)]["producer"]

    xp, yp = producer(x), producer(y)
    ok = isinstance(xp, Table) and isinstance(yp, SpatialSum) and yp.x == x
    if ok:
        d = xp.x
        dp = producer(d)
        ok = isinstance(dp, Add) and dp.y != "input"
    if ok:
        dg = gs[int(d)]
        mp = producer(dp.y)
        ok = isinstance(mp, RowMax) and mp.x == dp.x and tuple(dp.signs) == (1, -1) \
            and tuple(dp.lshifts) == (0, 0) and dg["lo"] <= 0 <= dg["hi"]
    if not ok:
        raise softmax_refusal(op, "internal: the lowered Softmax does not have the shape "
                                  "rowmax / add / table / row sum / div")
    table = s.stack[xp.table][1].reshape(-1)
    y_min = min(int(table[-dg["lo"]]), gs[int(y)]["hi"])
    if int(table.min()) < 0 or y_min < 1:
        raise softmax_refusal(op, "the exp table has negative entries or exp(0) = 0 (a row "
                                  "sum could be 0); use a precision with more activation bits")
    return (int(table.min()), int(table.max())), y_min


def _softmax_div(s: State, op: QOp) -> None:
    """Softmax's `div` of the exps by their row sums -> `rowdiv` (shift 0, divisor 1,
    `rem_bits = bits(2 hi_y - 1)`), in the exps' layout."""
    m = s.model
    e_name, s_name = op.inputs
    x, n, layout = _softmax_row(s, op, e_name)
    y = s.ref(op, s_name)
    if y == "input" or s.width(y) != _groups(layout):
        raise softmax_refusal(op, f"the divisor {s_name!r} is not one value per row")
    lshift = int(op.attrs["lshift"])
    hi_y = s.clamp_range(y)[1]
    out = m.tensor(op.output)
    if not 0 <= lshift <= MAX_BITS or hi_y < 1:
        raise softmax_refusal(op, f"a division with lshift {lshift} by a sum bounded by {hi_y}")
    x_range, y_min = _softmax_exp_floor(s, op, x, y)
    s.add_gadget(op, out, accumulator_bound(m, op), RowDiv(x, y, lshift, bits(2 * hi_y - 1)),
                 layout, shift=0)
    s.gadgets[-1]["excess"] = rowdiv_excess(lshift, x_range, out.lo, out.hi, y_min)


def _operand_range(s: State, op: QOp, name: str) -> str | int:
    """The gadget reference of `name` with the clamp range `[t.lo, t.hi]` of its IR
    tensor `t` (the table domain): the input or a gadget with those bounds as it is,
    otherwise a new `identity` gadget (shift 0) with exactly those bounds."""
    t = s.model.tensor(name)
    ref = s.ref(op, name)
    if s.clamp_range(ref) == (t.lo, t.hi):
        return ref
    layout = s.layout(name)
    s.add_gadget(op, t, max(abs(t.lo), abs(t.hi)), Identity(ref), layout, shift=0)
    s.refs[name] = len(s.gadgets) - 1  # later readers of `name` may use it too
    return len(s.gadgets) - 1


def _table(s: State, op: QOp) -> None:
    m = s.model
    src, tname = op.inputs
    tin, out = m.tensor(src), m.tensor(op.output)
    if tname not in m.constants:
        raise refuse(op, "the table is not a constant")
    table = np.asarray(m.constants[tname], dtype=np.int64).reshape(-1)
    t = tin.bits
    if not 1 <= t <= MAX_TABLE_BITS:
        raise refuse(op, f"the table's domain has 2^{t} entries; at most "
                         f"2^{MAX_TABLE_BITS} are supported (use a smaller table_bits)")
    if table.size != 1 << t or tin.hi - tin.lo + 1 != 1 << t:
        raise refuse(op, f"table of {table.size} entries for a {t}-bit operand")
    width = signed_bits(table)
    if width > MAX_RANGE_BITS:
        raise refuse(op, f"the table's values need {width} bits but the model stack commits "
                         f"at most {MAX_RANGE_BITS}-bit entries (the output has "
                         f"{out.bits}-bit activations; use precision 'balanced' or 'small')")
    layout = s.layout(src)
    x = _operand_range(s, op, src)
    # A table is a public function of public scales: its values' width is public.
    name = s.stack_tensor(tname, np.ascontiguousarray(table.reshape(1, -1)), width)
    if s.view(op, tin, layout) >= 2:
        s.add_gadget(op, out, max(abs(out.lo), abs(out.hi)), Table(x, name), layout, shift=0)
        return
    # One feature (a one-logit sigmoid): the lookup tree of one example would have depth
    # 0 (logup.md needs >= 1), so look up two copies of the entry and keep the first.
    pair = rearrange.repeat_flat(s, op, x, 1, 2)
    s.add_gadget(op, out, max(abs(out.lo), abs(out.hi)), Table(pair, name), None,
                 features=2, shift=0)
    rearrange.repeat_flat(s, op, len(s.gadgets) - 1, 2, 1, out)


#: Operand ranges of a `mul` gadget stay below 2^31 (nonlinear.md section 8), so no
#: product wraps around.
MAX_MUL_OPERAND_BITS = 31


def _mul(s: State, op: QOp) -> None:
    """`mul` of a computed tensor by a constant -> `_scale_by_constant`; of two computed
    tensors of the same shape and layout -> a `mul` gadget (nonlinear.md section 8)."""
    m = s.model
    a, b = op.inputs
    consts = [n for n in (a, b) if n in m.constants]
    if not consts:
        _product(s, op)
        return
    if len(consts) == 2:
        raise refuse(op, "both operands are constants")
    c_name = consts[0]
    _scale_by_constant(s, op, b if c_name == a else a, c_name)


#: A per-feature scale of a flat tensor is a dense gadget with a diagonal weight:
#: pad(n)^2 model-stack entries, so only for tensors up to this many features.
MAX_DIAGONAL_FEATURES = 512
#: A scalar multiplier of a flat tensor: a diagonal weight up to this many features,
#: beyond them a one-channel `conv` between two moves (`_scalar_on_a_row_map`), whose
#: cost grows with n rather than n^2 (quantization.md, "What the circuit may depend on").
MAX_SCALAR_DIAGONAL_FEATURES = 64


def _scale_by_constant(s: State, op: QOp, x_name: str, c_name: str) -> None:
    """`x * c` with `c` a scalar or one value per channel of a spatial tensor (an unfolded
    BatchNormalization, a layer scale) -> a depthwise 1x1 `conv` gadget (groups = C); with
    `c` a scalar or one value per feature of a flat tensor -> a `dense` gadget with a
    diagonal weight. Either way `c` is read from the model stack: a scalar is never an
    `affine` coefficient, which the public circuit would show (quantization.md, "What the
    circuit may depend on"). Other constant shapes are refused."""
    m = s.model
    c = np.asarray(m.constants[c_name]).astype(np.int64)
    out, t_x = m.tensor(op.output), m.tensor(x_name)
    if t_x.shape != out.shape:
        raise refuse(op, "broadcasting multiplication is not supported")
    shape = tuple(out.shape)
    full = (1,) * (len(shape) - c.ndim) + tuple(c.shape)
    scalar = c.size == 1 and c.ndim <= len(shape)
    layout = s.layout(x_name)
    per_channel = len(shape) >= 3 and all(d == 1 for i, d in enumerate(full) if i != 1) \
        and full[1] == shape[1]
    if layout is not None and len(shape) >= 3 and (scalar or per_channel):
        spatial.channel_scale(s, op, x_name, c_name)
        return
    if len(shape) == 2 and scalar and (layout is not None or
                                       shape[1] > MAX_SCALAR_DIAGONAL_FEATURES):
        _scalar_on_a_row_map(s, op, x_name, c_name)
        return
    if layout is None and len(shape) == 2 and (scalar or (full[0] == 1 and
                                                          full[1] == shape[1])):
        n = shape[1]
        if n > MAX_DIAGONAL_FEATURES:
            raise refuse(op, f"a per-feature scale of {n} features (a {n} x {n} diagonal "
                             f"weight); at most {MAX_DIAGONAL_FEATURES} features")
        x = s.ref(op, x_name)
        diag = np.diag(np.broadcast_to(c.reshape(-1), (n,)))
        weight = s.stack_tensor(c_name, diag, m.tensor(c_name).bits, ("diagonal",))
        s.add_gadget(op, out, accumulator_bound(m, op), Dense(x, weight),
                     shift=op.attrs["shift"])
        return
    raise refuse(op, f"multiplication by a constant of shape {list(c.shape)}: only a scalar, "
                     "one value per channel of an (N, C, ...) tensor or one value per "
                     "feature of an (N, F) tensor")


def _scalar_on_a_row_map(s: State, op: QOp, x_name: str, c_name: str) -> None:
    """`x * c` with `c` a scalar and `x` a flat `(N, n)` tensor of more than
    `MAX_SCALAR_DIAGONAL_FEATURES` features (or held in a padded `(C,)` layout): `x`
    moved into a one-channel map `(1, n)` (a `rearrange`), a depthwise 1x1 `conv` with
    `c` as its one model-stack weight, the result moved back to a flat tensor. Two moves
    of `n` entries instead of `pad(n)^2` stack entries."""
    out = s.model.tensor(op.output)
    n = s.row_view(op, out)
    row = (1, n)
    moved = rearrange.move(s, op, [x_name], [row], 0, (0, 1), row)
    spatial.depthwise_scale(s, op, moved, row, c_name)
    rearrange.move(s, op, [out.name], [(n,)], 0, (0,), None, out)


def _product(s: State, op: QOp) -> None:
    """`acc = x y` elementwise, then the op's shift and clamp: both operands of the output's
    shape and layout (width == features; a broadcasting operand is first moved into that
    shape and layout by a `rearrange`), each operand's range below 2^31 and
    `|x y| + 2^shift` below 2^62 (the executor's bound: no wraparound)."""
    m = s.model
    a_name, b_name = op.inputs
    out = m.tensor(op.output)
    if m.tensor(a_name).shape != out.shape:
        a_name, b_name = b_name, a_name  # x has the product's shape; y may broadcast
    y: str | int
    if m.tensor(a_name).shape != out.shape:
        # Both broadcast ((N, C, 1) * (N, 1, W)): both moved into the product's shape.
        x, y, layout = rearrange.broadcast_both(s, op, a_name, b_name, out)
    else:
        layout = s.layout(a_name)
        x = s.ref(op, a_name)
        if m.tensor(b_name).shape != out.shape:
            # A gate (N, C, 1, 1) over a map (N, C, H, W), ...: moved into x's layout
            # first (circuits/rearrange.md), then the same-shape product.
            y = rearrange.broadcast_like(s, op, b_name, a_name)
        elif s.layout(b_name) != layout:
            raise refuse(op, "the operands are laid out differently (a spatial tensor and a "
                             "flattened one)")
        else:
            y = s.ref(op, b_name)
    # (both broadcast: a result of any rank held in the operands' layout and width)
    n = s.width(x) if m.tensor(a_name).shape != out.shape else s.view(op, out, layout)
    if s.width(x) != n or s.width(y) != n:
        raise refuse(op, f"operands of widths {s.width(x)} and {s.width(y)} for a "
                         f"{n}-feature product")
    mags = []
    for ref in (x, y):
        lo, hi = s.clamp_range(ref)
        mag = max(abs(lo), abs(hi))
        if mag >> MAX_MUL_OPERAND_BITS:
            raise refuse(op, f"an operand ranges over [{lo}, {hi}]; a product's operands "
                             f"must stay below 2^{MAX_MUL_OPERAND_BITS} in magnitude "
                             "(use a precision with fewer activation bits)")
        mags.append(mag)
    bound = mags[0] * mags[1]
    shift = int(op.attrs["shift"])
    if not 0 <= shift <= MAX_BITS or bound + (1 << shift) >= 1 << 62:
        raise refuse(op, f"the product could reach {bound} (with the shift {shift}); it "
                         "must stay below 2^62")
    s.add_gadget(op, out, bound, Mul(x, y), layout, features=n, shift=shift)


def _variable_divisor(s: State, op: QOp) -> None:
    raise refuse(op, _VARIABLE_DIVISOR)


def _reduce_sum(s: State, op: QOp) -> None:
    raise refuse(op, "a sum over axes is proven only as GlobalAveragePool / ReduceMean over "
                     "the spatial axes of an (N, C, ...) tensor")


HANDLERS: dict[str, Callable[[State, QOp], None]] = {
    "table": _table, "mul": _mul, "div": _variable_divisor, "reduce_sum": _reduce_sum,
}
#: The ops of a lowered Softmax that differ from their generic handlers (its exp is the
#: generic `table`; its transposes, for an axis that is not last, the generic ones).
SOFTMAX_HANDLERS: dict[str, Callable[[State, QOp], None]] = {
    "reduce_max": _softmax_max, "add": _softmax_shift, "reduce_sum": _softmax_sum,
    "div": _softmax_div,
}
