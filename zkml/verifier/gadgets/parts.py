"""Gadgets with parts (nonlinear.md 11, rearrange.md 3): a concat or rearrange sends its
parts' values E_1..E_K right after its acc-evals, summing to `acc(r_g)`, and reduces each
by one dense-group instance over the part's variables."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import Circuit, Gadget, Layout, log2_ceil
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.nonlinear import check_concat_parts, concat_instance_value
from zkml.verifier.rearrange import check_rearrange_parts, rearrange_instance_value

__all__ = ["Concat", "Rearrange"]


class Concat(GadgetCheck):
    """nonlinear.md 11: part k through the wiring axis (C, C_k, 1, 1, 1, off_k)."""

    LABEL = "concat-parts"

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def messages(self) -> tuple[tuple[str, int], ...]:
        """E_1..E_K, a Vec<Fr> of length K."""
        return ((self.LABEL, len(self.g.parts)),)

    def part_vars(self, k: int) -> int:
        """Part k's instance variables: log2 pad(C_k)."""
        return log2_ceil(self.g.part_shapes[k][0])

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One per part; part k's u limbs (none for the input)."""
        c, g = self.c, self.g
        return [self.instance(DENSE, f"{g.op}.{k}", self.part_vars(k), len(c.u_of(ref)),
                              part=k) for k, ref in enumerate(g.parts)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """acc(r_g), the parts' sum."""
        self.claim = acc

    def after_acc(self, ctx: RunContext) -> None:
        """The parts E_1..E_K sum to acc(r_g)."""
        parts = self.extra[0]
        ctx.transcript.absorb_frs(self.LABEL, parts)
        check_concat_parts(self.g, self.claim, parts)

    def claim_of(self, inst: Instance) -> int:
        """Part k's instance claims E_k (a zerocheck's: 0)."""
        if inst.group != DENSE:
            return super().claim_of(inst)
        return self.extra[0][inst.part]

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """Part k's final value."""
        return concat_instance_value(ctx, self.g, inst.part, self.point, s, vals)


class Rearrange(Concat):
    """rearrange.md 3: part k through its public selection Sel_k."""

    LABEL = "rearrange-parts"

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        super().__init__(circuit, g)
        #: eq_table(r_o), shared by the gadget's parts
        self.e_out: dict[int, list[int]] = {}

    def part_vars(self, k: int) -> int:
        """log2 pad(width_k)."""
        spec = self.g.rearrange
        return 0 if spec is None else spec.part_vars(k)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """One per part (none without a spec)."""
        return [] if self.g.rearrange is None else super().dense_instances(lay)

    def after_acc(self, ctx: RunContext) -> None:
        """The parts E_1..E_K sum to acc(r_g)."""
        parts = self.extra[0]
        ctx.transcript.absorb_frs(self.LABEL, parts)
        check_rearrange_parts(self.g, self.claim, parts)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """Sel_k(r_o, s) X_k(s, r_b)."""
        return rearrange_instance_value(ctx, self.g, inst.part, self.point, s, vals,
                                        self.e_out)
