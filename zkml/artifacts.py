"""Artifacts of inference proofs: verifying keys (kind 4), proof statements (kind 3), and
the compiled model file with its circuit section.

Verifying key (circuits/inference.md section 7, encoding.md container):

    "ZKML" || u16 1 || u8 4 || u32 len || circuit JSON (canonical) ||
    u32 num_vars || u32 log_cols || Vec<G1> model commitment

`vk_digest = SHA256(whole artifact)`. A proof (kind 3) starts with
`vk_digest || u32 B || Vec<Fr> X || Vec<Fr> Y || Vec<G1> C_W`; `parse_proof_statement`
reads that prefix (for display and for matching a proof to a key) without verifying.

The compiled model file (`CompiledModel`, in zkml/compiled_model.py, which builds on
this module) is the P2 container (zkml/quant/container.py) plus an optional
section `circuit` (version 1; version 2 for a model with several inputs or outputs), so
a P2 reader still runs the model:

    circuit/circuit.json      the circuit description (canonical bytes, as in the key)
    circuit/meta.json         how gadgets map onto the IR: {"gadget_tensors": [...],
                              "input": NAME, "output": NAME, "rows": R}; version 2
                              adds "inputs" and / or "outputs" (zkml.compiler.io):
                              [{"name", "features", "frac_bits", "offset"}, ...], the
                              parts side by side in the statement's input / output
                              row, in statement order (several each)
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
from pathlib import Path
from typing import Any

from zkml.compiler.circuit import Circuit, CircuitFormatError
from zkml.compiler.circuit_load import load_key_circuit
from zkml.errors import InvalidKeyError, ProofFormatError, VerificationError
from zkml.verifier.encoding import MAX_CIRCUIT_JSON_BYTES, int_width

__all__ = [
    "MAGIC",
    "ARTIFACT_VERSION",
    "KIND_INFERENCE",
    "KIND_VERIFYING_KEY",
    "KIND_HIDING_INFERENCE",
    "KIND_HIDING_VERIFYING_KEY",
    "VerifyingKeyInfo",
    "ProofStatement",
    "encode_verifying_key",
    "parse_verifying_key",
    "parse_proof_statement",
    "proof_vk_digest",
    "artifact_kind",
    "vk_digest",
    "fr_to_signed",
    "statement_widths",
    "read_compiled_vk",
    "verifying_key_bytes",
    "read_compiled_public",
]

MAGIC = b"ZKML"
ARTIFACT_VERSION = 1
KIND_INFERENCE = 3
KIND_VERIFYING_KEY = 4
#: hiding inference proofs (circuits/zk_inference.md): the same leading `vk_digest`
KIND_HIDING_INFERENCE = 5
#: hiding verifying keys (circuits/zk_inference.md 4): kind 4's layout, blinded rows
KIND_HIDING_VERIFYING_KEY = 6
#: each kind's current format version (circuits/encoding.md)
KIND_VERSIONS = {KIND_INFERENCE: 2, KIND_VERIFYING_KEY: ARTIFACT_VERSION,
                 KIND_HIDING_INFERENCE: 1, KIND_HIDING_VERIFYING_KEY: 1}
_HEADER = struct.Struct(">4sHB")


def artifact_kind(data: bytes) -> int | None:
    """The kind byte of an artifact's header (encoding.md), None when `data` is too short
    to hold one; the header itself is checked by whoever parses the artifact."""
    return data[6] if len(data) > 6 else None


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
    wellformedness_bytes: int = 0
    #: a kind-6 key: blinded rows and a hiding well-formedness proof (zk_inference.md 4)
    hiding: bool = False

    @property
    def has_wellformedness_proof(self) -> bool:
        """The key carries the model stack's well-formedness proof (section 7)."""
        return self.wellformedness_bytes > 0

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
    got = rd.u8("kind")
    if got != kind:
        raise ProofFormatError(f"artifact kind {got} is not a {what} (kind {kind})")
    if version != KIND_VERSIONS[kind]:
        from zkml.verifier.proofs import unsupported_version

        raise ProofFormatError(unsupported_version(kind, version))
    return rd


