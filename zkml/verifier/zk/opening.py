"""The hiding opening (circuits/zk.md 5.4) on the verifier's side.

Row commitments are blinded, so hyrax.md's clear opening vector `w` would reveal a row
combination and the row check could not be done in clear. Instead, per stack: hyrax.md's
claim batching as a committed sumcheck (5.2) over hidden claims, the stack evaluation
`e = P(r)` as a commitment `C_e`, the batching check `final - e * sum_k alpha^k eq(z_k, r)`
as a linear form for the one linear check (5.3), and a proof of dot product (sigma.md)
with `C_x = sum_i E_{r,hi}[i] C_i`, `a = E_{r,lo}`, `C_y = C_e`. Nothing here touches the
curve: the forms and statements go to the tail's one merged check (`zk.tail`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import MAX_STACKS, G1Point, Reader
from zkml.verifier.field import R, eq_eval, eq_table
from zkml.verifier.hyrax import check_claim_shapes, check_shape
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.sigma import MAX_DOT_LENGTH, Statement
from zkml.verifier.zk.sumcheck import read_rounds, verify_batched

__all__ = ["HidingStack", "verify_opening"]

#: A claim `P(point) = v` with `v` committed: the point and `v`'s form.
HiddenClaim = tuple[tuple[int, ...], Form]


@dataclass(frozen=True)
class HidingStack:
    """One committed stack: its shape (from the statement), its blinded row commitments
    (already absorbed by the caller) and the hidden claims on it."""

    num_vars: int
    log_cols: int
    rows: tuple[G1Point, ...]
    claims: tuple[HiddenClaim, ...]


def _check_sizes(stacks: Sequence[HidingStack]) -> None:
    """Every size against the shapes before anything is allocated: hyrax.md's limits, at
    most 2^15 columns (the longest dot product, sigma.md), one row commitment per row."""
    if not 1 <= len(stacks) <= MAX_STACKS:
        raise VerificationError(f"{len(stacks)} stacks out of limits", check="batch-open.shape")
    for s, st in enumerate(stacks):
        check_shape(st.num_vars, st.log_cols, f"stack {s}")
        if 1 << st.log_cols > MAX_DOT_LENGTH:
            raise ProofFormatError(f"stack {s}: {st.log_cols} column bits > 15",
                                   check="proof.limits")
        if len(st.rows) != 1 << (st.num_vars - st.log_cols):
            raise VerificationError(f"stack {s}: {len(st.rows)} row commitments",
                                    check="batch-open.shape")
        check_claim_shapes([z for z, _ in st.claims], st.num_vars, f"stack {s}")


def _absorb_points_and_draw(t: Transcript, stacks: Sequence[HidingStack]) -> list[int]:
    """hyrax.md's clear order without the values (their commitments were absorbed when
    sent): per stack the claim count and every point, then one `batch-alpha` per stack."""
    for st in stacks:
        t.absorb_u32("claims", len(st.claims))
        for z, _ in st.claims:
            t.absorb_frs("claim-point", z)
    return [t.squeeze("batch-alpha") for _ in stacks]


def _stack(t: Transcript, r: Reader, st: HidingStack, alpha: int, s: int
           ) -> tuple[Form, Statement]:
    """One stack: its committed sumcheck and `C_e` from `r`; returns its linear form and
    its dot-product statement."""
    rounds = read_rounds(r, st.num_vars, 2)
    c_e = r.g1(f"stack {s} eval")
    weights = [pow(alpha, k, R) for k in range(len(st.claims))]
    claim = Form.combine(zip(weights, (v for _, v in st.claims), strict=True))
    point, _, final = verify_batched(t, [claim], [st.num_vars], 2, rounds)
    t.absorb_points("zk-stack-eval", [c_e])
    e_r = sum(w * eq_eval(z, point) for w, (z, _) in zip(weights, st.claims, strict=True)) % R
    e = Form.of(c_e)
    c_x = Form.combine(zip(eq_table(point[st.log_cols:]), map(Form.of, st.rows), strict=True))
    dot = Statement("dot_product", (c_x, e), tuple(eq_table(point[:st.log_cols])))
    return final - e.scaled(e_r), dot


def verify_opening(t: Transcript, r: Reader, stacks: Sequence[HidingStack]
                   ) -> tuple[list[Form], list[Statement]]:
    """Run zk.md 5.4 for `stacks` in order, reading each stack's rounds and `C_e` from
    `r`. Returns the linear forms (one per stack, for the one linear check) and the
    dot-product statements (one per stack, after the products in the sigma batch); the
    caller has absorbed every row commitment and every claim's commitment."""
    _check_sizes(stacks)
    alphas = _absorb_points_and_draw(t, stacks)
    out = [_stack(t, r, st, a, s) for s, (st, a) in enumerate(zip(stacks, alphas, strict=True))]
    return [f for f, _ in out], [d for _, d in out]
