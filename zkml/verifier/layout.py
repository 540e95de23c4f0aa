"""Stack and lookup-leaf layouts and the structured MLEs the verifier evaluates itself.

inference.md section 3: slots are assigned largest first (ties keep order) at
consecutive offsets; a claim on a slot of `m` variables at `z` is the claim on its
stack at `z || bits(offset / 2^m)`. The range-lookup leaves (one slot per limb
column, a second scaled slot for a limb narrower than L bits, then the range table)
are shared by inference proofs (section 4) and the model's well-formedness proof
(section 7), so `leaf_slots` and `expected_leaves` serve both.

Limbs are `L = limb_bits` wide (nonlinear.md section 5: 8 or 16): values
`sum_j 2^(L j) limb_j`, range lookups in `[0, 2^L)`, a limb of width `w < L` looked up a
second time scaled by `2^(L-w)`, the multiplicity column `m` of `2^L` entries and the
table tree of depth `L` (`T_L(x) = sum_{k<L} 2^k x_k`).

The MLEs here (`lt`, `eq_bits`) cost O(number of variables) each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.verifier.axes import BATCH, FEATURES, Axes
from zkml.verifier.declarations import CLEAR, Check, Claim, linear, run_check, zero_check
from zkml.verifier.field import R

__all__ = [
    "LeafSlot",
    "TableSlot",
    "Layout",
    "assign_slots",
    "leaf_slots",
    "expected_leaves",
    "expected_table",
    "check_lookup_trees",
    "range_leaf_checks",
    "log2_ceil",
    "limb_widths",
    "slot_bits",
    "limbs_value",
    "eq_bits",
    "lt",
]


def log2_ceil(n: int) -> int:
    """ceil(log2 n) for n >= 1 (0 for n = 1)."""
    return (n - 1).bit_length()


def limb_widths(bits: int, limb_bits: int) -> tuple[int, ...]:
    """Widths of the J = ceil(W / L) limbs of a W-bit value: min(L, W - L j)."""
    n = (bits + limb_bits - 1) // limb_bits
    return tuple(min(limb_bits, bits - limb_bits * j) for j in range(n))


def slot_bits(offset: int, log_size: int, num_vars: int) -> tuple[int, ...]:
    """bits_{n-m}(offset / 2^m), LSB first: the constant high coordinates of a slot."""
    idx = offset >> log_size
    return tuple((idx >> k) & 1 for k in range(num_vars - log_size))


def limbs_value(vals: Sequence[int], limb_bits: int) -> int:
    """sum_j 2^(L j) vals[j] mod r."""
    acc = 0
    for v in reversed(vals):
        acc = (acc << limb_bits) + v
    return acc % R


def eq_bits(bits: Sequence[int], y: Sequence[int]) -> int:
    """eq(bits, y) for a constant 0/1 vector."""
    acc = 1
    for b, v in zip(bits, y, strict=True):
        acc = acc * (v if b else 1 - v) % R
    return acc


def lt(x: Sequence[int], n: int) -> int:
    """MLE of [index < n] at x; coordinates beyond len(x) count as 0 (so lt(x, 2^m) = 1)."""
    xs = list(x) + [0] * max(0, n.bit_length() - len(x))
    acc, suffix = 0, 1
    for k in range(len(xs) - 1, -1, -1):
        if (n >> k) & 1:
            acc += (1 - xs[k]) * suffix
            suffix = suffix * xs[k] % R
        else:
            suffix = suffix * (1 - xs[k]) % R
    return acc % R


def assign_slots(log_sizes: Sequence[int]) -> tuple[list[int], int]:
    """Slots by size, largest first (ties keep order), at consecutive offsets from 0."""
    order = sorted(range(len(log_sizes)), key=lambda i: -log_sizes[i])
    offsets = [0] * len(log_sizes)
    pos = 0
    for i in order:
        offsets[i] = pos
        pos += 1 << log_sizes[i]
    return offsets, pos


@dataclass(frozen=True)
class LeafSlot:
    """A slot of the LogUp leaves: a limb column at `scale`, or the table (column None)."""

    column: int
    scale: int
    offset: int
    log_size: int


def leaf_slots(col_vars: Sequence[int], widths: Sequence[int],
               limb_bits: int) -> tuple[tuple[LeafSlot, ...], int]:
    """Lookup-tree slots of limb columns (variables, widths) and the tree's depth D: one
    slot per column at scale 1, and a second at scale 2^(L-w) for a width w < L."""
    cols: list[int] = []
    scales: list[int] = []
    for c, w in enumerate(widths):
        cols.append(c)
        scales.append(1)
        if w < limb_bits:
            cols.append(c)
            scales.append(1 << (limb_bits - w))
    sizes = [col_vars[c] for c in cols]
    offsets, total = assign_slots(sizes)
    slots = tuple(
        LeafSlot(c, s, o, m) for c, s, o, m in zip(cols, scales, offsets, sizes, strict=True)
    )
    return slots, max(1, log2_ceil(total))


def expected_leaves(
    slots: Sequence[LeafSlot],
    depth: int,
    rho: Sequence[int],
    alpha: int,
    col_evals: Sequence[int],
) -> tuple[int, int]:
    """(P, Q) of the lookup tree's leaf MLEs at rho from the limb columns' evaluations.

    P = sum_s eq_s; Q = sum_s eq_s (alpha - scale_s c_s(rho_s)) + (1 - sum_s eq_s), eq_s
    the slot selectors.
    """
    p_exp = q_exp = 0
    for s in slots:
        sel = eq_bits(slot_bits(s.offset, s.log_size, depth), rho[s.log_size :])
        p_exp += sel
        q_exp += sel * (alpha - s.scale * col_evals[s.column])
    q_exp += 1 - p_exp
    return p_exp % R, q_exp % R


def expected_table(rho_t: Sequence[int], alpha: int, m_eval: int) -> tuple[int, int]:
    """(P, Q) of the range table's tree (depth L = len(rho_t)) at rho_t: -m(rho_t) and
    alpha - T_L(rho_t), T_L(x) = sum_{k<L} 2^k x_k."""
    t_l = sum(v << k for k, v in enumerate(rho_t))
    return (-m_eval) % R, (alpha - t_l) % R


def range_leaf_checks(
    slots: Sequence[LeafSlot],
    depth: int,
    rho: Sequence[int],
    rho_t: Sequence[int],
    alpha: int,
    roots: Sequence[Claim],
    col_evals: Sequence[Claim],
    m_eval: Claim,
) -> list[Check]:
    """The range group's four leaf checks (inference.md 4, "Lookups";
    circuits/zk_inference.md 3 item 2) as declarations over the trees' final claims
    `roots = (P, Q, P_t, Q_t)`, the limb columns' evaluations and `m(rho_t)`:
    `P - sum_s eq_s`, `Q - (sum_s eq_s (alpha - scale_s c_s) + 1 - sum_s eq_s)`, `P_t + m`
    and `Q_t - (alpha - T_L(rho_t))`, each `== 0` (all linear in the claims)."""
    p_0, q_0, p_t, q_t = roots
    sel_sum, q_const, q_terms = 0, 1, [(1, q_0)]
    for s in slots:
        sel = eq_bits(slot_bits(s.offset, s.log_size, depth), rho[s.log_size :])
        sel_sum += sel
        q_const += sel * (alpha - 1)
        q_terms.append((sel * s.scale, col_evals[s.column]))
    t_l = sum(v << k for k, v in enumerate(rho_t))
    return [
        zero_check("logup.leaf-numerators", linear([(1, p_0)], -sel_sum),
                   "logup leaves: P differs from the leaf layout's numerators"),
        zero_check("logup.leaf-denominators", linear(q_terms, -q_const),
                   "logup leaves: Q differs from the leaf layout's denominators"),
        zero_check("logup.table-claims", p_t + m_eval,
                   f"logup table: claims differ from -m(rho_t) and alpha - T{len(rho_t)}(rho_t)"),
        zero_check("logup.table-claims", linear([(1, q_t)], t_l - alpha),
                   f"logup table: claims differ from -m(rho_t) and alpha - T{len(rho_t)}(rho_t)"),
    ]


def check_lookup_trees(
    trees: Sequence[tuple[Sequence[int], int, int]],
    slots: Sequence[LeafSlot],
    depth: int,
    alpha: int,
    col_evals: Sequence[int],
    m_eval: int,
) -> None:
    """Check the two LogUp trees' final claims (inference.md section 4, Lookups) in the
    clear: `range_leaf_checks` over the values."""
    (rho, p_claim, q_claim), (rho_t, pt_claim, qt_claim) = trees
    roots = [Claim(f"logup-root[{j}]", v)
             for j, v in enumerate((p_claim, q_claim, pt_claim, qt_claim))]
    cols = [Claim(f"logup-leaf-evals[{j}]", v) for j, v in enumerate(col_evals)]
    m = Claim(f"logup-leaf-evals[{len(cols)}]", m_eval)
    for check in range_leaf_checks(slots, depth, rho, rho_t, alpha, roots, cols, m):
        run_check(check, CLEAR)


@dataclass(frozen=True)
class TableSlot:
    """A table gadget's LogUp trees and multiplicity column (nonlinear.md 3): its lookup
    tree has `depth = log2(B' n_g')`, its table tree `bits = t`; `t_g` sits at `offset`."""

    gadget: int
    depth: int
    bits: int
    offset: int


@dataclass(frozen=True)
class Layout:
    """Witness-stack and lookup-leaf layouts for one batch size (inference.md section 3)."""

    batch: int
    log_batch: int
    col_vars: tuple[int, ...]
    col_offsets: tuple[int, ...]
    m_offset: int
    num_vars: int
    log_cols: int
    leaf_slots: tuple[LeafSlot, ...]
    leaf_vars: int
    #: per table gadget in gadget order (nonlinear.md 3)
    tables: tuple[TableSlot, ...] = ()
    #: L (nonlinear.md 5): the range table has 2^L entries, m has 2^L entries
    limb_bits: int = 8

    def axes(self, feature_vars: int) -> Axes:
        """Kind 3's tensor layout: `(features, batch)`, features the low variables
        (pipeline.md, "Axes")."""
        return Axes.of((FEATURES, feature_vars), (BATCH, self.log_batch))

    @property
    def logup_depths(self) -> tuple[int, ...]:
        """The LogUp trees' depths: [D_0, L], then (n_g, t) per table gadget."""
        return (self.leaf_vars, self.limb_bits,
                *(d for s in self.tables for d in (s.depth, s.bits)))

    @property
    def logup_groups(self) -> tuple[int, ...]:
        """Trees per LogUp group: the range group (lookups, range table), then one group
        (lookups, table) per table gadget; each must sum to zero on its own (logup.md)."""
        return (2,) + (2,) * len(self.tables)

    def table_point(self, k: int, z: list[int] | tuple[int, ...]) -> tuple[int, ...]:
        """The witness-stack point of a claim on table gadget k's `t_g` at `z` (t coords)."""
        s = self.tables[k]
        return (*z, *slot_bits(s.offset, s.bits, self.num_vars))

    def column_point(self, col: int, z: list[int] | tuple[int, ...]) -> tuple[int, ...]:
        """The witness-stack point of a claim on column `col` at `z`."""
        m = self.col_vars[col]
        return (*z, *slot_bits(self.col_offsets[col], m, self.num_vars))

    def m_point(self, z: list[int] | tuple[int, ...]) -> tuple[int, ...]:
        """The witness-stack point of a claim on the multiplicity column at `z` (L coords)."""
        return (*z, *slot_bits(self.m_offset, self.limb_bits, self.num_vars))
