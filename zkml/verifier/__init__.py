"""The independent pure-Python verifier of zkml proof artifacts.

This package implements the protocol text in `circuits/` a second time, separately
from the Rust prover, and never imports the native module: a bug in the prover must
not be able to hide itself here. It depends on the standard library only, so
importing it is fast.

Typical use::

    from zkml.verifier import Verifier, verify_artifact

    statement = verify_artifact(data)          # raises VerificationError on rejection
    print(statement.kind_name)

    verifier = Verifier()                      # build once (service start-up) ...
    statement = verifier.verify(data)          # ... verify many artifacts, from any thread

Inference proofs (kind 3, and kind 5: hiding proofs, circuits/zk_inference.md, whose
statement has `hiding=True`) are verified against their model's verifying key (kind 4)::

    from zkml.verifier import VerifyingKey, InferenceVerifier, verify_inference

    vk = VerifyingKey.from_bytes(vk_bytes)     # strict parse and the model's well-formedness
                                               # proof; vk.digest = SHA256(vk_bytes)
    statement = verify_inference(proof, vk)    # InferenceStatement: batch, input, output
    model = InferenceVerifier(vk)              # or Verifier().for_model(vk): build once,
    statement = model.verify(proof)            # verify many proofs of this model

A service that has checked a key before can skip its well-formedness proof with
`VerifyingKey.from_bytes(vk_bytes, trusted_digest=digest)` (only when the digest
matches); within one process a key is checked once per generator seed.

Every rejection of a proof raises `zkml.errors.VerificationError` (or its subclass
`ProofFormatError` when the bytes do not parse strictly, `TruncatedProofError` when they
end early) with a short message naming the failed check and `exc.check`, the check's
stable id (circuits/soundness.md, "Check ids"); a bad verifying key raises
`zkml.errors.InvalidKeyError`, which is not a VerificationError (the key is at fault,
not the proof). No other exception type escapes, whatever the input bytes.
"""

from __future__ import annotations

import threading

from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier.generators import DEFAULT_SEED, GeneratorSource, generators, seed_digest
from zkml.verifier.inference import InferenceStatement, InferenceVerifier, VerifyingKey
from zkml.verifier.proofs import (
    INFERENCE_KINDS,
    KIND_PCS_BATCH_OPENING,
    KIND_PRODUCT_SUMCHECK,
    BatchOpeningStatement,
    ProductSumcheckStatement,
    StackStatement,
    Statement,
    parse_artifact,
    read_header,
    verify_parsed,
)

__all__ = [
    "DEFAULT_SEED",
    "Verifier",
    "verify_artifact",
    "verify_batch_opening",
    "verify_product_sumcheck",
    "verify_inference",
    "VerifyingKey",
    "InferenceVerifier",
    "InferenceStatement",
    "Statement",
    "StackStatement",
    "BatchOpeningStatement",
    "ProductSumcheckStatement",
    "VerificationError",
    "ProofFormatError",
]


