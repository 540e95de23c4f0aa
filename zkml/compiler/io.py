"""A circuit's one input and one output for models with several of each.

The statement of an inference proof holds one input tensor and one output gadget
(circuits/inference.md section 4). A model with several inputs or outputs is proven
through flat concatenations, per row:

- **Inputs.** The circuit's input is every model input's entries (ONNX order) one after
  the other, in `QModel.inputs` order, at one common scale (the quantizer gives every
  input the same `frac_bits` and `bits` when there are several). Each model input is a
  `rearrange` of `"input"` (one block at the input's offset) into the layout its readers
  need (`zkml.compiler.rearrange.target_layout`: spatial `(C, S..)` for convolutions and
  pooling, flat otherwise). All inputs must have the same leading batch dimension.
- **Outputs.** Every output is brought to the finest output scale `f_max` by an exact
  `affine` gadget (coefficient `2^(f_max - f_k)`, shift 0) when it is coarser, then one
  `rearrange` concatenates their flat views in the model's output order. An ArgMax
  output cannot be combined with others.

`IOPart` records each part's name, per-row size and scale, so that the API can split
the statement per name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zkml.compiler import rearrange
from zkml.compiler.circuit import MAX_COEFF_BITS
from zkml.compiler.producers import Affine
from zkml.compiler.state import State
from zkml.errors import ModelError
from zkml.quant.ir import QModel, QOp
from zkml.quant.rounding import INT64_LIMIT_BITS

__all__ = ["IOPart", "check_inputs", "split_inputs", "join_outputs"]


@dataclass(frozen=True)
class IOPart:
    """One model input or output inside the circuit's flat input or output row.

    Attributes:
        name: the model input's name, or the output's public name (a key of
            `QModel.outputs`).
        features: its entries per row (ONNX order), at `offset` in the flat row.
        frac_bits: its own scale is `2^-frac_bits` (an output's statement values are at
            the circuit's output scale, `2^(f_out - frac_bits)` times its own values).
        offset: where its entries start in the flat row.
    """

    name: str
    features: int
    frac_bits: int
    offset: int = 0

    def to_json(self) -> dict:
        """The compiled file's record (`circuit/meta.json`)."""
        return {"name": self.name, "features": self.features, "frac_bits": self.frac_bits,
                "offset": self.offset}

    @classmethod
    def from_json(cls, d: dict) -> IOPart:
        """Parse a record; TypeError / ValueError / KeyError when malformed."""
        if not isinstance(d, dict) or set(d) != {"name", "features", "frac_bits", "offset"}:
            raise ValueError("an input/output record needs name, features, frac_bits, offset")
        if not isinstance(d["name"], str) or any(
                type(d[k]) is not int for k in ("features", "frac_bits", "offset")):
            raise TypeError("malformed input/output record")
        if d["features"] < 1 or d["offset"] < 0:
            raise ValueError("input/output record with a bad size or offset")
        return cls(d["name"], d["features"], d["frac_bits"], d["offset"])


def _count(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape[1:], dtype=np.int64))


def check_inputs(model: QModel) -> tuple[int, list[IOPart]]:
    """The rows per run and the inputs' places in the flat input row; ModelError when an
    input has no batch dimension, the batch dimensions differ, or (several inputs) the
    inputs' scales differ."""
    parts, rows, first, off = [], None, None, 0
    for name in model.inputs:
        t = model.tensor(name)
        if len(t.shape) < 2:
            raise ModelError(f"input {name!r} has shape {t.shape}; proofs need a leading "
                             "batch dimension")
        if rows is None:
            rows, first = int(t.shape[0]), t
        elif t.shape[0] != rows:
            raise ModelError(f"inputs {first.name!r} (shape {first.shape}) and {name!r} "
                             f"(shape {t.shape}) have different leading batch dimensions; "
                             "a proof's inputs must share one")
        elif (t.frac_bits, t.bits) != (first.frac_bits, first.bits):
            raise ModelError(f"inputs {first.name!r} and {name!r} are quantized at different "
                             "scales; recompile the model (zkml gives several inputs one "
                             "scale)")
        n = _count(t.shape)
        parts.append(IOPart(name, n, t.frac_bits, off))
        off += n
    if rows is None:
        raise ModelError("the model has no input")
    return rows, parts


