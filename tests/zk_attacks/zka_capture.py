"""What an attacker reads from a proof: every field element it reveals and the public
challenges they are taken at, recomputed by the pure-Python verifier's own transcript
code. The verifier runs unchanged; these wrappers only record the values it computes
(`unittest.mock.patch` on the module attributes it calls, for the duration of one
verification).

Kind 3 (circuits/inference.md 5, hyrax.md): per stack (witness, model) the claims
`(z_k, v_k)` with their values in clear, the batch opening's point `r`, its evaluation
and the opening vector `w = E_hi(r)^T M` (M the stack as a rows x cols matrix).
Kind 5 (circuits/zk_inference.md): per stack the opening's point `r` (the committed
sumcheck's challenges) and, in place of `w`, the proof of dot product's responses
`z = d + c x` with `x = E_hi(r)^T M` (sigma.md 3), the sigma challenge `c`, and `tau`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from unittest import mock

import zkml.verifier.hyrax as hyrax
import zkml.verifier.pipeline as pipeline
import zkml.verifier.zk.opening as zk_opening
import zkml.verifier.zk.tail as zk_tail
from zkml.verifier.inference import InferenceVerifier
from zkml.verifier.model_key import VerifyingKey


@dataclass
class StackView:
    """One stack's revealed values in one proof (`w`, `evaluation`, `claims` are kind 3's;
    `z`, `c` kind 5's; `point` both)."""

    num_vars: int
    log_cols: int
    point: list[int]
    claims: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    w: list[int] = field(default_factory=list)
    evaluation: int | None = None
    z: list[int] = field(default_factory=list)
    c: int | None = None
    rows: tuple = ()


def observe_kind3(vk: VerifyingKey, proof: bytes) -> list[StackView]:
    """Verify a kind-3 proof and return its two stacks' revealed values (witness, model)."""
    seen: list[StackView] = []
    points: list[list[int]] = []
    real_open, real_sc = pipeline.batch_open_verify, hyrax.sumcheck_verify

    def sumcheck(*args, **kw):
        r, final = real_sc(*args, **kw)
        points.append(list(r))
        return r, final

    def batch_open(t, stacks, openings, gens):
        with mock.patch.object(hyrax, "sumcheck_verify", sumcheck):
            real_open(t, stacks, openings, gens)
        for st, op, r in zip(stacks, openings, points, strict=True):
            seen.append(StackView(st.num_vars, st.log_cols, r, list(st.claims), list(op.w),
                                  op.eval, rows=st.commitment))

    with mock.patch.object(pipeline, "batch_open_verify", batch_open):
        InferenceVerifier(vk).verify(proof)
    return seen


def observe_kind5(vk: VerifyingKey, proof: bytes) -> list[StackView]:
    """Verify a kind-5 proof and return its two stacks' opening points and dot-product
    responses (witness, model)."""
    points: list[tuple[int, int, list[int]]] = []
    batch: dict = {}
    real_vb, real_read, real_eq = (zk_opening.verify_batched, zk_tail.read_batch,
                                   zk_tail.equations)

    def verify_batched(t, claims, inst_vars, degree, rounds):
        out = real_vb(t, claims, inst_vars, degree, rounds)
        points.append(out[0])
        return out

    def read_batch(r, stmts):
        batch["stmts"], batch["proofs"] = stmts, real_read(r, stmts)
        return batch["proofs"]

    def equations(gens, s, p, c):  # a dot product's equations, at the sigma challenge
        batch["c"] = c
        return real_eq(gens, s, p, c)

    with mock.patch.object(zk_opening, "verify_batched", verify_batched), \
            mock.patch.object(zk_tail, "read_batch", read_batch), \
            mock.patch.object(zk_tail, "equations", equations):
        InferenceVerifier(vk).verify(proof)
    shapes = [(vk.circuit.layout(1).num_vars, vk.circuit.layout(1).log_cols),
              (vk.num_vars, vk.log_cols)]
    dots = batch["proofs"][-2:]  # one proof of dot product per stack, last in the batch
    return [StackView(n, lc, pt, z=list(d.responses[: 1 << lc]), c=batch["c"])
            for (n, lc), pt, d in zip(shapes, points, dots, strict=True)]
