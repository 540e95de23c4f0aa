"""General windows (conv.md 5): a winsum reduces `acc(r_g)` by one dense-group instance
over x's variables; a winmax sends E_g after its acc-evals (after the challenge gamma_g)
and has two dense-group instances (a) and (b) and a zerocheck."""

from __future__ import annotations

from collections.abc import Iterator

from zkml.verifier.circuit import Circuit, Gadget, Layout
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.window import (
    check_winmax_acc,
    winmax_a_value,
    winmax_b_value,
    winmax_claim_a,
    winmax_zerocheck_value,
    winsum_instance_value,
)

__all__ = ["WinSum", "WinMax"]


class WinSum(GadgetCheck):
    """conv.md 5: `sum_x 2^l wire(r_g, x) X(x, r_b) = acc(r_g)`."""

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Over x's spatial variables; x's u limbs."""
        g = self.g
        if g.window is None:
            return []
        return [self.instance(DENSE, "winsum", g.window.in_vars, len(self.c.u_of(g.x)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """The wiring-weighted x at s."""
        return winsum_instance_value(ctx, self.g, self.point, s, vals)


class WinMax(GadgetCheck):
    """conv.md 5: the window maximum through tap differences and selectors."""

    ALWAYS_ZEROCHECK = True

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        super().__init__(circuit, g)
        self.gamma = 0

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def messages(self) -> tuple[tuple[str, int], ...]:
        """E_g, a Vec<Fr> of length 1."""
        return (("window-e", 1),)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """(a) over the output's variables (u, v limbs), (b) over x's (x's u limbs)."""
        g = self.g
        if g.window is None:
            return []
        return [self.instance(DENSE, "winmax_a", g.window.out_vars, len(g.u) + len(g.v)),
                self.instance(DENSE, "winmax_b", g.window.in_vars, len(self.c.u_of(g.x)),
                              part=1)]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """The selectors cover the real region; instance (a)'s claim needs gamma_g."""
        check_winmax_acc(self.g, r, self.cv["S"])

    def after_acc(self, ctx: RunContext) -> None:
        """gamma_g, then the prover's E_g; instance (a)'s claim."""
        t = ctx.transcript
        self.gamma = t.squeeze("window-gamma")
        e = self.extra[0][0]
        t.absorb_frs("window-e", [e])
        self.claim = winmax_claim_a(ctx, self.cv["D"], self.gamma, e)

    def claim_of(self, inst: Instance) -> int:
        """(a): from the D evals and E_g; (b): E_g; the zerocheck: 0."""
        if inst.name == "winmax_b":
            return self.extra[0][0]
        return super().claim_of(inst)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[int]) -> int:
        """Instance (a)'s or (b)'s final value."""
        fn = winmax_b_value if inst.name == "winmax_b" else winmax_a_value
        return fn(ctx, self.g, self.point, s, self.gamma, vals)

    def zerocheck_evals(self) -> int:
        """S_t, D_t limbs, then u (and v)."""
        g = self.g
        return len(g.pool_s) + sum(len(d) for d in g.pool_d) + len(g.u) + len(g.v)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[int]) -> int:
        """The tap zerocheck's final value."""
        return winmax_zerocheck_value(ctx, self.g, self.tau, self.beta, s, vals)
