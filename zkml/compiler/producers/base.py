"""What every gadget module of `zkml.compiler.producers` builds on (circuits/inference.md
sections 1-2 and 6).

A gadget's module holds, for each of its circuit ops, one `Producer`: a frozen dataclass
holding only that op's fields (the circuit JSON's `producer` object), with the op's
behaviour the circuit model needs (its JSON object and loader, its operands, its
committed columns beyond the common `u`, `v`, `rem`, `remc`, `ep`, `em`, the layout of
the tensor it produces) and its witness hook, `Producer.witness`: the accumulator over the
whole padded tensor and the values of its extra committed columns, read from a `Context`.
A module may also lower quantized-IR ops to its gadget (`LOWERINGS`, functions of the
type `Lowering`, raising `refuse` for what the gadget cannot prove).

The package stays on the standard library when imported: `zkml.compiler.circuit` imports
it on the verify and inspect paths, which read circuits without numpy. So a hook or a
lowering imports numpy and the compiler's machinery inside its body, and this module holds
the circuit arithmetic the gadgets share (`ceil_log2`, `padded_width`, `bits`), which
`zkml.compiler.circuit` re-exports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

from zkml.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Circuit, Gadget
    from zkml.compiler.state import State
    from zkml.quant.ir import QOp

__all__ = ["Producer", "Ref", "Shape", "Context", "Extra", "Lowering", "to_json_value",
           "tuples", "ref_label", "shape_label", "geometry_label",
           "difference_selector_widths", "bits", "ceil_log2", "padded_width", "maxabs",
           "producer_of", "refuse"]

#: A gadget operand: `"input"` or the index of an earlier gadget.
Ref = str | int
#: A tensor shape (`[C, S..]` spatial, `[n]` flat).
Shape = tuple[int, ...]
#: The values of a gadget's extra committed columns, by name (a maxpool's `D_w`, `S_w`).
Extra = dict[str, "np.ndarray"]
#: Lowers one quantized-IR op to gadgets in the compiler's state (`zkml.compiler.build`).
Lowering = Callable[["State", "QOp"], None]

P = TypeVar("P", bound="Producer")


# --- circuit arithmetic ---


def bits(m: int) -> int:
    """Bit length of a non-negative integer (`bits(0) = 0`)."""
    return int(m).bit_length()


def ceil_log2(n: int) -> int:
    """Smallest `e >= 0` with `2^e >= n` (n >= 1)."""
    return max(int(n) - 1, 0).bit_length()


def padded_width(shape: tuple[int, ...] | list[int]) -> int:
    """`prod pad(v)` over the dims of a spatial tensor (its width, conv.md section 1)."""
    out = 1
    for v in shape:
        out <<= ceil_log2(v)
    return out


# --- labels and JSON ---


def tuples(v: object) -> object:
    """JSON lists as tuples, recursively (the records are frozen)."""
    return tuple(tuples(e) for e in v) if isinstance(v, list | tuple) else v


def ref_label(r: Ref) -> str:
    """`input` or `g<index>`, as `zkml inspect` prints an operand."""
    return "input" if r == "input" else f"g{r}"


def shape_label(v: Shape) -> str:
    """A shape as `3x4x4`."""
    return "x".join(str(d) for d in v)


def geometry_label(kernel: Shape, strides: Shape, dilations: Shape, pads: Shape) -> str:
    """A window geometry as `zkml inspect` prints it."""
    return (f"k {shape_label(kernel)} s {shape_label(strides)} d {shape_label(dilations)} "
            f"p {shape_label(pads)}")


def difference_selector_widths(count: int, diff_bits: int) -> list[tuple[str, int]]:
    """The columns of a maximum over `count` candidates (maxpool's windows, winmax's taps,
    conv.md 3 and 5): every difference `D_k` (`diff_bits` wide), then every selector
    `S_k` (one bit)."""
    return [(f"D{k}", diff_bits) for k in range(count)] + [(f"S{k}", 1) for k in range(count)]


def to_json_value(v: object) -> object:
    """A record value as JSON: tuples as lists, recursively; records by their `to_json`."""
    if isinstance(v, list | tuple):
        return [to_json_value(e) for e in v]
    to_json = getattr(v, "to_json", None)
    return to_json() if to_json is not None else v


@dataclass(frozen=True)
class Producer:
    """One gadget op's producer. Subclasses are frozen dataclasses whose fields are the
    producer object's keys (`JSON_NAMES` renames the few that differ); every one has an
    `x`, its first operand (a field, or a property: an affine's first term's operand, a
    concat's or rearrange's first part)."""

    #: The circuit JSON's `op`.
    op: ClassVar[str] = ""
    #: The fields holding operands (each a `Ref`), in operand order.
    REFS: ClassVar[tuple[str, ...]] = ("x",)
    #: Record field -> producer key, where they differ.
    JSON_NAMES: ClassVar[dict[str, str]] = {}
    #: The tensor keeps its first operand's layout (else `layout()` gives it).
    KEEPS_LAYOUT: ClassVar[bool] = False
    #: A spatial producer (conv.md): its tensor is held in the padded spatial layout of
    #: `out_shape`; it may not be the output gadget.
    SPATIAL: ClassVar[bool] = False
    #: `z` lies within `[lo, hi]` by construction (a maximum, a table entry): no excess.
    EXACT: ClassVar[bool] = False
    #: Extra committed values of the operand's length `B' width(x)` instead of the
    #: gadget's (a rowmax's `D`, `S`, nonlinear.md section 7).
    OPERAND_COLUMNS: ClassVar[tuple[str, ...]] = ()

    def operands(self) -> tuple[Ref, ...]:
        """Every operand, in order."""
        return tuple(getattr(self, name) for name in self.REFS)

    def remap(self: P, f: Callable[[Ref], Ref]) -> P:
        """The same producer with every operand `r` replaced by `f(r)`."""
        return replace(self, **{name: f(getattr(self, name)) for name in self.REFS})

    def stack_tensors(self) -> tuple[str, ...]:
        """The model-stack tensors the producer reads (weights, tables, constants)."""
        return ()

    def extra_widths(self) -> list[tuple[str, int]]:
        """Committed values beyond `u`..`em`, in column order, with their bit widths."""
        return []

    def layout(self) -> Shape | None:
        """The spatial shape whose padded layout the tensor has (None: flat); read only
        when the producer does not keep its operand's layout."""
        return None

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """A one-line form for `zkml inspect` (`width_of` gives an operand's width,
        `features` the gadget's)."""
        return f"{self.op}({ref_label(self.operands()[0])})"

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """The witness hook of gadget `g` (whose producer this is): its accumulator over
        the whole padded tensor (`acc`, before requantizing and clamping, `(B', width)`)
        and the values of its extra committed columns (`extra_widths`), computed from the
        operands' padded tensors in `ctx`."""
        raise NotImplementedError(f"the {self.op!r} producer has no witness hook")

    def to_json(self) -> dict:
        """The `producer` object of the circuit JSON."""
        out: dict = {"op": self.op}
        for f in fields(self):
            out[self.JSON_NAMES.get(f.name, f.name)] = to_json_value(getattr(self, f.name))
        return out

    @classmethod
    def from_json(cls: type[P], p: dict) -> P:
        """The record of a producer object the core's parser has accepted."""
        return cls(**{f.name: tuples(p[cls.JSON_NAMES.get(f.name, f.name)])
                      for f in fields(cls)})


