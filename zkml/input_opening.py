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

from pathlib import Path
from typing import Any, ClassVar

from zkml.errors import InputError
from zkml.tensor_opening import TensorOpening, commitment_digest

__all__ = ["FORMAT", "InputOpening", "commitment_digest", "points_digest"]

FORMAT = "zkml-input-opening"
VERSION = 1


def points_digest(points: Any) -> bytes:
    """`commitment_digest` of a statement's commitment given as points (its `Vec<G1>`
    bytes); b"" for none (the tensor is not committed)."""
    from zkml.verifier.encoding import enc_g1, enc_u32

    pts = tuple(points)
    if not pts:
        return b""
    return commitment_digest(enc_u32(len(pts)) + b"".join(map(enc_g1, pts)))


class InputOpening(TensorOpening):
    """A committed input and its secret opening (module doc)."""

    FORMAT: ClassVar[str] = FORMAT
    ROWS_KEY: ClassVar[str] = "input"
    WHAT: ClassVar[str] = "input opening"

    @property
    def inputs(self) -> tuple[tuple[int, ...], ...]:
        """The quantized input rows."""
        return self.rows


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
