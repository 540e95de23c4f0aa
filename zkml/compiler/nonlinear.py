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
- `mul` by a scalar constant -> a one-term `affine` gadget `c x` with the op's shift.
- Softmax (lowered to reduce_max / add / table(exp) / reduce_sum / div), `div` and
  `reduce_sum` are refused: they divide by a computed value, and the circuit only has
  constant divisors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from zkml.compiler.circuit import MAX_COEFF_BITS, MAX_RANGE_BITS, MAX_TABLE_BITS
from zkml.compiler.state import State, refuse, signed_bits
from zkml.errors import ModelError
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QModel, QOp

__all__ = ["HANDLERS", "softmax_sources", "softmax_refusal"]

_VARIABLE_DIVISOR = ("it divides by a computed value (a variable divisor), and "
                     "circuits/nonlinear.md has only constant divisors so far")


def softmax_sources(model: QModel) -> set[str]:
    """ONNX nodes lowered as Softmax: an exp table and a division with the same source."""
    exp = {op.source for op in model.ops if op.op == "table" and op.attrs.get("fn") == "exp"}
    div = {op.source for op in model.ops if op.op == "div"}
    return {s for s in exp & div if s}


def softmax_refusal(op: QOp) -> ModelError:
    """The error for any op of a lowered Softmax node."""
    return ModelError(
        f"node '{op.source}' (op Softmax) cannot be proven yet: its normalisation "
        f"exp(x - max) / sum exp(x - max) {_VARIABLE_DIVISOR} (end the model before the "
        "Softmax, or with an ArgMax: the largest logit is the most probable class)")


def _operand_range(s: State, op: QOp, name: str) -> str | int:
    """The gadget reference of `name` with the clamp range `[t.lo, t.hi]` of its IR
    tensor `t` (the table domain): the input or a gadget with those bounds as it is,
    otherwise a new `identity` gadget (shift 0) with exactly those bounds."""
    t = s.model.tensor(name)
    ref = s.ref(op, name)
    if s.clamp_range(ref) == (t.lo, t.hi):
        return ref
    layout = s.layout(name)
    s.add_gadget(op, t, max(abs(t.lo), abs(t.hi)), layout, op="identity", x=ref, shift=0)
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
    if s.view(op, tin, layout) < 2:
        raise refuse(op, "a function table on a single-feature tensor (e.g. a one-logit "
                         "sigmoid output) is not supported yet: its lookup tree would have "
                         "depth 0 for one example (logup.md needs depth >= 1)")
    x = _operand_range(s, op, src)
    name = s.stack_tensor(tname, np.ascontiguousarray(table.reshape(1, -1)))
    s.add_gadget(op, out, max(abs(out.lo), abs(out.hi)), layout, op="table", x=x, table=name,
                 shift=0)


def _mul(s: State, op: QOp) -> None:
    """`mul` of a computed tensor by a scalar constant -> `affine([(x, c)])`, shift."""
    m = s.model
    a, b = op.inputs
    consts = [n for n in (a, b) if n in m.constants]
    if not consts:
        raise refuse(op, "the product of two computed tensors has no gadget yet (GELU "
                         "exported as Div/Erf/Add/Mul/Mul, x * sigmoid(x), ...; export GELU "
                         "as the ONNX Gelu op, opset >= 20)")
    if len(consts) == 2:
        raise refuse(op, "both operands are constants")
    c_name = consts[0]
    x_name = b if c_name == a else a
    c = np.asarray(m.constants[c_name])
    if c.size != 1:
        raise refuse(op, f"multiplication by a constant of shape {c.shape}: only scalar "
                         "constants are supported")
    coeff = int(c.reshape(-1)[0])
    if abs(coeff) >> MAX_COEFF_BITS:
        raise refuse(op, f"the constant {coeff} is too wide")
    out = m.tensor(op.output)
    if m.tensor(x_name).shape != out.shape:
        raise refuse(op, "broadcasting multiplication is not supported")
    x = s.ref(op, x_name)
    layout = s.layout(x_name)
    terms = [(x, coeff)]
    s.add_gadget(op, out, accumulator_bound(m, op), layout, op="affine", x=x, terms=terms,
                 shift=op.attrs["shift"])


def _variable_divisor(s: State, op: QOp) -> None:
    raise refuse(op, _VARIABLE_DIVISOR)


def _reduce_sum(s: State, op: QOp) -> None:
    raise refuse(op, "a sum over axes is proven only as GlobalAveragePool / ReduceMean over "
                     "the spatial axes of an (N, C, ...) tensor")


HANDLERS: dict[str, Callable[[State, QOp], None]] = {
    "table": _table, "mul": _mul, "div": _variable_divisor, "reduce_sum": _reduce_sum,
}
