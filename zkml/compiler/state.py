"""The compiler's working state: gadgets built so far, IR tensor -> gadget references, and
the layout each tensor lives in (flat, or the padded spatial layout of circuits/conv.md).

Shared by `zkml.compiler.build` (dense, elementwise and bookkeeping ops) and
`zkml.compiler.spatial` (convolution and pooling).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np

from zkml.compiler.circuit import MAX_RANGE_BITS, padded_width
from zkml.compiler.producers import Producer
from zkml.compiler.producers.base import refuse  # (there: a gadget's own lowering uses it)
from zkml.quant.ir import QModel, QOp, QTensor

__all__ = ["State", "Layout", "refuse", "signed_bits", "bias_shift"]

#: A tensor's layout: None (flat: feature index = ONNX order) or the spatial shape
#: `(C, S_1(, S_2))` whose padded layout (conv.md section 1) holds the tensor.
Layout = tuple[int, ...] | None


def signed_bits(a: np.ndarray) -> int:
    """Smallest R with every entry in [-2^(R-1), 2^(R-1))."""
    top = max(int(a.max(initial=0)), -int(a.min(initial=0)) - 1, 0)
    return top.bit_length() + 1


def bias_shift(op: QOp, bias: QTensor, row: np.ndarray) -> int:
    """The shift that stores the bias tensor `bias` within MAX_RANGE_BITS: fixed by its
    public format (`bits - MAX_RANGE_BITS`), never by its values, which a hiding proof
    keeps secret. The quantizer rounds wide biases to multiples of it (quantization.md),
    so nothing is lost; `row` (the values) is only checked against that."""
    shift = max(0, bias.bits - MAX_RANGE_BITS)
    if np.any(row & np.int64((1 << shift) - 1)) or signed_bits(row) > bias.bits:
        raise refuse(op, f"the bias does not fit its {bias.bits}-bit format as a multiple "
                         f"of 2^{shift}; recompile the model")
    return shift


@dataclass
class State:
    """Gadgets (as dicts, finished into `Gadget`s at the end) and the maps onto the IR.

    A gadget dict holds its `producer` (a `zkml.compiler.producers` record) and the
    gadget-level fields the compiler may still narrow (`lo`, `hi`, `frac_bits`, ...).

    `refs` maps an IR tensor to `"input"` or the gadget whose tensor holds it; `layouts`
    maps an IR tensor to the layout of that gadget tensor (flatten of a spatial tensor
    keeps the spatial layout: a dense consumer scatters its weight columns into it).
    """

    model: QModel
    rows: int
    n_in: int
    input_layout: Layout = None
    gadgets: list[dict] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    refs: dict[str, str | int] = field(default_factory=dict)
    layouts: dict[str, Layout] = field(default_factory=dict)
    uses: dict[str, int] = field(default_factory=dict)
    #: model-stack tensors: name -> (base name, values, public entry width, form:
    #: `stack_tensor`)
    stack: dict[str, tuple[str, np.ndarray, int, Hashable]] = field(default_factory=dict)
    argmax: str | None = None  # the argmax op's output tensor, if the output is an ArgMax
    argmax_last: bool = False  # that ArgMax reports the last maximum (select_last_index)
    #: a Softmax operand held as grouped rows `[G, n]` (nonlinear.md section 12): its
    #: gadget and layout, shared by the Softmax's max and its shift
    grouped: dict[str, tuple[str | int, tuple[int, int]]] = field(default_factory=dict)

    def ref(self, op: QOp, name: str) -> str | int:
        """The gadget reference of IR tensor `name`; refuse constants."""
        if name not in self.refs:
            raise refuse(op, f"operand {name!r} is a constant")
        return self.refs[name]

    def layout(self, name: str) -> Layout:
        """The layout of IR tensor `name`."""
        return self.layouts.get(name)

    def width(self, ref: str | int) -> int:
        """`width(x)` (conv.md section 1) of `"input"` or a gadget."""
        if ref == "input":
            return self.n_in if self.input_layout is None else padded_width(self.input_layout)
        return self.gadgets[int(ref)]["features"]

    def clamp_range(self, ref: str | int) -> tuple[int, int]:
        """The values `ref` can hold: the input's bit range, or a gadget's clamp bounds."""
        if ref == "input":
            t = self.model.tensor(self.model.inputs[0])
            return t.lo, t.hi
        g = self.gadgets[int(ref)]
        return g["lo"], g["hi"]

    def tensor_of(self, ref: str | int) -> str:
        """The IR tensor `ref` currently equals on the real region."""
        return self.model.inputs[0] if ref == "input" else self.tips[int(ref)]

    def row_view(self, op: QOp, t: QTensor) -> int:
        """Features of a 2-D tensor with the circuit's row count; refuse anything else."""
        if len(t.shape) != 2 or t.shape[0] != self.rows:
            raise refuse(op, f"tensor {t.name!r} has shape {t.shape}; only 2-D tensors "
                             f"with {self.rows} row(s) are supported")
        return t.shape[1]

    def view(self, op: QOp, t: QTensor, layout: Layout) -> int:
        """Width of tensor `t` held in `layout`: its features when flat, else the padded
        spatial width (the tensor must have the circuit's rows and `prod layout` entries
        per row)."""
        if layout is None:
            return self.row_view(op, t)
        if not t.shape or t.shape[0] != self.rows or \
                int(np.prod(t.shape[1:])) != int(np.prod(layout)):
            raise refuse(op, f"tensor {t.name!r} has shape {t.shape}; expected {self.rows} "
                             f"row(s) of {list(layout)}")
        return padded_width(layout)

    def add_gadget(self, qop: QOp, out: QTensor, bound: int, producer: Producer,
                   layout: Layout = None, features: int | None = None, **requant) -> None:
        """Append a gadget with `producer` computing IR tensor `out`, held in `layout`
        (`features` overrides the width derived from `out`'s shape, for a spatial sum's
        `(N, C, 1, 1)` output held flat); `requant` is its `shift` (and `divisor`)."""
        width = self.view(qop, out, layout) if features is None else features
        self.gadgets.append(dict(requant, producer=producer, features=width, lo=out.lo,
                                 hi=out.hi, frac_bits=out.frac_bits,
                                 source=qop.source or qop.name, bound=bound, layout=layout))
        self.refs[out.name] = len(self.gadgets) - 1
        self.layouts[out.name] = layout
        self.tips.append(out.name)

    def bias_tensor(self, op: QOp, row: np.ndarray) -> tuple[str, int]:
        """Register the bias `row` (a `1 x n` int64 matrix of `op`'s bias, `op.inputs[2]`)
        as `row >> bias_shift` in at most MAX_RANGE_BITS bits; returns its stack name and
        the shift, both from the bias's public format."""
        t = self.model.tensor(op.inputs[2])
        shift = bias_shift(op, t, row)
        stored = np.ascontiguousarray(row >> np.int64(shift))
        return self.stack_tensor(t.name, stored, t.bits - shift, ("bias",)), shift

    def stack_tensor(self, base: str, arr: np.ndarray, bits: int,
                     form: Hashable = None) -> str:
        """Register a (rows, cols) matrix in the model stack under a unique name; `bits`
        is its entries' public signed width (the format of a weight, bias or constant,
        never measured from secret values), which sets the stack's `range_bits`.

        A matrix registered again is stored once. For a private constant (a weight-role
        tensor of the model) that takes the same `form`: the caller's description of how
        the matrix follows from the constant (gadget, layout), so that whether two uses
        share a slot follows the format, never the values (None: never shared). For a
        public array (a table, pooling ones, ArgMax indices) equal values suffice."""
        private = base in self.model.constants and self.model.tensor(base).role == "weight"
        for name, (b, a, w, f) in self.stack.items():
            if b != base or w != bits or a.shape != arr.shape:
                continue
            if not private and np.array_equal(a, arr):
                return name
            if private and form is not None and f == form:
                if not np.array_equal(a, arr):
                    raise RuntimeError(f"stack tensor {name!r}: one form {form!r} gave two "
                                       "matrices (a compiler bug)")
                return name
        name, i = base, 1
        while name in self.stack:
            i += 1
            name = f"{base}#{i}"
        self.stack[name] = (base, arr, bits, form)
        return name
