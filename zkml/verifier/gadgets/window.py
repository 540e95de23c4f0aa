"""General windows (conv.md 5): a winsum reduces `acc(r_g)` by one dense-group instance
over x's variables; a winmax sends E_g after its acc-evals (after the challenge gamma_g)
and has two dense-group instances (a) and (b) and a zerocheck."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zkml.verifier.circuit_limits import MAX_BITS, MAX_WINDOW_TAPS
from zkml.verifier.declarations import Claim, Expr
from zkml.verifier.gadgets.base import DENSE, GadgetCheck, Instance, RunContext
from zkml.verifier.layout import Layout
from zkml.verifier.records import (
    MAX_SHIFT,
    ColumnSpec,
    Gadget,
    GadgetFields,
    Producer,
    check_widths,
    err,
    geometry,
    int_field,
    obj,
    parse_ref,
)
from zkml.verifier.spatial import WindowSpec
from zkml.verifier.window import (
    check_winmax_acc,
    winmax_a_value,
    winmax_b_value,
    winmax_claim_a,
    winmax_zerocheck_value,
    winsum_instance_value,
)
from zkml.verifier.wiring import Axis

if TYPE_CHECKING:
    from zkml.verifier.circuit import Circuit

__all__ = ["WinSum", "WinMax", "WindowProducer"]


# --- the producer record and its strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class WindowProducer(Producer):
    """winsum / winmax (conv.md 5): shapes, window taps and wiring axes (a winsum's
    lshift, a winmax's diff_bits in `window`)."""

    window: WindowSpec


def _every_output_reads(a: Axis) -> bool:
    """Whether every real output `y < n_out` reads some input through a tap (conv.md 5:
    a winmax's real outputs hold the maximum of their reading taps). Outputs with
    `s y >= p` read through tap 0 iff `s y - p < n_in` (checked at the last one); the
    others, fewer than `p / s + 1 <= 2^16 + 1`, are checked one by one."""
    s, d, p, n = a.stride, a.dilation, a.pad, a.n_in
    last = a.n_out - 1
    if s * last >= p and s * last - p >= n:
        return False
    for y in range(min(a.n_out, (p + s - 1) // s)):  # s y < p
        i0 = (p - s * y + d - 1) // d
        if i0 >= a.k or s * y + d * i0 - p >= n:
            return False
    return True


def _window(prod: dict, what: str, pw: str, gf: GadgetFields) -> WindowProducer:
    """winsum / winmax (conv.md 5): the axes of conv.md 2 with window taps."""
    op = prod["op"]
    extra = "lshift" if op == "winsum" else "diff_bits"
    obj(prod, {"op", "x", "in_shape", "out_shape", "kernel", "strides", "dilations", "pads",
               extra}, pw)
    x = parse_ref(prod["x"], gf.index, f"{pw} x")
    in_shape, out_shape, kernel, axes = geometry(prod, what, pw, op)
    taps = 1
    for kk in kernel:
        taps *= kk
    if taps > MAX_WINDOW_TAPS:  # nonlinear.md 9
        raise err(f"{what}: {op} has {taps} taps, more than {MAX_WINDOW_TAPS}")
    if in_shape[0] != out_shape[0]:
        raise err(f"{what}: {op} channels {in_shape[0]} != {out_shape[0]}")
    check_widths(what, op, gf, x, in_shape, out_shape)
    if op == "winsum":
        lshift = int_field(prod["lshift"], f"{pw} lshift", 0, MAX_SHIFT)
        spec = WindowSpec(in_shape, out_shape, kernel, tuple(axes), lshift=lshift)
        return WindowProducer(x, window=spec)
    w = int_field(prod["diff_bits"], f"{pw} diff_bits", 1, MAX_BITS)
    if not gf.plain:
        raise err(f"{what}: a winmax needs shift 0, divisor 1 and excess_hi_bits = "
                  f"excess_lo_bits = 0")
    for a, axis in enumerate(axes):
        if not _every_output_reads(axis):
            raise err(f"{what}: winmax axis {a} has an output whose window reads only padding")
    spec = WindowSpec(in_shape, out_shape, kernel, tuple(axes), diff_bits=w)
    return WindowProducer(x, window=spec)


class WinSum(GadgetCheck):
    """conv.md 5: `sum_x 2^l wire(r_g, x) X(x, r_b) = acc(r_g)`."""

    OP = "winsum"
    RECORD = WindowProducer
    PADDED_OUTPUT = True
    p: WindowProducer
    parse = staticmethod(_window)

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """Over x's spatial variables; x's u limbs."""
        p = self.p
        return [self.instance(DENSE, "winsum", p.window.in_vars, len(self.c.u_of(p.x)))]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The instance's claim is acc(r_g)."""
        self.claim = acc

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """The wiring-weighted x at s."""
        return winsum_instance_value(ctx, self.g, self.point, s, vals)


class WinMax(GadgetCheck):
    """conv.md 5: the window maximum through tap differences and selectors."""

    OP = "winmax"
    RECORD = WindowProducer
    ALWAYS_ZEROCHECK = True
    PADDED_OUTPUT = True
    p: WindowProducer
    parse = staticmethod(_window)

    @staticmethod
    def extra_columns(p: WindowProducer, gf: GadgetFields, fv: int  # type: ignore[override]
                      ) -> list[ColumnSpec]:
        """conv.md 5: per tap D_t limbs, then every S_t (`p` its own parser's record)."""
        n = p.window.taps
        return ([ColumnSpec(f"D{w}", p.window.diff_bits, fv) for w in range(n)]
                + [ColumnSpec(f"S{w}", 1, fv) for w in range(n)])

    def __init__(self, circuit: Circuit, g: Gadget) -> None:
        super().__init__(circuit, g)
        self.gamma = 0
        #: E_g (message `window-e[g]`)
        self.e: Claim | int = 0

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def messages(self) -> tuple[tuple[str, int], ...]:
        """E_g, a Vec<Fr> of length 1."""
        return (("window-e", 1),)

    def dense_instances(self, lay: Layout) -> list[Instance]:
        """(a) over the output's variables (u, v limbs), (b) over x's (x's u limbs)."""
        g, spec = self.g, self.p.window
        return [self.instance(DENSE, "winmax_a", spec.out_vars, len(g.u) + len(g.v)),
                self.instance(DENSE, "winmax_b", spec.in_vars, len(self.c.u_of(self.p.x)),
                              part=1)]

    def selector_claims(self) -> list[Claim]:
        """S_t(r_g) for every tap t (one limb each), from the acc-evals."""
        return [c for t in range(self.p.window.taps) for c in self.cv[f"S{t}"]]

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[Claim], acc: Expr
                 ) -> None:
        """The selectors cover the real region; instance (a)'s claim needs gamma_g."""
        check_winmax_acc(ctx, self.g, r, self.selector_claims())

    def after_acc(self, ctx: RunContext) -> None:
        """gamma_g, then the prover's E_g; instance (a)'s claim."""
        t = ctx.transcript
        self.gamma = t.squeeze("window-gamma")
        raw = self.extra[0]
        t.absorb_frs("window-e", raw)
        (self.e,) = ctx.stream(f"window-e[{self.g.index}]", raw)
        d = [self.cv[f"D{t}"] for t in range(self.p.window.taps)]
        self.claim = winmax_claim_a(ctx, d, self.gamma, self.e)

    def claim_of(self, inst: Instance) -> Expr | Claim | int:
        """(a): from the D evals and E_g; (b): E_g; the zerocheck: 0."""
        if inst.name == "winmax_b":
            return self.e
        return super().claim_of(inst)

    def dense_value(self, ctx: RunContext, inst: Instance, s: list[int],
                    vals: Iterator[Claim]) -> Expr:
        """Instance (a)'s or (b)'s final value."""
        fn = winmax_b_value if inst.name == "winmax_b" else winmax_a_value
        return fn(ctx, self.g, self.point, s, self.gamma, vals)

    def zerocheck_evals(self) -> int:
        """S_t, D_t limbs, then u (and v)."""
        g = self.g
        return sum(len(c) for c in g.numbered("S") + g.numbered("D")) + len(g.u) + len(g.v)

    def zerocheck_value(self, ctx: RunContext, s: list[int], vals: Iterator[Claim]) -> Expr:
        """The tap zerocheck's final value."""
        return winmax_zerocheck_value(ctx, self.g, self.eq_tau(s), self.beta, s, vals)
