"""The visibility word of a hiding inference statement (circuits/zk_inference.md 1, 1.3).

`V` (u32): bits 0-1 the input (0 public, 1 private, 2 committed), bit 2 the weights
public, bit 3 the output committed. This verifier proves `V = 0` (public input) and
`V = 1` (private input: the statement carries no input; the input's limbs are witness
columns, range-checked like every limb, and every read of the input reads them, so
the proof binds the input without revealing it) and `V = 2` (committed input, 1.4: the
statement carries the blinded row commitments `C_X` of a stack of the input's limbs,
and the range group's leaf claims on the input's limbs are claimed on that stack too,
which ties the witness's limbs to `C_X`), each with or without bit 2 (public weights,
1.5: allowed with a kind-4 key only) and bit 3 (committed output, 1.6: the statement
carries the blinded row commitments `C_Y` of a stack of the output's values in the
output's place, and the output instance's claim `Y~(r_out)` is a commitment sent after
the output point, claimed on that stack too; not with an ArgMax output). Any other word
is refused (`zk.visibility`).
"""

from __future__ import annotations

from dataclasses import dataclass

from zkml.errors import VerificationError
from zkml.verifier.circuit import Circuit
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.inference_stages import read_input, read_output
from zkml.verifier.layout import assign_slots, log2_ceil, slot_bits

__all__ = ["WEIGHTS_PUBLIC", "INPUT_COMMITTED", "INPUT_PRIVATE", "INPUT_PUBLIC",
           "OUTPUT_COMMITTED", "VISIBILITIES", "check_visibility", "check_output",
           "InputStack", "circuit_for", "input_name", "input_stack", "is_committed_output",
           "is_private_input", "output_stack", "read_statement_io"]

#: bits 0-1: the input's visibility
INPUT_PUBLIC, INPUT_PRIVATE, INPUT_COMMITTED = 0, 1, 2
#: bit 2: the weights are public (zk_inference.md 1.5: the key is a kind-4 key)
WEIGHTS_PUBLIC = 4
#: bit 3: the output is committed (zk_inference.md 1.6: the statement carries `C_Y`)
OUTPUT_COMMITTED = 8
#: the words this verifier proves: an input word, with or without public weights and
#: a committed output
VISIBILITIES = tuple(i | w | o for o in (0, OUTPUT_COMMITTED) for w in (0, WEIGHTS_PUBLIC)
                     for i in (INPUT_PUBLIC, INPUT_PRIVATE, INPUT_COMMITTED))
_INPUT_NAMES = {INPUT_PUBLIC: "public", INPUT_PRIVATE: "private", INPUT_COMMITTED: "committed"}


def check_visibility(v: int, hiding_key: bool = False) -> int:
    """`v` if this verifier proves it for a key that is hiding (kind 6) or not, else
    VerificationError `zk.visibility`: public weights (bit 2) need a kind-4 key, whose
    unblinded commitment anyone holding the model can recompute."""
    if v not in VISIBILITIES:
        raise VerificationError(f"visibility word {v}: this verifier proves {VISIBILITIES} "
                                "(a public, private or committed input, a public or "
                                "committed output, private or public weights)",
                                check="zk.visibility")
    if v & WEIGHTS_PUBLIC and hiding_key:
        raise VerificationError("the proof says the weights are public, but its key is a "
                                "hiding key (kind 6) that hides them", check="zk.visibility")
    return v


def check_output(c: Circuit, v: int) -> None:
    """Refuse a committed output (bit 3) of an ArgMax circuit (`zk.visibility`): its
    indices are not the output gadget's values, and zk_inference.md 1.6 commits values."""
    if v & OUTPUT_COMMITTED and c.argmax:
        raise VerificationError("the proof says its output is committed, but an ArgMax "
                                "output (indices) has no committed form in version 1",
                                check="zk.visibility")


def is_committed_output(v: int) -> bool:
    """Whether the statement of word `v` carries the output's commitment (bit 3)."""
    return bool(v & OUTPUT_COMMITTED)


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


@dataclass(frozen=True)
class InputStack:
    """A committed input's stack (zk_inference.md 1.4): the input's limb columns, each
    `col_vars` variables, in limb order in slots of the witness-stack layout; square
    shape."""

    col_vars: int
    offsets: tuple[int, ...]
    num_vars: int

    @property
    def log_cols(self) -> int:
        return (self.num_vars + 1) // 2

    @property
    def rows(self) -> int:
        return 1 << (self.num_vars - self.log_cols)

    def point(self, limb: int, z) -> tuple[int, ...]:
        """The stack point of limb `limb`'s claim at `z` (hyrax.md, "Stack layouts")."""
        return (*z, *slot_bits(self.offsets[limb], self.col_vars, self.num_vars))


def input_stack(c: Circuit, batch: int) -> InputStack:
    """The committed-input stack of private-input circuit `c` at `batch`."""
    lay = c.layout(batch)
    n = lay.col_vars[c.input_u[0].index]
    offsets, total = assign_slots([n] * len(c.input_u))
    return InputStack(n, tuple(offsets), max(1, log2_ceil(total)))


def output_stack(c: Circuit, batch: int) -> InputStack:
    """The committed-output stack of `c` at `batch` (zk_inference.md 1.6): one column,
    the output's values as the `B' x pad(features)` matrix `r_out` reads, at offset 0."""
    n = log2_ceil(batch) + log2_ceil(c.output_features)
    return InputStack(n, (0,), max(1, n))


def read_statement_io(rd: Reader, c: Circuit, batch: int, v: int):
    """The statement's input and output, `((x, x_bytes), (y, y_bytes), c_x, c_y)`; a
    private input is `([], b"")` (not in the body, not absorbed), a committed one is
    `C_X` (one point per row of its stack, `c_x`; empty otherwise); a committed output
    is `([], b"")` and `C_Y` (`c_y`, one point per row of its stack; empty otherwise)."""
    check_output(c, v)
    c_x: list[G1Point] = []
    c_y: list[G1Point] = []
    if v & 3 == INPUT_COMMITTED:
        c_x = rd.g1_vec("input commitment", expected=input_stack(c, batch).rows)
    x = ([], b"") if is_private_input(v) else read_input(rd, c, batch)
    if is_committed_output(v):
        c_y = rd.g1_vec("output commitment", expected=output_stack(c, batch).rows)
        return x, ([], b""), c_x, c_y
    return x, read_output(rd, c, batch), c_x, c_y
