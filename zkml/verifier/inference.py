"""Inference proofs (kind 3): inference.md sections 4, 4b and 5 (keys: model_key.py).

This module is the driver: it parses a proof by the message counts the gadget checks
declare and runs the transcript schedule of inference.md 5 (LogUp, acc points, every
gadget's acc-evals and later messages, zerocheck challenges, the output point, one
batched sumcheck over every declared instance, one batch opening) through the stages
kind 3 shares with its hiding form (`inference_stages.py`). Every gadget step is its
check class's (`zkml.verifier.gadgets`, one per op in `GADGETS`), the output instances
`gadgets/output.py`'s; the per-op math lives in conv.py, pool.py, window.py, spatial.py,
nonlinear.py, rows.py and rearrange.py. Limbs: `limb_bits` (nonlinear.md 5).

An inference proof can only be parsed against its verifying key (every vector length is
fixed by the circuit and the batch size), so `InferenceVerifier` binds one key and
verifies many proofs for it, from any number of threads: kind 3 here, kind 5 (hiding,
circuits/zk_inference.md) by `zk_inference.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.circuit import Layout
from zkml.verifier.declarations import CLEAR, Backend
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.gadgets import GadgetCheck, Instance, OutputCheck
from zkml.verifier.generators import DEFAULT_SEED, GeneratorSource, generators, seed_digest
from zkml.verifier.hyrax import StackOpening
from zkml.verifier.hyrax import parse_batch_opening_proof as parse_openings
from zkml.verifier.inference_stages import (
    InferenceStages,
    InferenceStatement,
    MessagePlan,
    read_gadget_evals,
    read_io,
    read_key_and_batch,
    statement_of,
    to_signed,
)
from zkml.verifier.logup import LogupProof, parse_logup_trees
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.pipeline import PipelineMessages, verify_pipeline
from zkml.verifier.proofs import KIND_HIDING_INFERENCE, KIND_INFERENCE, read_header
from zkml.verifier.sumcheck import SumcheckProof, parse_sumcheck_proof

__all__ = ["VerifyingKey", "InferenceStatement", "InferenceVerifier", "to_signed"]

#: kind 3's reader of the gadgets' messages (a module attribute: tests wrap it)
_read_gadget_evals = read_gadget_evals


@dataclass(frozen=True)
class _Kind3:
    """A parsed kind-3 proof, its messages in the order sent; `checks` and `instances`
    are the declarations its message counts were read by (one check per gadget, fresh
    for this proof)."""

    batch: int
    x: list[int]
    x_bytes: bytes
    y: list[int]
    y_bytes: bytes
    c_w: tuple[G1Point, ...]
    logup: tuple[LogupProof, ...]
    leaf_evals: list[int]
    acc_evals: list[list[int]]
    #: per gadget, the messages its check declares after its acc-evals (conv.md 5:
    #: a winmax's E_g; nonlinear.md 11, rearrange.md 3: a concat's E_1..E_K)
    extra: list[list[list[int]]]
    argmax_evals: list[int]
    sumcheck: SumcheckProof
    sc_evals: list[int]
    openings: list[StackOpening]
    checks: list[GadgetCheck]
    output: OutputCheck
    instances: list[Instance]



def _parse_kind3(rd: Reader, vk: VerifyingKey, max_batch: int) -> _Kind3:
    c = vk.circuit
    batch = read_key_and_batch(rd, vk, max_batch)
    lay = c.layout(batch)
    (x, x_raw), (y, y_raw) = read_io(rd, c, batch)
    c_w = rd.g1_vec("witness commitment", expected=1 << (lay.num_vars - lay.log_cols))
    logup = parse_logup_trees(rd, lay.logup_depths)
    plan = MessagePlan.of(c, lay)
    leaf = rd.fr_vec("logup-leaf-evals", expected=plan.leaf_count)
    acc, extra = _read_gadget_evals(rd, plan.checks)
    am = plan.read_argmax(rd, Reader.fr_vec)
    sc = parse_sumcheck_proof(rd, plan.sumcheck_vars, 3, "inference sumcheck")
    sc_evals = rd.fr_vec("sumcheck-evals", expected=plan.sumcheck_evals)
    shapes = [(lay.num_vars, lay.log_cols), (vk.num_vars, vk.log_cols)]
    openings = parse_openings(rd, shapes)
    rd.finish()
    return _Kind3(batch, x, x_raw, y, y_raw, tuple(c_w), logup, leaf, acc, extra,
                  am, sc, sc_evals, openings, plan.checks, plan.output, plan.instances)


def _verify_kind3(
    p: _Kind3, vk: VerifyingKey, lay: Layout, digest: bytes, gens, backend: Backend = CLEAR
) -> InferenceStatement:
    """The proof pipeline (pipeline.md) with kind 3's stages (`InferenceStages`)."""
    msgs = PipelineMessages(p.c_w, p.logup, p.leaf_evals, p.sumcheck, p.sc_evals, p.openings)
    verify_pipeline(InferenceStages(p, vk, lay, digest, backend), msgs, gens)
    return statement_of(p, vk.circuit, vk, digest)


