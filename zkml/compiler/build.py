"""QModel -> circuit description and model stack (circuits/inference.md sections 1-3, 6).

The quantized IR's ops are fused into gadgets:

- `matmul` (weight on the right, constant, 2-D) with optional bias -> `dense`;
- `add` of two computed tensors of the same shape -> `add`; when one operand broadcasts
  (numpy rules, not along the batch), it is first moved into the other's shape and
  layout by a `rearrange` (circuits/rearrange.md);
- `rescale` -> `identity` with the rescale's shift;
- `leaky_relu` (alpha, alpha_shift = k) of x -> three `affine` gadgets (inference.md
  section 2): `y+ = clamp(x, 0, max(hi_x, 0))`, `y- = clamp(-x, 0, max(-lo_x, 0))` (shift
  0), then `2^k y+ - alpha y-` with shift k and the output's saturation bounds;
- `relu` / `clip` right after a gadget whose tensor nothing else reads -> the gadget's
  clamp bounds shrink (`lo = max(lo, 0)` for ReLU, the clip range for Clip); otherwise
  -> an `identity` gadget;
- `reshape` that keeps the row count (flatten of the input, a 2-D no-op) -> bookkeeping;
  a flatten of a spatial tensor keeps its padded layout and the next dense layer's weight
  columns are scattered into it; a reshape into a layout the readers need (a flat tensor
  into channels for a convolution, a spatial tensor into another spatial shape),
  `transpose` keeping the batch axis, and the flat copy of a spatial output -> `rearrange`
  (circuits/rearrange.md; see `zkml.compiler.rearrange`);
- `conv`, `avgpool` (power-of-two windows), `maxpool` / `reduce_max` over the spatial
  axes -> `conv`, `sumpool`, `maxpool` gadgets; other pooling windows (padded, dilated,
  overlapping, any kernel) -> `winsum`, `winmax` (circuits/conv.md sections 2-5; see
  `zkml.compiler.spatial`); `mean` over the spatial axes (GlobalAveragePool, ReduceMean)
  of any sizes -> `spatialsum` with a constant divisor (circuits/nonlinear.md);
- `table` (Sigmoid, Tanh, Erf, Gelu, Exp) -> `table` gadgets with the table in the model
  stack, `mul` by a constant -> a depthwise `conv` or diagonal `dense` (the constant in
  the model stack, never public), `mul` of two computed tensors of the
  same shape -> `mul` (nonlinear.md section 8; see `zkml.compiler.nonlinear`);
- `add` of a constant tensor (`x + c`, `x - c`, GELU's `1 + erf`) -> `addconst`, `concat`
  along the channels / features -> `concat` (nonlinear.md sections 10-11; see
  `zkml.compiler.combine`); `concat` along any other non-batch axis or of parts in other
  layouts (flat with spatial) -> `rearrange`;
- `max2` (ONNX Max, Min, Abs) -> `max2` (circuits/max.md), lowered in the gadget's own
  module `zkml.compiler.producers.max2` (every gadget module's `LOWERINGS` join the table
  here);
- `argmax` over the features of a gadget's tensor, as the model's output -> the circuit's
  ArgMax output (inference.md section 4b: the statement holds one index per row).

- Softmax over the last axis of a flat `(B, n)` tensor -> rowmax, row-broadcast add, exp
  table, spatialsum over the row, rowdiv (circuits/nonlinear.md sections 6-7; see
  `zkml.compiler.nonlinear`); `add` of a `(B, 1)` tensor to a flat `(B, n)` one broadcasts
  it as `y`.

Every gadget carries a `divisor` (1 unless it divides by a constant that is not a power of
two). The circuit's `limb_bits` (8 or 16, nonlinear.md section 5) is the width whose
witness for one run is smaller, 8 on a tie. Anything else raises
`ModelError("node 'X' (op Y) cannot be proven yet: why")`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from zkml.compiler import argmax, combine, io, nonlinear, rearrange, spatial, volume
from zkml.compiler.circuit import (
    LIMB_BITS,
    MAX_BITS,
    MAX_COEFF_BITS,
    MAX_RANGE_BITS,
    Circuit,
    Gadget,
    ModelStack,
    StackTensor,
    assign_slots,
    bits,
    ceil_log2,
)
from zkml.compiler.circuit_load import circuit_from_bytes
from zkml.compiler.producers import LOWERINGS, Add, Affine, Dense, Identity, Rearrange
from zkml.compiler.producers.base import Lowering
from zkml.compiler.shapes import is_volume, scatter_columns, volume_layout
from zkml.compiler.state import Layout, State, refuse, signed_bits
from zkml.errors import ModelError
from zkml.quant.executor import accumulator_bound
from zkml.quant.ir import QModel, QOp

__all__ = ["CompiledCircuit", "compile_circuit", "excess_bits", "choose_limb_bits"]

_FUSABLE = ("relu", "clip")


@dataclass
class CompiledCircuit:
    """The circuit, the model stack values, and how the circuit maps onto the model.

    Attributes:
        circuit: the circuit description.
        model_stack: int64 array of length 2^num_vars (weights and biases at their slots).
        gadget_tensors: per gadget, the IR tensor its output equals on the real region.
        input_name: the (first) model input; `rows` rows of `circuit.input_features` per
            run.
        output_name: the (first) public output's name (a key of `QModel.outputs`).
        rows: rows per executor run (the inputs' leading dimension).
        inputs: with several model inputs, each one's place in the circuit's input row
            (`zkml.compiler.io.IOPart`, `QModel.inputs` order); empty for one input.
        outputs: with several outputs, each one's place and own scale in the circuit's
            output row (the model's output order); empty for one output.
    """

    circuit: Circuit
    model_stack: np.ndarray
    gadget_tensors: list[str]
    input_name: str
    output_name: str
    rows: int
    inputs: list[io.IOPart] = field(default_factory=list)
    outputs: list[io.IOPart] = field(default_factory=list)

    @property
    def input_parts(self) -> list[io.IOPart]:
        """Every model input's place in the input row (one part for one input)."""
        c = self.circuit
        return self.inputs or [io.IOPart(self.input_name, c.input_features,
                                         c.input_frac_bits)]

    @property
    def output_parts(self) -> list[io.IOPart]:
        """Every output's place in the output row (one part for one output; an ArgMax
        output is one index at scale 1)."""
        c = self.circuit
        return self.outputs or [io.IOPart(self.output_name, c.statement_outputs,
                                          0 if c.argmax else c.output.frac_bits)]

    def meta_json(self) -> dict:
        """The mapping onto the model (stored beside the circuit in the compiled file);
        `inputs` / `outputs` only when there are several."""
        meta = {"gadget_tensors": list(self.gadget_tensors), "input": self.input_name,
                "output": self.output_name, "rows": self.rows}
        if self.inputs:
            meta["inputs"] = [p.to_json() for p in self.inputs]
        if self.outputs:
            meta["outputs"] = [p.to_json() for p in self.outputs]
        return meta


def excess_bits(acc_bound: int, shift: int, lo: int, hi: int, divisor: int = 1
                ) -> tuple[int, int]:
    """Widths of `e+ = max(q - hi, 0)` and `e- = max(lo - q, 0)` for `|acc| <= acc_bound`,
    `q` the round-half-up quotient by `2^shift` (divisor 1) or by `divisor`."""
    if divisor > 1:
        q_max = (acc_bound + divisor // 2) // divisor
        q_min = (-acc_bound + divisor // 2) // divisor
    else:
        half = (1 << (shift - 1)) if shift else 0
        q_max = (acc_bound + half) >> shift
        q_min = (-acc_bound + half) >> shift
    return bits(max(q_max - hi, 0)), bits(max(lo - q_min, 0))


def _dense(s: State, op: QOp) -> None:
    m = s.model
    if op.attrs["side"] != "right":
        raise refuse(op, "the weight must be the right operand")
    x = s.ref(op, op.inputs[0])
    n_x = s.row_view(op, m.tensor(op.inputs[0]))
    if op.inputs[1] not in m.constants:
        raise refuse(op, "the weight is not a constant")
    w = m.constants[op.inputs[1]]
    out = m.tensor(op.output)
    n_out = s.row_view(op, out)
    if w.ndim != 2 or w.shape != (n_x, n_out):
        raise refuse(op, f"weight shape {w.shape} is not ({n_x}, {n_out})")
    # A flattened spatial operand keeps its padded layout: scatter the weight's columns.
    wt = scatter_columns(np.ascontiguousarray(w.T), s.layout(op.inputs[0]))
    weight = s.stack_tensor(op.inputs[1], wt, m.tensor(op.inputs[1]).bits,
                            ("dense", s.layout(op.inputs[0])))
    bias, bshift = None, 0
    if len(op.inputs) > 2:
        b = m.constants[op.inputs[2]]
        if b.ndim > 2 or any(d != 1 for d in b.shape[:-1]) or \
                (b.ndim and b.shape[-1] not in (1, n_out)):
            raise refuse(op, f"bias shape {b.shape} is not a row of {n_out}")
        row = np.broadcast_to(b.reshape(-1), (n_out,)).reshape(1, n_out).astype(np.int64)
        bias, bshift = s.bias_tensor(op, row)
    s.add_gadget(op, out, accumulator_bound(m, op), Dense(x, weight, bias, bshift),
                 shift=op.attrs["shift"])


def _add(s: State, op: QOp) -> None:
    m = s.model
    if any(name in m.constants for name in op.inputs):
        combine.add_const(s, op)  # nonlinear.md section 10
        return
    a_name, b_name = op.inputs
    signs, lshifts = tuple(op.attrs["signs"]), tuple(op.attrs["lshifts"])
    out = m.tensor(op.output)
    if m.tensor(a_name).shape != out.shape:
        # The operand of the sum's shape is x; the other one is broadcast as y: swap.
        a_name, b_name = b_name, a_name
        signs, lshifts = signs[::-1], lshifts[::-1]
    if m.tensor(a_name).shape != out.shape:
        # Both broadcast ((N, C, 1) + (N, 1, W)): both moved into the sum's shape.
        x, y, layout = rearrange.broadcast_both(s, op, a_name, b_name, out)
        s.add_gadget(op, out, accumulator_bound(m, op), Add(x, y, signs, lshifts), layout,
                     features=s.width(x), shift=op.attrs["shift"])
        return
    x = s.ref(op, a_name)
    layout = s.layout(a_name)
    if m.tensor(b_name).shape == out.shape:
        if s.layout(b_name) != layout:
            raise refuse(op, "the operands are laid out differently (a spatial tensor and a "
                             "flattened one)")
        y = s.ref(op, b_name)
    elif m.tensor(b_name).shape == (s.rows, 1) and layout is None and len(out.shape) == 2:
        y = s.ref(op, b_name)  # one value per row, broadcast as `y` (nonlinear.md section 6)
    else:
        # (N, C, 1, 1) or (N, 1, H, W) over (N, C, H, W), ...: moved into x's layout first
        # (circuits/rearrange.md), then the same-shape add.
        y = rearrange.broadcast_like(s, op, b_name, a_name)
    s.add_gadget(op, out, accumulator_bound(m, op), Add(x, y, signs, lshifts), layout,
                 shift=op.attrs["shift"])


def _activation_range(op: QOp) -> tuple[int | None, int | None]:
    if op.op == "relu":
        return 0, None
    return op.attrs["lo"], op.attrs["hi"]


def _activation(s: State, op: QOp) -> None:
    m = s.model
    src = op.inputs[0]
    ref = s.ref(op, src)
    a_lo, a_hi = _activation_range(op)
    out = m.tensor(op.output)
    layout = s.layout(src)
    s.view(op, out, layout)
    # A maxpool's, table's or rowmax's clamp must not cut (z is the committed window
    # maximum, table entry or row maximum: shift 0, no excess).
    fusable = (ref != "input" and s.tips[int(ref)] == src and s.uses.get(src, 0) == 1
               and src not in m.outputs.values()
               and not s.gadgets[int(ref)]["producer"].EXACT
               and not isinstance(s.gadgets[int(ref)]["producer"], Rearrange))
    if fusable:
        g = s.gadgets[int(ref)]
        s.tips[int(ref)] = out.name
        s.layouts[out.name] = layout
    else:
        s.add_gadget(op, out, accumulator_bound(m, op), Identity(ref), layout, shift=0)
        g = s.gadgets[-1]
        # The identity's clamp starts from its input's own range.
        if ref != "input":
            g["lo"], g["hi"] = max(g["lo"], s.gadgets[int(ref)]["lo"]), \
                min(g["hi"], s.gadgets[int(ref)]["hi"])
    lo = g["lo"] if a_lo is None else max(g["lo"], a_lo)
    hi = g["hi"] if a_hi is None else min(g["hi"], a_hi)
    if lo > hi:
        raise refuse(op, f"the clip range is empty after saturation ([{lo}, {hi}])")
    g["lo"], g["hi"] = lo, hi
    s.refs[out.name] = s.refs[src] if fusable else len(s.gadgets) - 1


def _affine_bound(s: State, terms: list[tuple[str | int, int]]) -> int:
    """Static bound of `|sum_k c_k x_k|`: `sum_k |c_k| max|x_k|` over the operands' ranges."""
    return sum(abs(c) * max(abs(v) for v in s.clamp_range(x)) for x, c in terms)


def _leaky_relu(s: State, op: QOp) -> None:
    """LeakyRelu as three affine gadgets (inference.md section 2). The two shift-0 helpers
    `y+`, `y-` map onto the operand's tensor (the witness check knows them as single-term
    affine gadgets of the tensor they are mapped to); the last one is the op's output."""
    m = s.model
    src = op.inputs[0]
    x = s.ref(op, src)
    layout = s.layout(src)
    s.view(op, m.tensor(src), layout)
    out = m.tensor(op.output)
    n = s.view(op, out, layout)
    alpha, k = int(op.attrs["alpha"]), int(op.attrs["alpha_shift"])
    if not 0 <= k < min(MAX_BITS, MAX_COEFF_BITS) or abs(alpha) >> MAX_COEFF_BITS:
        raise refuse(op, f"the multiplier alpha = {alpha} / 2^{k} is too wide")
    lo_x, hi_x = s.clamp_range(x)
    source = op.source or op.name
    name_x = s.tensor_of(x)
    for coeff, top in ((1, max(hi_x, 0)), (-1, max(-lo_x, 0))):
        terms = [(x, coeff)]
        s.gadgets.append(dict(producer=Affine(terms), features=n, shift=0, lo=0,
                              hi=top, frac_bits=out.frac_bits, source=source,
                              bound=_affine_bound(s, terms), layout=layout))
        s.tips.append(name_x)
    pos, neg = len(s.gadgets) - 2, len(s.gadgets) - 1
    terms = [(pos, 1 << k), (neg, -alpha)]
    s.add_gadget(op, out, _affine_bound(s, terms), Affine(tuple(terms)), layout, shift=k)


def _rescale(s: State, op: QOp) -> None:
    x = s.ref(op, op.inputs[0])
    layout = s.layout(op.inputs[0])
    s.view(op, s.model.tensor(op.inputs[0]), layout)
    s.add_gadget(op, s.model.tensor(op.output), accumulator_bound(s.model, op), Identity(x),
                 layout, shift=op.attrs["shift"])


def _argmax(s: State, op: QOp) -> None:
    """The model's single output ArgMax over the features of an (N, F) tensor -> the
    statement's indices (inference.md section 4b); any other ArgMax -> an index tensor
    computed by gadgets (`zkml.compiler.argmax`)."""
    m = s.model
    src = m.tensor(op.inputs[0])
    ref = s.ref(op, src.name)
    a = op.attrs
    if len(src.shape) != 2 or int(a["axis"]) % 2 != 1 or len(m.outputs) != 1 or \
            op.output not in m.outputs.values():
        argmax.argmax_tensor(s, op)
        return
    if ref == "input" or s.layout(src.name) is not None:
        # The statement's indices count the features in ONNX order: a flat copy first.
        n = int(src.shape[1])
        ref = rearrange.move(s, op, [src.name], [(n,)], 0, (0,), None)
    s.argmax = op.output
    s.argmax_last = bool(a["select_last_index"])
    s.refs[op.output] = ref


def _lowering_table() -> dict[str, Lowering]:
    """IR op -> its lowering: this module's, the multi-gadget lowering modules' (a later
    module's entry replaces an earlier one's: `volume` dispatches to `spatial`,
    `rearrange`'s concat to `combine`'s), then the gadget modules' own `LOWERINGS`, which
    must not lower an op lowered here (caught at import)."""
    table = {"matmul": _dense, "add": _add, "relu": _activation, "clip": _activation,
             "rescale": _rescale, "argmax": _argmax,
             "leaky_relu": _leaky_relu, **spatial.HANDLERS, **volume.HANDLERS,
             **nonlinear.HANDLERS,
             **combine.HANDLERS, **rearrange.HANDLERS}
    if twice := sorted(table.keys() & LOWERINGS.keys()):
        raise RuntimeError(f"IR ops lowered both by zkml.compiler.build and by a gadget "
                           f"module of zkml.compiler.producers: {twice}")
    return {**table, **LOWERINGS}


_HANDLERS = _lowering_table()


#: Every proof's opening of the model stack sends one row combination of 2^log_cols
#: field elements, while the verifier's MSM covers the key's 2^(n - log_cols) row
#: commitments (fixed bases, the same for every proof). Past 2^9 columns (16 KB per
#: proof) a large model trades proof bytes for key rows.
MODEL_MAX_LOG_COLS = 9


def _model_stack(s: State) -> tuple[ModelStack, np.ndarray]:
    names = list(s.stack)
    sizes = [(1 << ceil_log2(a.shape[0])) * (1 << ceil_log2(a.shape[1]))
             for _, a, _, _ in s.stack.values()]
    offsets = assign_slots(sizes)
    total = sum(sizes)
    num_vars = max(1, ceil_log2(max(total, 1)))
    values = np.zeros(1 << num_vars, dtype=np.int64)
    tensors, range_bits = [], 0
    for name, off in zip(names, offsets, strict=True):
        _, arr, entry_bits, _ = s.stack[name]
        if signed_bits(arr) > entry_bits:
            raise ModelError(f"internal: model-stack tensor {name!r} exceeds its "
                             f"{entry_bits}-bit format")
        rows, cols = arr.shape
        width = 1 << ceil_log2(cols)
        view = values[off : off + (1 << ceil_log2(rows)) * width].reshape(-1, width)
        view[:rows, :cols] = arr
        tensors.append(StackTensor(name, rows, cols, off))
        # The formats' widths, not the values': the key's range table is public.
        range_bits = max(range_bits, entry_bits)
    if range_bits > MAX_RANGE_BITS:
        raise ModelError(f"model constants need {range_bits}-bit entries; at most "
                         f"{MAX_RANGE_BITS} bits can be committed (use a precision with "
                         f"weight_bits <= {MAX_RANGE_BITS})")
    return ModelStack(num_vars, min(num_vars // 2, MODEL_MAX_LOG_COLS), range_bits,
                      tuple(tensors)), values


def compile_circuit(model: QModel) -> CompiledCircuit:
    """Compile a quantized model into a circuit; `ModelError` if it cannot be proven yet.

    Several inputs or outputs are proven through flat concatenations (`zkml.compiler.io`):
    the circuit's input row is every model input side by side, its output row every
    output brought to the finest output scale."""
    rows, in_parts = io.check_inputs(model)
    inp = model.tensor(model.inputs[0])
    n_in = sum(p.features for p in in_parts)
    several = len(in_parts) > 1
    s = State(model, rows, n_in, input_layout=None if several else _input_layout(model))
    for op in model.ops:
        for name in op.inputs:
            s.uses[name] = s.uses.get(name, 0) + 1
    if several:
        io.split_inputs(s, in_parts)
    else:
        s.refs[inp.name] = "input"
        s.layouts[inp.name] = s.input_layout
    softmax = nonlinear.softmax_sources(model)
    for op in model.ops:
        handler = _HANDLERS.get(op.op)
        if op.source in softmax:
            handler = nonlinear.SOFTMAX_HANDLERS.get(op.op, handler)
        if handler is None:
            raise refuse(op)
        handler(s, op)
    if not model.outputs:
        raise ModelError("the model has no output")
    out_parts: list[io.IOPart] = []
    if len(model.outputs) > 1:
        ref, out_parts = io.join_outputs(s, model)
    else:
        ref = _single_output(s, model, rows)
    if not any(g["producer"].stack_tensors() for g in s.gadgets):
        raise ModelError("the model has no layer with constants (a weight, a table or an "
                         "added constant): there is nothing to prove")
    ref = rearrange.fuse_relabels(s, int(ref))
    stack, values = _model_stack(s)
    gadgets = tuple(_finish(g) for g in s.gadgets)
    circuit = Circuit(n_in, inp.bits, inp.frac_bits, int(ref), gadgets[int(ref)].features,
                      gadgets, stack, argmax=s.argmax is not None, input_shape=s.input_layout,
                      argmax_last=s.argmax_last)
    circuit = replace(circuit, limb_bits=choose_limb_bits(circuit, rows))
    # Round trip through the strict parser: the compiler never emits what a verifier refuses.
    circuit = circuit_from_bytes(circuit.to_bytes())
    _check_with_verifier(circuit)
    out_name = next(iter(model.outputs))
    return CompiledCircuit(circuit, values, list(s.tips), inp.name, out_name, rows,
                           in_parts if several else [], out_parts)


def _single_output(s: State, model: QModel, rows: int) -> int:
    """The output gadget of a model with one output (flat, ONNX order)."""
    out_name, out_tensor = next(iter(model.outputs.items()))
    ref = s.refs.get(out_tensor)
    if ref is None or ref == "input":
        raise ModelError(f"output {out_name!r} is not computed by a provable op")
    out_t = model.tensor(out_tensor)
    if s.argmax is not None and out_tensor != s.argmax:
        raise ModelError("ArgMax is supported only as the model's output")
    if s.argmax is None and (len(out_t.shape) < 2 or out_t.shape[0] != rows):
        raise ModelError(f"output {out_name!r} has shape {out_t.shape}; expected {rows} row(s)")
    if s.gadgets[int(ref)]["layout"] is not None or s.gadgets[int(ref)]["producer"].SPATIAL:
        # The statement carries the output in ONNX order, unpadded: copy it out of its
        # spatial (or padded flat) layout.
        ref = rearrange.flat_output(s, out_tensor)
    return int(ref)


def choose_limb_bits(circuit: Circuit, rows: int) -> int:
    """The limb width of nonlinear.md section 5: the `L` in {8, 16} whose witness for one
    run (`rows` rows: every limb column plus the `2^L`-entry `m`) is smaller, 8 on a tie."""
    sizes = {lb: circuit.witness_size(rows, lb) for lb in LIMB_BITS}
    return 16 if sizes[16] < sizes[8] else 8


def _input_layout(model: QModel) -> Layout:
    """The input's layout: spatial `(C, S_1(, S_2))` when it is an (N, C, S..) tensor that
    some op other than a reshape or a transpose reads (it feeds spatial ops; a transpose
    moves the entries of a flat input, e.g. NHWC -> NCHW, into the layout it needs), or
    when it is a flat (N, F) tensor that only reshapes read, all to the same (N, C, S..)
    (a flat input reshaped into channels: the statement keeps ONNX's order either way);
    flat otherwise."""
    inp = model.tensor(model.inputs[0])
    readers = [op for op in model.ops if inp.name in op.inputs]
    if len(inp.shape) == 2 and readers and all(op.op == "reshape" for op in readers):
        targets = {tuple(model.tensor(op.output).shape) for op in readers}
        if len(targets) == 1:
            (target,) = targets
            if len(target) in (3, 4) and target[0] == inp.shape[0]:
                return tuple(int(v) for v in target[1:])
        return None
    if len(inp.shape) not in (3, 4, 5):
        return None
    if all(op.op in ("reshape", "transpose") for op in readers):
        return None
    if is_volume(inp.shape):
        return volume_layout(inp.shape)
    return tuple(int(v) for v in inp.shape[1:])


def _check_with_verifier(circuit: Circuit) -> None:
    """The pure-Python verifier must accept the circuit, or no proof of it could verify."""
    from zkml.errors import ProofFormatError
    from zkml.verifier.circuit import parse_circuit

    try:
        parse_circuit(circuit.to_bytes())
    except ProofFormatError as exc:
        raise ModelError(f"the verifier refuses the compiled circuit: {exc.detail}") from None


def _finish(g: dict) -> Gadget:
    producer = g["producer"]
    divisor = g.get("divisor", 1)
    e_hi, e_lo = g.get("excess") or excess_bits(g["bound"], g["shift"], g["lo"], g["hi"],
                                                divisor)
    if producer.EXACT:
        e_hi = e_lo = 0  # z is a window maximum / table entry / row maximum within [lo, hi]
    return Gadget(producer, features=g["features"], shift=g["shift"], lo=g["lo"], hi=g["hi"],
                  excess_hi_bits=e_hi, excess_lo_bits=e_lo, frac_bits=g["frac_bits"],
                  source=g["source"], divisor=divisor)