# --- the witness ---


@dataclass
class Context:
    """One evaluation of a circuit, what every witness hook reads: the circuit, the model
    stack, the padded input `x_in` `(B', width)` and the padded tensors `z_g` of the
    gadgets evaluated so far, in gadget order."""

    circuit: Circuit
    stack: np.ndarray
    x_in: np.ndarray
    tensors: list[np.ndarray] = field(default_factory=list)

    def value(self, ref: Ref) -> np.ndarray:
        """The padded tensor of `"input"` or of gadget `ref`."""
        return self.x_in if ref == "input" else self.tensors[int(ref)]

    def spatial_value(self, ref: Ref, shape: Shape) -> np.ndarray:
        """The padded tensor of `ref`, held in the padded layout of the spatial `shape`."""
        x = self.value(ref)
        assert x.shape[1] == padded_width(shape)
        return x

    def matrix(self, name: str) -> np.ndarray:
        """The model-stack tensor `name` as its padded `(rows', cols')` matrix."""
        t = self.circuit.model_stack.tensor(name)
        return self.stack[t.offset : t.offset + t.size].reshape(-1, 1 << ceil_log2(t.cols))


def maxabs(a: np.ndarray) -> int:
    """`max |a|` (0 for an empty array)."""
    # `abs` of an array is numpy's elementwise absolute value: no numpy import needed.
    return int(abs(a).max()) if a.size else 0


def producer_of(g: Gadget, cls: type[P]) -> P:
    """`g`'s producer, a `cls` (for the helpers that take a gadget of one op)."""
    p = g.producer
    assert isinstance(p, cls), (g.op, cls.op)
    return p


# --- lowering ---


def refuse(op: QOp, why: str = "") -> ModelError:
    """The error for an op the circuit cannot prove: names the node, the op and why."""
    label = op.op
    if op.op == "table":
        label = f"table {op.attrs.get('fn')}"
    msg = f"node '{op.source or op.name}' (op {label}) cannot be proven yet"
    return ModelError(msg + (f": {why}" if why else ""))
