"""Reading proofs with the pure-Python verifier's parsers (no hand offsets): where a
proof's statement ends, every clear scalar of a kind-3 proof, and the points of a parsed
kind-5 proof (zka_blinders reads the rest)."""

from __future__ import annotations

import dataclasses

from zkml.verifier.inference import _parse_kind3
from zkml.verifier.inference_stages import read_io, read_key_and_batch
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.proofs import KIND_HIDING_INFERENCE, read_header

#: dataclass fields that are shapes, not revealed values
_SHAPES = {"num_vars", "degree", "depth", "checks", "output", "instances", "batch", "x",
           "x_bytes", "y", "y_bytes", "c_w", "visibility"}
_MAX_BATCH = 1 << 20


def statement_end(vk: VerifyingKey, proof: bytes) -> int:
    """The offset where the statement (header, key digest, batch, visibility word,
    input, output) ends and the prover's messages start."""
    kind, rd = read_header(proof)
    batch = read_key_and_batch(rd, vk, _MAX_BATCH)
    if kind == KIND_HIDING_INFERENCE:
        rd.u32("visibility")
    read_io(rd, vk.circuit, batch)
    return len(proof) - rd.remaining


def _walk(v, out: list) -> None:
    """Append to `out` every int nested in `v` (lists, tuples, dataclasses; shape fields
    skipped)."""
    if isinstance(v, int):
        out.append(v)
    elif isinstance(v, list | tuple):
        for x in v:
            _walk(x, out)
    elif dataclasses.is_dataclass(v):
        for f in dataclasses.fields(v):
            if f.name not in _SHAPES:
                _walk(getattr(v, f.name), out)


def kind3_scalars(vk: VerifyingKey, proof: bytes) -> list[int]:
    """Every field element a kind-3 proof sends in clear: LogUp's round values and
    claims, the leaf, acc, later, argmax and sumcheck evals, the sumcheck's round
    values, and the batch opening's rounds, evaluations and opening vectors."""
    _, rd = read_header(proof)
    out: list[int] = []
    _walk(_parse_kind3(rd, vk, _MAX_BATCH), out)
    return out


def walk_points(v, out: list) -> None:
    """Append to `out` every point nested in lists and tuples `v` (a point is an (x, y)
    tuple of ints, or None for the identity)."""
    if v is None or (isinstance(v, tuple) and len(v) == 2 and all(isinstance(c, int)
                                                                   for c in v)):
        out.append(v)
    elif isinstance(v, list | tuple):
        for x in v:
            walk_points(x, out)

