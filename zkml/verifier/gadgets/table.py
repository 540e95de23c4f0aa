"""Table gadgets (nonlinear.md 3): no relation at the acc point; their relation is the
pair lookup, checked at their two LogUp trees' leaves (`Table.check_leaves`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from zkml.verifier.circuit_limits import MAX_TABLE_BITS
from zkml.verifier.declarations import Claim, public
from zkml.verifier.gadgets.base import GadgetCheck, RunContext
from zkml.verifier.records import (
    GadgetFields,
    Producer,
    err,
    obj,
    parse_ref,
    str_field,
)

__all__ = ["Table", "TableProducer"]


# --- the producer record and its strict parsing (records.py's readers) ---


@dataclass(frozen=True)
class TableProducer(Producer):
    """table (nonlinear.md 3): z = T[x - lo_x], T the 1 x 2^t model tensor `table`
    (t = `table_bits`) over x's range [lo_x, lo_x + 2^t)."""

    table: str
    table_bits: int
    lo_x: int


def _table(prod: dict, what: str, pw: str, x: int | None,
           gf: GadgetFields) -> tuple[str, int, int]:
    """(tensor name, t, lo_x) of a table producer (nonlinear.md 3): x's range [lo_x, hi_x]
    has 2^t values, 1 <= t <= 20, and the tensor is 1 x 2^t."""
    name = str_field(prod["table"], f"{pw} table")
    lo_x, hi_x = gf.range_of(x)
    size = hi_x - lo_x + 1
    t = size.bit_length() - 1
    if size & (size - 1) or not 1 <= t <= MAX_TABLE_BITS:
        raise err(f"{what}: table input range [{lo_x}, {hi_x}] has {size} values, not "
                  f"2^t with 1 <= t <= {MAX_TABLE_BITS}")
    ten = gf.model.tensors.get(name)
    if ten is None:
        raise err(f"{what}: table {name!r} is not a model tensor")
    if ten.rows != 1 or ten.cols != size:
        raise err(f"{what}: table {name!r} is {ten.rows}x{ten.cols}, expected 1x{size}")
    return name, t, lo_x


def _parse_table(prod: dict, what: str, pw: str, gf: GadgetFields) -> TableProducer:
    """table (nonlinear.md 3)."""
    idx, features = gf.index, gf.features
    obj(prod, {"op", "x", "table"}, pw)
    x = parse_ref(prod["x"], idx, f"{pw} x")
    table, table_bits, lo_x = _table(prod, what, pw, x, gf)
    if gf.width(x) != features:
        raise err(f"{what}: table input has width {gf.width(x)}, expected {features}")
    if features < 2:  # its lookup tree has depth log2(B' n') >= 1 for every batch
        raise err(f"{what}: a table gadget needs features >= 2")
    if not gf.plain:
        raise err(f"{what}: a table gadget needs shift 0, divisor 1 and "
                  f"excess_hi_bits = excess_lo_bits = 0")
    return TableProducer(x, table=table, table_bits=table_bits, lo_x=lo_x)


class Table(GadgetCheck):
    """z = T[x - lo_x]: own columns only at the acc point."""

    OP = "table"
    RECORD = TableProducer
    READS_MODEL = True
    p: TableProducer
    parse = staticmethod(_parse_table)

    @staticmethod
    def lookup_table(p: TableProducer) -> int:  # type: ignore[override]
        """t: its t_g column has 2^t entries (`p` its own parser's record)."""
        return p.table_bits

    def acc_count(self) -> int:
        """Own columns only."""
        return len(self.g.own)

    def relation(self, ctx: RunContext, r: list[int], vals: Iterator[int], acc: int) -> None:
        """Nothing to check at the acc point."""

    def lookup_trees(self) -> int:
        """Its lookup tree and its table tree."""
        return 2

    def leaf_count(self) -> int:
        """u limbs of x, u limbs of z, t_g(rho_gt), T(rho_gt)."""
        return len(self.c.u_of(self.p.x)) + len(self.g.u) + 2

    def check_leaves(self, ctx: RunContext, trees: Sequence[tuple[list[int], int, int]],
                     roots: Iterator[Claim], alpha: int, beta: int, vals: Iterator[Claim]
                     ) -> None:
        """Declare the checks of its two trees from its leaf evals, recording the witness
        claims (u limbs, `t_g`) and the model claim on `T` (the roots P, Q are the LogUp
        layers' claims `logup-root[i]`; alpha, beta and T_t(rho_gt) are public):

            P_g == 1,               Q_g == alpha - (X(rho_g) - lo_x) - beta Z(rho_g)
            P_gt == -t_g(rho_gt),   Q_gt == alpha - T_t(rho_gt) - beta T(rho_gt)
        """
        p, i = self.p, self.g.index
        k = [t.index for t in self.c.tables].index(i)  # its t_g slot (inference.md 3)
        (rho, _, _), (rho_t, _, _) = trees
        p_g, q_g, p_t, q_t = (next(roots) for _ in range(4))
        xv = ctx.value(p.x, vals, rho) - p.lo_x
        zv = ctx.value(i, vals, rho)
        t_eval = next(vals)
        ctx.wclaims.append((ctx.layout.table_point(k, rho_t), ctx.opened(t_eval)))
        t_val = next(vals)
        ctx.model_claim(ctx.table_claims, p.table, rho_t, t_val)
        t_t = public(f"g{i}.T_t(rho_t)", sum(rho_t[j] << j for j in range(p.table_bits)))
        ctx.require("gadget.table.lookup-p", p_g - 1,
                    f"gadget {i}: table lookup tree: P != 1", i)
        ctx.require("gadget.table.lookup-q", q_g - alpha + xv + beta * zv,
                    f"gadget {i}: table lookup tree: Q != alpha - (X - lo_x) - beta Z at "
                    f"rho_g", i)
        ctx.require("gadget.table.table-p", p_t + t_eval,
                    f"gadget {i}: table tree: P != -t_g(rho_gt)", i)
        ctx.require("gadget.table.table-q", q_t - alpha + t_t + beta * t_val,
                    f"gadget {i}: table tree: Q != alpha - T_t(rho_gt) - beta T(rho_gt)", i)