class InferenceVerifier(GeneratorSource):
    """Verifies inference proofs for one verifying key; build once, share between threads.

    Construction derives the generators the key's model stack and a batch-1 witness
    stack need (cached for the process), so the first proof does not pay for them. A key
    checked for another generator seed is checked again for this one (InvalidKeyError
    if its well-formedness proof fails).
    """

    def __init__(
        self,
        vk: VerifyingKey,
        seed: bytes = DEFAULT_SEED,
        *,
        max_log_cols: int = 30,
        max_batch: int = 1 << 20,
    ) -> None:
        if not isinstance(vk, VerifyingKey):
            raise TypeError(f"vk must be a VerifyingKey, not {type(vk).__name__}")
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise TypeError(f"seed must be bytes, not {type(seed).__name__}")
        self._vk = vk
        self._seed_digest = seed_digest(bytes(seed))
        if vk.seed_digest != self._seed_digest:
            vk.check_well_formed(self._seed_digest)
        self._max_cols = 1 << max_log_cols
        self._max_batch = max_batch
        cols = max(1 << vk.log_cols, 1 << vk.circuit.layout(1).log_cols)
        if cols <= self._max_cols:
            generators(self._seed_digest, cols)

    @property
    def vk(self) -> VerifyingKey:
        return self._vk

    def verify(self, data: bytes, *, backend: Backend = CLEAR) -> InferenceStatement:
        """Verify an inference artifact for this key: kind 3, or kind 5 (hiding,
        circuits/zk_inference.md; its statement has `hiding=True`). Returns the
        statement or raises VerificationError.

        `backend` evaluates a kind-3 proof's declared checks (circuits/checks.md): in the
        clear by default; the tests pass a mock commitment backend. A kind-5 proof's are
        always evaluated over its commitments.
        """
        try:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ProofFormatError(f"artifact must be bytes, not {type(data).__name__}",
                                       check="api.argument-type")
            kind, rd = read_header(bytes(data))
            if kind == KIND_HIDING_INFERENCE:
                from zkml.verifier.zk_inference import verify_hiding_inference

                return verify_hiding_inference(rd, self._vk, self._seed_digest,
                                               self._max_batch, self._generators)
            if kind != KIND_INFERENCE:
                raise VerificationError(f"artifact kind {kind}, expected an inference proof "
                                        "(3 or 5)", check="proof.header-kind")
            parsed = _parse_kind3(rd, self._vk, self._max_batch)
            lay = self._vk.circuit.layout(parsed.batch)
            return _verify_kind3(parsed, self._vk, lay, self._seed_digest, self._generators,
                                 backend)
        except VerificationError:
            raise
        except Exception as exc:  # fail closed: any internal surprise is a rejection
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise VerificationError(msg, check="verifier.internal") from exc
