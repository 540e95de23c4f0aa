"""Every group and field element of a proof, read with the pure-Python verifier's
parsers (no hand offsets): where a proof's statement ends, kind 3's clear scalars, and
kind 5's points and scalars."""

from __future__ import annotations

import dataclasses
from unittest import mock

import zkml.verifier.zk.tail as zk_tail
from zkml.verifier.encoding import Reader
from zkml.verifier.inference import InferenceVerifier, _parse_kind3
from zkml.verifier.inference_stages import read_io, read_key_and_batch
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.proofs import KIND_HIDING_INFERENCE, read_header
from zkml.verifier.zk_inference import parse_hiding_inference

#: dataclass fields that are shapes, not revealed values
_SHAPES = {"num_vars", "degree", "depth", "checks", "output", "instances", "batch", "x",
           "x_bytes", "y", "y_bytes", "c_w", "visibility"}
_MAX_BATCH = 1 << 20


def statement_end(vk: VerifyingKey, proof: bytes) -> int:
    """The offset where the statement (header, key digest, batch, visibility word,
    input, output) ends and the prover's messages start."""
    kind, rd = read_header(proof)
    read_key_and_batch(rd, vk, _MAX_BATCH)
    if kind == KIND_HIDING_INFERENCE:
        rd.u32("visibility")
    read_io(rd, vk.circuit, 1)
    return len(proof) - rd.remaining


def _walk(v, out: list) -> None:
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


def kind5_elements(vk: VerifyingKey, proof: bytes) -> tuple[list, list[int]]:
    """(points, scalars) of a kind-5 proof after its statement: every commitment, the
    hiding opening's, the products, `tau`, and the sigma batch's first messages and
    responses (the batch is read during a verification, when its shape is known)."""
    _, rd = read_header(proof)
    p = parse_hiding_inference(rd, vk, _MAX_BATCH)
    points: list = []
    for name in ("c_w", "logup", "leaf_evals", "acc_evals", "extra", "argmax_evals",
                 "sumcheck", "sc_evals", "products"):
        v = getattr(p, name)
        if name == "logup":
            v = [(t.root, t.layers) for t in v]
        flat: list = []
        walk_points(v, flat)
        points += flat
    while p.opening.remaining:
        points.append(p.opening.g1())
    scalars = [p.tail.fr()]
    seen: dict = {}
    real = zk_tail.read_batch

    def read_batch(r, stmts):
        seen["proofs"] = real(r, stmts)
        return seen["proofs"]

    with mock.patch.object(zk_tail, "read_batch", read_batch):
        InferenceVerifier(vk).verify(proof)
    for sp in seen["proofs"]:
        points += sp.first
        scalars += sp.responses
    return points, scalars


def walk_points(v, out: list) -> None:
    """Points are (x, y) tuples of ints (or None, the identity)."""
    if v is None or (isinstance(v, tuple) and len(v) == 2 and all(isinstance(c, int)
                                                                   for c in v)):
        out.append(v)
    elif isinstance(v, list | tuple):
        for x in v:
            walk_points(x, out)


def reader_at(proof: bytes, offset: int) -> Reader:
    """A reader over `proof` from `offset`."""
    return Reader(proof[offset:])
