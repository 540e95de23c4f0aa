"""The interface of a gadget's producer record (circuits/inference.md section 6).

A `Producer` is one frozen dataclass per gadget op holding only that op's fields (the
circuit JSON's `producer` object). It carries the op's behaviour the circuit model needs:
its JSON object and loader, its operands, its committed columns beyond the common `u`,
`v`, `rem`, `remc`, `ep`, `em`, and the layout of the tensor it produces. The witness of
each op (numpy) lives apart, in `zkml.witness_ops`, so this package stays on the
standard library (the verify and inspect paths read circuits without numpy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import ClassVar, TypeVar

__all__ = ["Producer", "Ref", "Shape", "to_json_value", "tuples", "ref_label", "shape_label",
           "geometry_label"]

#: A gadget operand: `"input"` or the index of an earlier gadget.
Ref = str | int
#: A tensor shape (`[C, S..]` spatial, `[n]` flat).
Shape = tuple[int, ...]

P = TypeVar("P", bound="Producer")


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
