"""A committed output's opening (circuits/zk_inference.md 1.6): what the prover keeps of
a proof whose statement carries only the output's commitment `C_Y`.

The file is JSON (format `zkml-output-opening`, version 1): the key digest the output
is of, the batch, the quantized output rows, the row blinders (hex of 32-byte
big-endian field elements) and `C_Y` itself (hex of its `Vec<G1>` bytes). It holds the
output and the blinders, so it is written 0600 (`zkml.filewrite`, kind "output
opening") and never over an existing file. A proof shows `C_Y` only, which
`commitment_digest` names; the owner opens it with `open_output` (the values, checked
against `C_Y` and the key), can hand the opening to whoever should learn the output,
and can prove the same output again under the same `C_Y` by passing the file back to
`zkml.prove(..., output="committed", output_opening=PATH)`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from zkml.errors import InputError
from zkml.tensor_opening import TensorOpening

__all__ = ["FORMAT", "OutputOpening", "open_output", "opening_for_proof",
           "prepare_output_opening"]

FORMAT = "zkml-output-opening"
VERSION = 1


class OutputOpening(TensorOpening):
    """A committed output and its secret opening (module doc)."""

    FORMAT: ClassVar[str] = FORMAT
    ROWS_KEY: ClassVar[str] = "output"
    WHAT: ClassVar[str] = "output opening"

    @property
    def outputs(self) -> tuple[tuple[int, ...], ...]:
        """The quantized output rows."""
        return self.rows

    def keep(self, path: str | Path | None) -> None:
        """After the proof: write the opening to `path` unless it came from there
        (a reused opening) or no file was asked for."""
        if path is not None and not Path(path).exists():
            self.save(path)


def prepare_output_opening(circuit_json: bytes, vk_digest: bytes, rows: Any, batch: int,
                           path: str | Path | None, *,
                           seed: bytes | None = None) -> OutputOpening:
    """The opening a committed-output proof of `rows` (the quantized output, B rows) is
    made with: the one in the file `path` when it exists (it must be of this key and
    output: InputError otherwise; the proof then carries the same `C_Y`), else a new
    one with fresh blinders (the caller saves it once the proof is made)."""
    from zkml.prover import draw_output_blinders, output_commitment

    want = tuple(tuple(int(v) for v in r) for r in rows)
    if path is not None and Path(path).exists():
        opening = OutputOpening.load(path)
        if opening.vk_digest != vk_digest:
            raise InputError(f"the output opening {path} is for another model (its key "
                             "digest differs)")
        if opening.outputs != want:
            raise InputError(f"the output opening {path} opens another output than this "
                             "proof's")
        return opening
    blinders = draw_output_blinders(circuit_json, batch, seed=seed)
    commitment = output_commitment(circuit_json, rows, batch, blinders, seed=seed)
    return OutputOpening(vk_digest, batch, want, blinders, commitment)


def opening_for_proof(word: int, circuit: Any, args: tuple, path: str | Path | None,
                      seed: bytes | None) -> OutputOpening | None:
    """`zkml.prove`'s output opening for visibility word `word`: None for a public
    output (an opening file is then an InputError), else `prepare_output_opening` of
    the proof's arguments (`args`: circuit JSON, model stack, columns, batch, inputs,
    outputs, key digest); an ArgMax output cannot be committed (InputError)."""
    if not word & 8:
        if path is not None:
            raise InputError("an output opening goes with output='committed'")
        return None
    if circuit.argmax:
        raise InputError("a committed output of an ArgMax model is not built (its class "
                         "indices have no committed form, circuits/zk_inference.md 1.6)")
    return prepare_output_opening(args[0], args[6], args[5], args[3], path, seed=seed)


def open_output(opening: OutputOpening | str | Path, vk: Any, expected: Any = None, *,
                seed: bytes | None = None) -> tuple[tuple[int, ...], ...]:
    """The output rows an opening opens, checked: the opening is of `vk` (bytes, a .vk
    or compiled-model path, a CompiledModel), its values and blinders recompute its
    `C_Y` (with the native prover), and, when `expected` is given (a
    `VerifiedInference`, or a commitment digest as bytes or hex), that is the
    commitment a verified proof showed. InputError when any of these fails;
    InvalidKeyError when `vk` names no key or is not a well-formed key's bytes."""
    from zkml.artifacts import parse_verifying_key, verifying_key_bytes
    from zkml.prover import output_commitment

    op = opening if isinstance(opening, OutputOpening) else OutputOpening.load(opening)
    vk_bytes = verifying_key_bytes(vk)
    if hashlib.sha256(vk_bytes).digest() != op.vk_digest:
        raise InputError("the output opening is for another model (its key digest differs)")
    flat = [v for row in op.outputs for v in row]
    circuit_json = parse_verifying_key(vk_bytes).circuit_json
    again = output_commitment(circuit_json, flat, op.batch, op.blinders, seed=seed)
    if again != op.commitment:
        raise InputError("the output opening's values and blinders do not make its "
                         "commitment")
    if expected is not None:
        want = getattr(expected, "output_commitment_digest", expected)
        if isinstance(want, str):
            want = bytes.fromhex(want)
        if bytes(want) != op.digest:
            raise InputError("the output opening opens another commitment than the "
                             f"expected one ({op.digest.hex()[:16]}...)")
    return op.outputs