def split_inputs(s: State, parts: list[IOPart]) -> None:
    """Each model input as a `rearrange` of the circuit's flat input: one block reading
    its entries at its offset, into the layout its readers need."""
    m = s.model
    for p in parts:
        t = m.tensor(p.name)
        op = QOp("input", f"input:{p.name}", (), p.name, {}, p.name)
        rearrange.gather_input(s, op, p.offset, p.features, rearrange.target_layout(s, t), t)


def join_outputs(s: State, model: QModel) -> tuple[int, list[IOPart]]:
    """The circuit's output gadget for several outputs: each brought to the finest output
    scale (an exact affine), then one flat `rearrange` of them all, in output order.
    Returns the gadget and the outputs' places in the flat output row."""
    items = []
    for out_name, tensor in model.outputs.items():
        ref = s.refs.get(tensor)
        if ref is None or ref == "input":
            raise ModelError(f"output {out_name!r} is not computed by a provable op")
        t = model.tensor(tensor)
        # (a rank-1 output, e.g. an ArgMax without keepdims, is one value per row)
        if not t.shape or t.shape[0] != s.rows:
            raise ModelError(f"output {out_name!r} has shape {t.shape}; expected {s.rows} "
                             "row(s)")
        items.append((out_name, t))
    f_max = max(t.frac_bits for _, t in items)
    parts, srcs, views, off = [], [], [], 0
    for out_name, t in items:
        ref = s.refs[t.name]
        if s.layout(t.name) is None and s.gadgets[int(ref)]["producer"].SPATIAL:
            ref = rearrange.flat_output(s, t.name)
            s.refs[t.name], s.layouts[t.name] = ref, None
        d = f_max - t.frac_bits
        if d and t.name not in srcs:
            _scale(s, out_name, t.name, ref, d, f_max)
        n = _count(t.shape)
        parts.append(IOPart(out_name, n, t.frac_bits, off))
        if t.name not in srcs:
            srcs.append(t.name)
            views.append((n,))
        off += n
    # One block per distinct tensor, then every output's block (an output named twice
    # reads the same part).
    index = rearrange.concat_flat(s, _output_op(model), srcs,
                                  [srcs.index(model.outputs[p.name]) for p in parts])
    s.gadgets[index]["frac_bits"] = f_max
    return index, parts


def _output_op(model: QModel) -> QOp:
    last = list(model.outputs.values())[-1]
    op = next((o for o in reversed(model.ops) if o.output == last), None)
    return op or QOp("output", "output", (), last, {}, "output")


def _scale(s: State, out_name: str, tensor: str, ref: str | int, d: int, f_max: int) -> None:
    """`2^d x` exactly (an affine gadget with shift 0), mapped onto the tensor `ref` holds
    (the witness check knows single-term affines as helpers); `tensor` then refers to it."""
    lo, hi = s.clamp_range(ref)
    top = max(abs(lo), abs(hi)) << d
    if d >= MAX_COEFF_BITS or top + 1 >= 1 << INT64_LIMIT_BITS:
        raise ModelError(f"output {out_name!r} is {d} bits coarser than the finest output; "
                         f"bringing it to that scale would exceed the circuit's value limits "
                         "(prove the outputs separately: compile with outputs=[name] in "
                         "Python, --outputs NAME on the command line)")
    c = 1 << d
    g = s.gadgets[int(ref)] if ref != "input" else None
    s.gadgets.append(dict(producer=Affine(((ref, c),)), features=s.width(ref),
                          shift=0, lo=lo * c, hi=hi * c, frac_bits=f_max,
                          source=(g or {}).get("source", out_name), bound=top,
                          layout=s.layout(tensor)))
    s.tips.append(s.tensor_of(ref))
    s.refs[tensor] = len(s.gadgets) - 1
