"""What a proof makes public, chosen per tensor (issue P8; circuits/zk_inference.md 1):
the API's `prove(..., input=, output=)` values, the statement's visibility word `V`
they map to, and what a proof's bytes say about it.

Built: the input `public` (default), `private` (a hiding proof whose statement carries
no input, zk_inference.md 1.3) or `committed` (its statement carries the input's
reusable commitment, 1.4; `zkml.input_opening`), the output `public` or `committed`
(its statement carries the output's commitment `C_Y` only, 1.6; `zkml.output_opening`;
not for an ArgMax output), the weights private (a hiding key), public
(`weights="public"`: a hiding proof against a non-hiding key, 1.5) or bound by a
non-hiding key's commitment (kind 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from zkml.errors import InputError

__all__ = ["INPUT_CHOICES", "OUTPUT_CHOICES", "OUTPUT_COMMITTED", "WEIGHTS_CHOICES",
           "Visibility",
           "visibility_word",
           "proof_visibility"]

#: the values `input=` takes
INPUT_CHOICES = ("public", "private", "committed")
#: the values `weights=` takes (None: the key's)
WEIGHTS_CHOICES = ("private", "public")
#: bit 2 of the word: the weights are public (zk_inference.md 1.5)
WEIGHTS_PUBLIC = 4
#: the values `output=` takes
OUTPUT_CHOICES = ("public", "committed")
#: bit 3 of the word: the output is committed (zk_inference.md 1.6)
OUTPUT_COMMITTED = 8
_INPUT_BITS = {"public": 0, "private": 1, "committed": 2}
_BUILT_INPUTS = ("public", "private", "committed")
_BUILT_OUTPUTS = ("public", "committed")
#: a kind-5 body: header (7), key digest (32), batch (4), then the word
_WORD_AT = 7 + 32 + 4


@dataclass(frozen=True)
class Visibility:
    """What a proof makes public: the input, the output and the weights, each a word
    (`public`, `private`, `committed`), and whether the proof hides everything else."""

    hiding: bool
    input: str = "public"
    output: str = "public"
    weights: str = "committed"

    @property
    def input_private(self) -> bool:
        """The statement carries no input values (the proof binds them, hidden)."""
        return self.input != "public"

    @property
    def output_committed(self) -> bool:
        """The statement carries the output's commitment, not its values (1.6)."""
        return self.output == "committed"

    def to_json(self) -> dict[str, object]:
        """The `visibility` object of `zkml prove|verify --json`."""
        return {"hiding": self.hiding, "input": self.input, "output": self.output,
                "weights": self.weights}


def _choice(value: object, what: str, choices: tuple[str, ...],
            built: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"{what} must be one of {', '.join(choices)}, not {value!r}")
    if value not in built:
        raise InputError(f"a {value} {what} is not built yet (this version proves "
                         f"{' or '.join(built)} {what}s)")
    return value


def visibility_word(input: object = "public", output: object = "public", *,
                    hiding: bool, weights: object = None) -> int:
    """The statement's word `V` for the API's `input=`, `output=` and `weights=`
    (zk_inference.md 1; `weights` None: the key's, private for a hiding key); InputError
    for a value that is not a choice or not built yet, public weights with a hiding key
    or private ones without, and a private or committed input or a committed output
    with a non-hiding key unless the weights are declared public (a kind-5 proof
    against the kind-4 key)."""
    inp = _choice(input, "input", INPUT_CHOICES, _BUILT_INPUTS)
    out = _choice(output, "output", OUTPUT_CHOICES, _BUILT_OUTPUTS)
    if weights is not None:
        _choice(weights, "weights", WEIGHTS_CHOICES, WEIGHTS_CHOICES)
    if weights == "public" and hiding:
        raise InputError("public weights go with a non-hiding key (compiled with "
                         "hiding=False in Python, --non-hiding on the command line), whose "
                         "commitment anyone with the model recomputes")
    if weights == "private" and not hiding:
        raise InputError("private weights need a hiding key: compile the model hiding "
                         "(the default; not hiding=False in Python, --non-hiding on the "
                         "command line)")
    hidden = f"a {inp} input" if inp != "public" else "a committed output"
    if (inp != "public" or out == "committed") and not hiding and weights != "public":
        raise InputError(f"{hidden} needs a hiding proof: compile the model hiding "
                         "(the default; not hiding=False in Python, --non-hiding on the "
                         "command line), or "
                         "declare the weights public (weights='public' in Python, "
                         "--weights-visibility public on the command line)")
    return (_INPUT_BITS[inp] | (WEIGHTS_PUBLIC if weights == "public" else 0)
            | (OUTPUT_COMMITTED if out == "committed" else 0))


def of_word(word: int, hiding: bool) -> Visibility:
    """The visibility a statement's word `V` stands for (a kind-3 proof has none: 0)."""
    names = {v: k for k, v in _INPUT_BITS.items()}
    return Visibility(hiding, names.get(word & 3, "unknown"),
                      "committed" if word & 8 else "public",
                      "public" if word & 4 else ("private" if hiding else "committed"))


def proof_visibility(proof: bytes) -> Visibility:
    """What a proof artifact makes public, read from its kind and (kind 5) its word;
    the bytes are not verified here."""
    from zkml.artifacts import KIND_HIDING_INFERENCE, artifact_kind

    if artifact_kind(proof) != KIND_HIDING_INFERENCE or len(proof) < _WORD_AT + 4:
        return of_word(0, False)
    return of_word(int.from_bytes(proof[_WORD_AT:_WORD_AT + 4], "big"), True)
