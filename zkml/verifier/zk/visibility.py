"""The visibility word of a hiding inference statement (circuits/zk_inference.md 1, 1.3).

`V` (u32): bits 0-1 the input (0 public, 1 private, 2 committed), bit 2 the weights
public, bit 3 the output committed. This verifier proves `V = 0` (public input) and
`V = 1` (private input: the statement carries no input; the input's limbs are witness
columns, range-checked like every limb, and every read of the input reads them, so
the proof binds the input without revealing it). Any other word is refused
(`zk.visibility`).
"""

from __future__ import annotations

from zkml.errors import VerificationError
from zkml.verifier.circuit import Circuit
from zkml.verifier.encoding import Reader
from zkml.verifier.inference_stages import read_io, read_output

__all__ = ["INPUT_COMMITTED", "INPUT_PRIVATE", "INPUT_PUBLIC", "VISIBILITIES", "check_visibility",
           "circuit_for", "input_name",
           "is_private_input", "read_statement_io"]

#: bits 0-1: the input's visibility
INPUT_PUBLIC, INPUT_PRIVATE, INPUT_COMMITTED = 0, 1, 2
#: the words this verifier proves
VISIBILITIES = (INPUT_PUBLIC, INPUT_PRIVATE)
_INPUT_NAMES = {INPUT_PUBLIC: "public", INPUT_PRIVATE: "private", INPUT_COMMITTED: "committed"}


def check_visibility(v: int) -> int:
    """`v` if this verifier proves it, else VerificationError `zk.visibility`."""
    if v not in VISIBILITIES:
        raise VerificationError(f"visibility word {v}: this verifier proves {VISIBILITIES} "
                                "(public or private input, public output, private weights)",
                                check="zk.visibility")
    return v


def is_private_input(v: int) -> bool:
    """Whether the statement of word `v` carries no input values (bits 0-1 not 0)."""
    return v & 3 != INPUT_PUBLIC


def input_name(v: int) -> str:
    """The input's visibility as a word: `public`, `private` or `committed`."""
    return _INPUT_NAMES.get(v & 3, "unknown")


def circuit_for(c: Circuit, v: int) -> Circuit:
    """The key's circuit as a proof of word `v` reads it: a private input's limbs are
    witness columns (zk_inference.md 1.3)."""
    return c.with_private_input() if is_private_input(v) else c


def read_statement_io(rd: Reader, c: Circuit, batch: int, v: int):
    """The statement's input and output, `((x, x_bytes), (y, y_bytes))`; a private
    input is `([], b"")` (not in the body, not absorbed)."""
    if is_private_input(v):
        return ([], b""), read_output(rd, c, batch)
    return read_io(rd, c, batch)
