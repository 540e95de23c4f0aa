"""Elementwise producers (circuits/nonlinear.md): `identity`, `add` (section 6 for a row
value `y`), `affine`, `addconst` (section 10) and `mul` (section 8). Each keeps its (first)
operand's layout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from zkml.compiler.producers.base import Producer, Ref, ref_label

__all__ = ["Identity", "Add", "Affine", "AddConst", "Mul"]


@dataclass(frozen=True)
class Identity(Producer):
    """`acc = x`."""

    op: ClassVar[str] = "identity"
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref


@dataclass(frozen=True)
class Add(Producer):
    """`acc = s_a 2^l_a x + s_b 2^l_b y`; `y` may be a one-feature row value broadcast
    along the features (nonlinear.md section 6)."""

    op: ClassVar[str] = "add"
    REFS: ClassVar[tuple[str, ...]] = ("x", "y")
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref
    y: Ref
    signs: tuple[int, int] = (1, 1)
    lshifts: tuple[int, int] = (0, 0)

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The signed, shifted operands (`per row` for a row value `y`)."""
        sa, sb = ("+" if s > 0 else "-" for s in self.signs)
        row = " per row" if width_of(self.y) != features else ""
        return (f"add({sa}{ref_label(self.x)}<<{self.lshifts[0]}, "
                f"{sb}{ref_label(self.y)}<<{self.lshifts[1]}{row})")


@dataclass(frozen=True)
class Affine(Producer):
    """`acc = sum_k c_k x_k` over `terms`, pairs `(x_k, c_k)`."""

    op: ClassVar[str] = "affine"
    KEEPS_LAYOUT: ClassVar[bool] = True
    terms: tuple[tuple[Ref, int], ...]

    def __post_init__(self) -> None:
        # Coefficients may come from numpy; the record (and its JSON) holds Python ints.
        object.__setattr__(self, "terms", tuple((x, int(c)) for x, c in self.terms))

    @property
    def x(self) -> Ref:
        """The first term's operand."""
        return self.terms[0][0]

    def operands(self) -> tuple[Ref, ...]:
        """Every term's operand."""
        return tuple(x for x, _ in self.terms)

    def remap(self, f: Callable[[Ref], Ref]) -> Affine:
        """The same terms over remapped operands."""
        return Affine(tuple((f(x), c) for x, c in self.terms))

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """The signed terms."""
        return "affine(" + " ".join(f"{c:+d}*{ref_label(x)}" for x, c in self.terms) + ")"


@dataclass(frozen=True)
class AddConst(Producer):
    """`acc = 2^lshift x + C` with `C` the model-stack row `const` (the JSON's `c`)."""

    op: ClassVar[str] = "addconst"
    JSON_NAMES: ClassVar[dict[str, str]] = {"const": "c"}
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref
    const: str
    lshift: int = 0

    def stack_tensors(self) -> tuple[str, ...]:
        """The added row."""
        return (self.const,)

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`addconst(x <<l + C)`."""
        lsh = f" <<{self.lshift}" if self.lshift else ""
        return f"addconst({ref_label(self.x)}{lsh} + {self.const})"


@dataclass(frozen=True)
class Mul(Producer):
    """`acc = x y` elementwise (both of width `features`)."""

    op: ClassVar[str] = "mul"
    REFS: ClassVar[tuple[str, ...]] = ("x", "y")
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref
    y: Ref

    def describe(self, width_of: Callable[[Ref], int], features: int) -> str:
        """`mul(x, y)`."""
        return f"mul({ref_label(self.x)}, {ref_label(self.y)})"
