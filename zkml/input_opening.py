"""A committed input's opening (circuits/zk_inference.md 1.4): what the input's owner
keeps to make proofs about one commitment `C_X`, again and again.

The file is JSON (format `zkml-input-opening`, version 1): the key digest the input is
for, the batch, the quantized input rows, the row blinders (hex of 32-byte big-endian
field elements) and `C_X` itself (hex of its `Vec<G1>` bytes). It holds the input and
the blinders, so it is written 0600 (`zkml.filewrite`, kind "input opening") and never
over an existing file. Anyone holding `C_X` learns nothing of the input; a proof about
it shows `C_X`, which `commitment_digest` names.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkml.errors import InputError

__all__ = ["FORMAT", "InputOpening", "commitment_digest", "points_digest"]

FORMAT = "zkml-input-opening"
VERSION = 1


def commitment_digest(commitment: bytes) -> bytes:
    """SHA256 of a committed input's `Vec<G1>` bytes: how tools name `C_X` (and a
    committed output's `C_Y`, zk_inference.md 1.6)."""
    return hashlib.sha256(commitment).digest()


def points_digest(points: Any) -> bytes:
    """`commitment_digest` of a statement's commitment given as points (its `Vec<G1>`
    bytes); b"" for none (the tensor is not committed)."""
    from zkml.verifier.encoding import enc_g1, enc_u32

    pts = tuple(points)
    if not pts:
        return b""
    return commitment_digest(enc_u32(len(pts)) + b"".join(map(enc_g1, pts)))


@dataclass(frozen=True)
class InputOpening:
    """A committed input and its secret opening (module doc)."""

    vk_digest: bytes
    batch: int
    inputs: tuple[tuple[int, ...], ...]
    blinders: bytes
    commitment: bytes

    @property
    def digest(self) -> bytes:
        """The commitment's digest (`commitment_digest`)."""
        return commitment_digest(self.commitment)

    def to_bytes(self) -> bytes:
        """The file's JSON bytes."""
        doc = {"format": FORMAT, "version": VERSION, "vk_digest": self.vk_digest.hex(),
               "batch": self.batch, "input": [list(r) for r in self.inputs],
               "blinders": [self.blinders[i:i + 32].hex()
                            for i in range(0, len(self.blinders), 32)],
               "commitment": self.commitment.hex()}
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls, data: bytes, what: str = "input opening") -> InputOpening:
        """Parse and check an opening file's bytes (InputError when malformed)."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{what}: not JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT \
                or doc.get("version") != VERSION:
            raise InputError(f"{what}: not a {FORMAT} version {VERSION} file")
        try:
            rows = tuple(tuple(_int(v) for v in r) for r in doc["input"])
            blinders = b"".join(_hex(h, 32) for h in doc["blinders"])
            out = cls(_hex(doc["vk_digest"], 32), _int(doc["batch"]), rows, blinders,
                      _hex(doc["commitment"], None))
        except (KeyError, TypeError) as exc:
            raise InputError(f"{what}: missing or malformed field ({exc})") from None
        if out.batch != len(rows) or out.batch < 1 or not blinders:
            raise InputError(f"{what}: batch {out.batch} does not match its rows")
        return out

    def save(self, path: str | Path) -> Path:
        """Write the opening 0600, never over an existing file."""
        from zkml.filewrite import write_atomic

        return write_atomic(path, self.to_bytes(), overwrite=False, what="input opening")

    @classmethod
    def load(cls, path: str | Path) -> InputOpening:
        """Read an opening file."""
        from zkml.errors import FileError

        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.from_bytes(data, f"input opening {path}")


def _int(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{v!r} is not an integer")
    return v


def _hex(v: Any, size: int | None) -> bytes:
    if not isinstance(v, str):
        raise TypeError(f"{v!r} is not hex")
    try:
        out = bytes.fromhex(v)
    except ValueError:
        raise TypeError(f"{v[:20]!r} is not hex") from None
    if size is not None and len(out) != size:
        raise TypeError(f"{len(out)} bytes, expected {size}")
    return out


def open_committed_input(circuit_json: bytes, vk_digest: bytes, rows: Any, batch: int,
                         given: InputOpening | str | Path | None, *,
                         seed: bytes | None = None) -> InputOpening:
    """The opening a committed-input proof of `rows` (the quantized input, B rows) is
    made with: `given` (an InputOpening or its file) when it is of this key and input
    (InputError otherwise), else a new one with fresh blinders."""
    from zkml.prover import draw_input_blinders, input_commitment

    want = tuple(tuple(int(v) for v in r) for r in rows)
    if given is not None:
        opening = given if isinstance(given, InputOpening) else InputOpening.load(given)
        if opening.vk_digest != vk_digest:
            raise InputError("the input opening is for another model (its key digest "
                             "differs)")
        if opening.inputs != want:
            raise InputError("the input opening is of another input than the one given")
        return opening
    blinders = draw_input_blinders(circuit_json, batch, seed=seed)
    commitment = input_commitment(circuit_json, rows, batch, blinders, seed=seed)
    return InputOpening(vk_digest, batch, want, blinders, commitment)
