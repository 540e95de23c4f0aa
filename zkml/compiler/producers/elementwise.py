"""Elementwise producers (circuits/nonlinear.md): `identity`, `add` (section 6 for a row
value `y`), `affine`, `addconst` (section 10) and `mul` (section 8). Each keeps its (first)
operand's layout. Their witness checks every bound on the actual values, so nothing wraps
around in int64."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from zkml.compiler.producers.base import Context, Extra, Producer, Ref, maxabs, ref_label
from zkml.compiler.producers.rows import row_values

if TYPE_CHECKING:
    import numpy as np

    from zkml.compiler.circuit import Gadget

__all__ = ["Identity", "Add", "Affine", "AddConst", "Mul"]


@dataclass(frozen=True)
class Identity(Producer):
    """`acc = x`."""

    op: ClassVar[str] = "identity"
    KEEPS_LAYOUT: ClassVar[bool] = True
    x: Ref

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = x`."""
        return ctx.value(self.x).copy(), {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = s_a 2^l_a x + s_b 2^l_b y`, a row value `y` broadcast (section 6)."""
        import numpy as np

        from zkml.quant.rounding import check_bound

        x, y = ctx.value(self.x), ctx.value(self.y)
        y = row_values(y, x.shape[1])
        (sa, sb), (la, lb) = self.signs, self.lshifts
        check_bound((maxabs(x) << la) + (maxabs(y) << lb) + (1 << g.shift),
                    f"gadget {g.source}")
        return sa * (x << np.int64(la)) + sb * (y << np.int64(lb)), {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = sum_k c_k x_k`."""
        import numpy as np

        from zkml.quant.rounding import check_bound

        xs = [(ctx.value(x), c) for x, c in self.terms]
        # Every partial sum is at most this bound in magnitude, so nothing wraps.
        check_bound(sum(abs(c) * maxabs(x) for x, c in xs) + (1 << g.shift),
                    f"gadget {g.source}")
        acc = np.zeros_like(xs[0][0])
        for x, c in xs:
            acc = acc + np.int64(c) * x
        return acc, {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = 2^lshift x + C`, the model-stack row `C` on every padded row too."""
        import numpy as np

        from zkml.quant.rounding import check_bound

        x = ctx.value(self.x)
        c = ctx.matrix(self.const)[0, : x.shape[1]]
        check_bound((maxabs(x) << self.lshift) + maxabs(c) + (1 << g.shift),
                    f"gadget {g.source}")
        return (x << np.int64(self.lshift)) + c[None, :], {}


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

    def witness(self, ctx: Context, g: Gadget) -> tuple[np.ndarray, Extra]:
        """`acc = x y` elementwise over the whole padded tensor."""
        from zkml.quant.rounding import check_bound

        x, y = ctx.value(self.x), ctx.value(self.y)
        # The compiler bounds |x y| by the operands' ranges; check the actual values too.
        check_bound(maxabs(x) * maxabs(y) + (1 << g.shift), f"gadget {g.source}")
        return x * y, {}
