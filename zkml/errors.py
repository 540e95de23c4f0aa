"""Exception hierarchy shared by every part of zkml.

Callers that only care whether something went wrong catch `ZkmlError`; a service that
verifies proofs catches `VerificationError`, which covers malformed bytes as well.
"""

from __future__ import annotations

__all__ = ["ZkmlError", "VerificationError", "ProofFormatError", "StatementMismatchError",
           "ProverError", "ModelError"]


class ZkmlError(Exception):
    """Base class of every error raised by zkml."""


class VerificationError(ZkmlError):
    """A proof was rejected: a check failed, or the artifact is not acceptable."""


class ProofFormatError(VerificationError):
    """The artifact bytes do not parse under the strict encoding rules (encoding.md)."""


class StatementMismatchError(VerificationError):
    """A valid proof states another input than the one the caller expects (its input
    digest differs): it proves nothing about the caller's input."""


class ProverError(ZkmlError):
    """The prover could not produce a proof (bad witness, inconsistent inputs)."""


class ModelError(ZkmlError):
    """A model could not be imported, quantized or compiled."""
