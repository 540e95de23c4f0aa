"""Artifacts of inference proofs: verifying keys (kind 4), proof statements (kind 3), and
the compiled model file with its circuit section.

Verifying key (circuits/inference.md section 7, encoding.md container):

    "ZKML" || u16 1 || u8 4 || u32 len || circuit JSON (canonical) ||
    u32 num_vars || u32 log_cols || Vec<G1> model commitment

`vk_digest = SHA256(whole artifact)`. A proof (kind 3) starts with
`vk_digest || u32 B || Vec<Fr> X || Vec<Fr> Y || Vec<G1> C_W`; `parse_proof_statement`
reads that prefix (for display and for matching a proof to a key) without verifying.

The compiled model file (`CompiledModel`, defined in zkml/compiled_model.py and
importable from here) is the P2 container (zkml/quant/container.py) plus an optional
section `circuit` (version 1), so a P2 reader still runs the model:

    circuit/circuit.json      the circuit description (canonical bytes, as in the key)
    circuit/meta.json         how gadgets map onto the IR: {"gadget_tensors": [...],
                              "input": NAME, "output": NAME, "rows": R}
    circuit/model_stack.npy   int64, length 2^num_vars: weights (n_out, n_in) and biases
                              padded at their slots, zeros elsewhere
    circuit/commitment.bin    the model stack's Hyrax commitment (Vec<G1> bytes)
    circuit/vk.bin            the verifying key artifact (kind 4)
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass

from zkml.compiler.circuit import Circuit, CircuitFormatError
from zkml.errors import ProofFormatError

__all__ = [
    "MAGIC",
    "ARTIFACT_VERSION",
    "KIND_INFERENCE",
    "KIND_VERIFYING_KEY",
    "VerifyingKeyInfo",
    "ProofStatement",
    "encode_verifying_key",
    "parse_verifying_key",
    "parse_proof_statement",
    "vk_digest",
    "fr_to_signed",
    "read_compiled_vk",
    "CompiledModel",  # noqa: F822 (lazy, see __getattr__)
]

MAGIC = b"ZKML"
ARTIFACT_VERSION = 1
KIND_INFERENCE = 3
KIND_VERIFYING_KEY = 4
_HEADER = struct.Struct(">4sHB")


def vk_digest(vk_bytes: bytes) -> bytes:
    """SHA256 of the whole verifying-key artifact (absorbed by every proof)."""
    return hashlib.sha256(bytes(vk_bytes)).digest()


def fr_to_signed(v: int) -> int:
    """A field element read as a signed integer (values above r/2 are negative)."""
    from zkml.verifier.field import R

    return v - R if v > R // 2 else v


def encode_verifying_key(circuit_json: bytes, num_vars: int, log_cols: int,
                         commitment: bytes) -> bytes:
    """The kind-4 artifact bytes; `commitment` is `Vec<G1>` as `zkml.prover.commit` returns."""
    return (_HEADER.pack(MAGIC, ARTIFACT_VERSION, KIND_VERIFYING_KEY)
            + struct.pack(">I", len(circuit_json)) + bytes(circuit_json)
            + struct.pack(">II", num_vars, log_cols) + bytes(commitment))


@dataclass(frozen=True)
class VerifyingKeyInfo:
    """A parsed verifying key (structure checked, commitment points on the curve)."""

    data: bytes
    circuit_json: bytes
    circuit: Circuit
    num_vars: int
    log_cols: int
    commitment: bytes

    @property
    def digest(self) -> bytes:
        """`vk_digest`: SHA256 of the artifact bytes."""
        return vk_digest(self.data)


def _reader(data: bytes, kind: int, what: str):
    from zkml.verifier.encoding import Reader

    rd = Reader(bytes(data))
    if rd.remaining < 4 or rd.raw(4, "magic") != MAGIC:
        raise ProofFormatError(f"not a zkml {what} (bad magic)")
    version = rd.u16("version")
    if version != ARTIFACT_VERSION:
        raise ProofFormatError(f"unsupported {what} format version {version}")
    got = rd.u8("kind")
    if got != kind:
        raise ProofFormatError(f"artifact kind {got} is not a {what} (kind {kind})")
    return rd


def parse_verifying_key(data: bytes) -> VerifyingKeyInfo:
    """Parse a kind-4 artifact strictly; raises ProofFormatError."""
    rd = _reader(data, KIND_VERIFYING_KEY, "verifying key")
    n = rd.u32("circuit length")
    cj = rd.raw(n, "circuit description")
    try:
        circuit = Circuit.from_bytes(cj)
    except CircuitFormatError as exc:
        raise ProofFormatError(f"verifying key: {exc}") from None
    nv, lc = rd.u32("num_vars"), rd.u32("log_cols")
    ms = circuit.model_stack
    if (nv, lc) != (ms.num_vars, ms.log_cols):
        raise ProofFormatError("verifying key: shape differs from the circuit's model stack")
    start = rd.position
    rd.g1_vec("model commitment", expected=1 << (nv - lc))
    commitment = bytes(data[start : rd.position])
    rd.finish()
    return VerifyingKeyInfo(bytes(data), bytes(cj), circuit, nv, lc, commitment)


@dataclass(frozen=True)
class ProofStatement:
    """The statement prefix of an inference proof (not verified)."""

    vk_digest: bytes
    batch: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    witness_rows: int
    size: int


def parse_proof_statement(data: bytes) -> ProofStatement:
    """Read `vk_digest, B, X, Y, C_W` of a kind-3 proof; values as signed integers."""
    rd = _reader(data, KIND_INFERENCE, "inference proof")
    digest = rd.raw(32, "vk digest")
    batch = rd.u32("batch")
    xs = tuple(fr_to_signed(v) for v in rd.fr_vec("input"))
    ys = tuple(fr_to_signed(v) for v in rd.fr_vec("output"))
    rows = rd.count(64, "witness commitment")
    return ProofStatement(digest, batch, xs, ys, rows, len(data))




def __getattr__(name: str):
    # CompiledModel needs numpy; the key and proof parsers above do not.
    if name == "CompiledModel":
        from zkml.compiled_model import CompiledModel

        return CompiledModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def read_compiled_vk(path: str | os.PathLike[str], data: bytes | None = None) -> bytes:
    """The verifying key stored in a compiled model file, without loading the model.

    Checks the file's hash of `circuit/vk.bin` against the container header; standard
    library only (no numpy), for `zkml verify --model`.
    """
    import io
    import json
    import zipfile

    from zkml.errors import ModelError

    try:
        if data is None:
            with open(path, "rb") as fh:
                data = fh.read()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            header = json.loads(zf.read("header.json"))
            files = header["sections"]["circuit"]["files"]
            vk = zf.read("circuit/vk.bin")
    except FileNotFoundError:
        raise ModelError(f"compiled model not found: {path}") from None
    except KeyError:
        raise ModelError(f"{path} has no verifying key (compile it with this zkml)") from None
    except (OSError, ValueError, zipfile.BadZipFile, TypeError):
        raise ModelError(f"{path} is not a readable zkml compiled model") from None
    if header.get("format") != "zkml-compiled-model" or \
            files.get("circuit/vk.bin") != hashlib.sha256(vk).hexdigest():
        raise ModelError(f"{path}: the verifying key in the compiled model is corrupt")
    return vk