def parse_verifying_key(data: bytes) -> VerifyingKeyInfo:
    """Parse a kind-4 artifact's structure (circuit, shape, commitments); raises
    InvalidKeyError. The well-formedness proof is left to `zkml.verifier`."""
    try:
        return _parse_verifying_key(data)
    except VerificationError as exc:  # the byte reader's errors, about the key here
        raise InvalidKeyError(exc.detail) from None


def _parse_verifying_key(data: bytes) -> VerifyingKeyInfo:
    hiding = artifact_kind(data) == KIND_HIDING_VERIFYING_KEY
    rd = _reader(data, KIND_HIDING_VERIFYING_KEY if hiding else KIND_VERIFYING_KEY,
                 "verifying key")
    n = rd.count(1, "circuit description", maximum=MAX_CIRCUIT_JSON_BYTES)
    cj = rd.raw(n, "circuit description")
    try:
        circuit = load_key_circuit(cj)  # the verify path: no native module
    except CircuitFormatError as exc:
        raise InvalidKeyError(exc.detail) from None
    nv, lc = rd.u32("num_vars"), rd.u32("log_cols")
    ms = circuit.model_stack
    if (nv, lc) != (ms.num_vars, ms.log_cols):
        raise InvalidKeyError("shape differs from the circuit's model stack")
    start = rd.position
    rd.g1_vec("model commitment", expected=1 << (nv - lc))
    commitment = bytes(data[start : rd.position])
    if rd.remaining == 0 and not hiding:  # written before the well-formedness proof existed
        return VerifyingKeyInfo(bytes(data), bytes(cj), circuit, nv, lc, commitment)
    rb = ms.range_bits
    rd.g1_vec("multiplicity commitment", expected=1 << (rb - rb // 2))
    if rd.remaining == 0:
        raise InvalidKeyError("the well-formedness proof is missing")
    # The proof itself is checked by the verifier (zkml.verifier) when it loads the key.
    return VerifyingKeyInfo(bytes(data), bytes(cj), circuit, nv, lc, commitment, rd.remaining,
                            hiding)


@dataclass(frozen=True)
class ProofStatement:
    """The statement prefix of an inference proof, kind 3 or 5 (not verified).

    `statement_end` is where the statement ends (the witness commitment's count starts)
    and `commitment_end` where the witness commitment ends: the sections' boundaries.
    `visibility` is a hiding proof's visibility word (zk_inference.md 1; None in kind 3).
    """

    vk_digest: bytes
    batch: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    witness_rows: int
    size: int
    kind: int = KIND_INFERENCE
    visibility: int | None = None
    statement_end: int = 0
    commitment_end: int = 0
    #: kind 5: a committed input's `C_X` and a committed output's `C_Y` as their
    #: `Vec<G1>` bytes (zk_inference.md 1.4, 1.6); b"" when not committed
    input_commitment: bytes = b""
    output_commitment: bytes = b""

    @property
    def hiding(self) -> bool:
        """A hiding proof (kind 5)."""
        return self.kind == KIND_HIDING_INFERENCE


def statement_widths(circuit: Circuit) -> tuple[int, int]:
    """Widths of the statement's input and output integers (inference.md section 4)."""
    b = circuit.input_bits
    w_in = int_width(-(1 << (b - 1)), (1 << (b - 1)) - 1)
    out = circuit.output
    w_out = int_width(0, circuit.output_features - 1) if circuit.argmax else \
        int_width(out.lo, out.hi)
    return w_in, w_out


def _ints(rd, width: int, what: str, expected: int | None = None) -> tuple[int, ...]:
    n = rd.count(width, what, expected=expected)
    raw = rd.raw(n * width, what)
    return tuple(int.from_bytes(raw[i : i + width], "big", signed=True)
                 for i in range(0, len(raw), width))


def proof_vk_digest(data: bytes) -> bytes:
    """The verifying-key digest an inference proof (kind 3, or 5: hiding) names (its
    first statement field)."""
    hiding = artifact_kind(data) == KIND_HIDING_INFERENCE
    kind = KIND_HIDING_INFERENCE if hiding else KIND_INFERENCE
    return _reader(data, kind, "inference proof").raw(32, "vk digest")


def parse_proof_statement(data: bytes, circuit: Circuit | None = None) -> ProofStatement:
    """Read `vk_digest, B, [V,] X, Y, C_W` of an inference proof: kind 3, or kind 5
    (hiding) with its visibility word `V` after `B` (statement integers are compact
    `Ints`, inference.md section 4, zk_inference.md 1.2). With the key's `circuit` the
    widths and counts are exact; without it they are inferred (for display only)."""
    kind = artifact_kind(data)
    if kind not in (KIND_INFERENCE, KIND_HIDING_INFERENCE):  # also None: too short
        kind = KIND_INFERENCE  # _reader names the kind found
    rd = _reader(data, kind, "inference proof")
    digest = rd.raw(32, "vk digest")
    batch = rd.u32("batch")
    visibility = rd.u32("visibility") if kind == KIND_HIDING_INFERENCE else None
    start = rd.position

    word = visibility or 0

    def done(rd, xs, ys, c_x=b"", c_y=b"") -> ProofStatement:
        end = rd.position
        rows = rd.count(64, "witness commitment")
        rd.raw(64 * rows, "witness commitment")
        return ProofStatement(digest, batch, xs, ys, rows, len(data), kind, visibility, end,
                              rd.position, c_x, c_y)

    def tensor(rd, bits: int, width: int, what: str, n: int | None):
        """zk_inference.md 1.2-1.6: a public tensor's `Ints`, a private input's nothing,
        a committed tensor's `Vec<G1>` (returned as bytes)."""
        if bits == 1:
            return (), b""
        if bits == 2:
            at = rd.position
            rd.raw(64 * rd.count(64, f"{what} commitment"), f"{what} commitment")
            return (), data[at:rd.position]
        return _ints(rd, width, what, n), b""

    in_bits, out_bits = word & 3, 2 if word & 8 else 0
    if circuit is not None:
        w_in, w_out = statement_widths(circuit)
        xs, c_x = tensor(rd, in_bits, w_in, "input", batch * circuit.input_features)
        ys, c_y = tensor(rd, out_bits, w_out, "output", batch * circuit.statement_outputs)
        return done(rd, xs, ys, c_x, c_y)
    for w_in in (1, 2, 4, 8):
        for w_out in (1, 2, 4, 8):
            try:
                trial = _reader(data, kind, "inference proof")
                trial.raw(start - 7, "prefix")
                xs, c_x = tensor(trial, in_bits, w_in, "input", None)
                ys, c_y = tensor(trial, out_bits, w_out, "output", None)
                st = done(trial, xs, ys, c_x, c_y)
            except ProofFormatError:
                continue
            rows = st.witness_rows
            if batch and (xs or in_bits) and (ys or out_bits) and len(xs) % batch == 0 \
                    and len(ys) % batch == 0 and rows & (rows - 1) == 0 and rows:
                return st
    raise ProofFormatError("inference proof: the statement does not parse")


def read_compiled_vk(path: str | os.PathLike[str], data: bytes | None = None) -> bytes:
    """The verifying key (kind 4, or 6: hiding) stored in a compiled model file, without
    loading the model.

    Checks the file's hash of `circuit/vk.bin` against the container header; standard
    library only (no numpy), for `zkml verify --model`. Reads only the header and the
    key, each bounded (`zkml.limits`: the file, the zip directory, the header's and the
    key's inflated sizes), so a forged file costs at most those limits; raises
    CompiledModelError (FileError for a missing or unreadable file). The weights, the
    model stack and its blinders are never read.
    """
    return _read_compiled_public(path, data, with_inputs=False)[0]


def read_compiled_public(path: str | os.PathLike[str], data: bytes | None = None
                         ) -> tuple[bytes, dict[str, tuple[int, ...]]]:
    """What a verifier may take from a compiled model file: its verifying key (as
    `read_compiled_vk`) and its inputs' names and shapes of one run, in input order (from
    `model/graph.json`, hash-checked, bounded like the header). Never reads the weights,
    the model stack or its blinders (secret: circuits/zk_inference.md)."""
    return _read_compiled_public(path, data, with_inputs=True)


def _read_compiled_public(path: str | os.PathLike[str], data: bytes | None,
                          with_inputs: bool) -> tuple[bytes, dict[str, tuple[int, ...]]]:
    from zkml import jsonio, limits
    from zkml.errors import CompiledModelError, FileError
    from zkml.fileio import BoundedZip

    source = path if data is None else bytes(data)
    graph: bytes | None = None
    with BoundedZip(source, "compiled model", limits.MODEL_ZIP, CompiledModelError,
                    missing=FileError) as zf:
        try:
            header = jsonio.loads(zf.read("header.json", limits.MODEL_HEADER),
                                  f"{path}: the header", CompiledModelError)
            files = header["sections"]["circuit"]["files"]
            with zf.open("circuit/vk.bin") as fh:  # its kind first, before inflating it
                head = fh.read(_HEADER.size)
            if head[:4] != MAGIC or head[6] not in (KIND_VERIFYING_KEY,
                                                    KIND_HIDING_VERIFYING_KEY):
                raise CompiledModelError(f"{path}: its verifying key is corrupt")
            vk = zf.read("circuit/vk.bin", limits.VERIFYING_KEY)
            if with_inputs:
                graph = zf.read("model/graph.json", limits.MODEL_HEADER)
                graph_hash = header["sections"]["model"]["files"]["model/graph.json"]
        except KeyError:
            raise CompiledModelError(f"{path} has no verifying key (compile it with this "
                                     "zkml)") from None
        except (ValueError, TypeError, IndexError):
            raise CompiledModelError(f"{path} is not a readable zkml compiled model") from None
    if not isinstance(header, dict) or header.get("format") != "zkml-compiled-model" or \
            not isinstance(files, dict) or \
            files.get("circuit/vk.bin") != hashlib.sha256(vk).hexdigest():
        raise CompiledModelError(f"{path}: its verifying key is corrupt")
    if graph is None:
        return vk, {}
    if graph_hash != hashlib.sha256(graph).hexdigest():
        raise CompiledModelError(f"{path}: its model graph is corrupt")
    return vk, _input_shapes(jsonio.loads(graph, f"{path}: the model graph",
                                          CompiledModelError), path)


def _input_shapes(graph: object, path: str | os.PathLike[str]) -> dict[str, tuple[int, ...]]:
    """The inputs' shapes from a model graph document (read, not trusted)."""
    from zkml.errors import CompiledModelError

    try:
        shapes = {t["name"]: t["shape"] for t in graph["tensors"]}  # type: ignore[index]
        out = {name: tuple(shapes[name]) for name in graph["inputs"]}  # type: ignore[index]
    except (KeyError, TypeError):
        raise CompiledModelError(f"{path}: its model graph is corrupt") from None
    if not out or not all(isinstance(n, str) and d and all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in d)
            for n, d in out.items()):
        raise CompiledModelError(f"{path}: its model graph is corrupt")
    return out


def verifying_key_bytes(vk: Any) -> bytes:
    """A verifying key's bytes from whatever names one: bytes, a `.vk` path or a compiled
    model's path (only its key is read, each kind of file under its own limit,
    zkml.limits, never whole first), or an object holding the bytes (`verifying_key`,
    `data`, `raw`, or a `to_bytes()`); InvalidKeyError otherwise."""
    if isinstance(vk, bytes | bytearray | memoryview):
        return bytes(vk)
    if isinstance(vk, str | os.PathLike):
        from zkml.fileio import read_head, read_verifying_key

        path = Path(vk)
        if read_head(path, 2, "verifying key") == b"PK":
            return read_compiled_vk(path)
        return read_verifying_key(path)
    for attr in ("verifying_key", "data", "raw"):
        value = getattr(vk, attr, None)
        if isinstance(value, bytes):
            return value
    if callable(getattr(vk, "to_bytes", None)) and not isinstance(vk, int):  # not int.to_bytes
        return bytes(vk.to_bytes())
    raise InvalidKeyError(f"cannot use a {type(vk).__name__} as a verifying key")