class Verifier(GeneratorSource):
    """A verifier bound to one generator seed; build once, verify many artifacts.

    Instances hold no mutable state of their own; the derived generators live in a
    process-wide cache guarded by a lock, so one instance may be shared by threads.
    """

    def __init__(
        self, seed: bytes = DEFAULT_SEED, *, precompute: int = 0, max_log_cols: int = 30
    ) -> None:
        """Bind to `seed`.

        `precompute` derives the first that many generators now (for example 1024
        for stacks with 2^10 columns) so that the first proof does not pay for them.
        `max_log_cols` rejects statements with more than 2^max_log_cols columns before
        any generator is derived: each generator costs about 0.15 ms and stays cached,
        so a service facing untrusted artifacts should set it to what its models use.
        """
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise TypeError(f"seed must be bytes, not {type(seed).__name__}")
        self._seed = bytes(seed)
        self._seed_digest = seed_digest(self._seed)
        self._max_log_cols = max_log_cols
        self._max_cols = 1 << max_log_cols
        if precompute > 0:
            generators(self._seed_digest, precompute)

    def for_model(self, vk: VerifyingKey) -> InferenceVerifier:
        """An InferenceVerifier for `vk` with this verifier's seed and column limit."""
        return InferenceVerifier(vk, self._seed, max_log_cols=self._max_log_cols)

    def _run(
        self, data: bytes, expected_kind: int | None, vk: VerifyingKey | None = None
    ) -> Statement:
        if vk is not None and not isinstance(vk, VerifyingKey):
            raise InvalidKeyError(f"vk must be a VerifyingKey, not {type(vk).__name__}",
                                  check="api.argument-type")
        try:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise ProofFormatError(f"artifact must be bytes, not {type(data).__name__}",
                                       check="api.argument-type")
            if vk is not None:
                kind, _ = read_header(bytes(data))
                if kind not in INFERENCE_KINDS or (
                        expected_kind is not None and kind != expected_kind):
                    raise VerificationError(
                        f"artifact kind {kind} given with a verifying key: "
                        "expected an inference proof (kind 3, or 5 when hiding)",
                        check="proof.header-kind",
                    )
                return self.for_model(vk).verify(data)
            kind, parsed = parse_artifact(bytes(data))
            if expected_kind is not None and kind != expected_kind:
                raise VerificationError(f"artifact kind {kind}, expected kind {expected_kind}",
                                        check="proof.header-kind")
            return verify_parsed(kind, parsed, self._seed_digest, self._generators)
        except (VerificationError, InvalidKeyError):  # the key's own check, for this seed
            raise
        except Exception as exc:  # fail closed: any internal surprise is a rejection
            msg = f"internal verifier error: {type(exc).__name__}: {exc}"[:200]
            raise VerificationError(msg, check="verifier.internal") from exc

    def verify(self, data: bytes, vk: VerifyingKey | None = None) -> Statement:
        """Verify an artifact of any known kind; returns its statement or raises.

        An inference proof (kind 3, or kind 5: hiding) is verified only when its
        verifying key `vk` is given; with `vk` given, any other kind is rejected.
        """
        return self._run(data, None, vk)

    def verify_inference(self, data: bytes, vk: VerifyingKey) -> InferenceStatement:
        """Verify an inference proof against `vk`: kind 3, or kind 5 (hiding; the
        statement's `hiding` is True); other kinds are rejected."""
        st = self._run(data, None, vk)
        if not isinstance(st, InferenceStatement):
            raise VerificationError("internal verifier error: wrong statement type",
                                    check="verifier.internal")
        return st

    def verify_batch_opening(self, data: bytes) -> BatchOpeningStatement:
        """Verify a kind-1 (`pcs-batch-opening`) artifact; other kinds are rejected."""
        st = self._run(data, KIND_PCS_BATCH_OPENING)
        if not isinstance(st, BatchOpeningStatement):
            raise VerificationError("internal verifier error: wrong statement type",
                                    check="verifier.internal")
        return st

    def verify_product_sumcheck(self, data: bytes) -> ProductSumcheckStatement:
        """Verify a kind-2 (`product-sumcheck`) artifact; other kinds are rejected."""
        st = self._run(data, KIND_PRODUCT_SUMCHECK)
        if not isinstance(st, ProductSumcheckStatement):
            raise VerificationError("internal verifier error: wrong statement type",
                                    check="verifier.internal")
        return st


_verifiers: dict[bytes, Verifier] = {}
_verifiers_lock = threading.Lock()


def _verifier_for(seed: bytes) -> Verifier:
    if not isinstance(seed, bytes | bytearray | memoryview):
        raise VerificationError(f"generator seed must be bytes, not {type(seed).__name__}",
                                check="api.argument-type")
    key = bytes(seed)
    with _verifiers_lock:
        v = _verifiers.get(key)
        if v is None:
            v = _verifiers[key] = Verifier(key)
        return v


def verify_artifact(
    data: bytes, *, seed: bytes = DEFAULT_SEED, vk: VerifyingKey | None = None
) -> Statement:
    """Verify an artifact of any known kind against generators of `seed`.

    Returns the verified statement (a `BatchOpeningStatement`, a
    `ProductSumcheckStatement`, or with `vk` an `InferenceStatement`); raises
    VerificationError (ProofFormatError for malformed bytes) on rejection. An
    inference proof (kind 3, or kind 5: hiding) needs its model's verifying key `vk`.
    """
    return _verifier_for(seed).verify(data, vk)


def verify_inference(
    data: bytes, vk: VerifyingKey, *, seed: bytes = DEFAULT_SEED
) -> InferenceStatement:
    """Verify an inference proof (its bytes) against the verifying key `vk`: kind 3, or
    kind 5, a hiding proof (circuits/zk_inference.md; the statement's `hiding` is True).

    A proof made for another key is rejected ("proof is for another model").
    """
    return _verifier_for(seed).verify_inference(data, vk)


def verify_batch_opening(data: bytes, *, seed: bytes = DEFAULT_SEED) -> BatchOpeningStatement:
    """Verify a kind-1 `pcs-batch-opening` artifact (its bytes); rejects any other kind."""
    return _verifier_for(seed).verify_batch_opening(data)


def verify_product_sumcheck(data: bytes, *, seed: bytes = DEFAULT_SEED) -> ProductSumcheckStatement:
    """Verify a kind-2 `product-sumcheck` artifact (its bytes); rejects any other kind."""
    return _verifier_for(seed).verify_product_sumcheck(data)
