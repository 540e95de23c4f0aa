"""The statement a verifier's caller checks: digests of its input and output, and the
expected input quantized the way the prover quantizes it.

A valid proof says "the model of this key maps input X to output Y"; it says nothing
about an input the caller has in mind unless the caller compares. The *input digest*
(circuits/inference.md section 4, "Statement digests") is `SHA256(u32 B || Ints(X))`,
the exact bytes the transcript absorbs for the batch size and the input; the *output
digest* is the same over `Ints(Y)`. Tools show their first 16 hex digits.

`quantize_rows` (and `quantize_input`, its statement form) turns the data `zkml.prove`
takes (an array, a batch, EZKL's list, a dict of named inputs) into the statement's
integer rows at the key's input scale, with the very function the prover uses
(`zkml.quant.rounding.quantize_float`: round half up, then saturate), and reports per
input what saturation clipped and what lies beyond the calibrated range
(`zkml.quant.clipping.ClipReport`); `strict` refuses clipped input (InputError). `zkml.prove`,
`Verifier.verify`'s expected input and the dry run all quantize through it. With a
compiled model's input shapes the data is read as `zkml.prove` reads it
(`zkml.inputs.as_input_rows`); from a verifying key alone (which records only the input
row's width) the data must be one input whose arrays' trailing axes hold whole rows.

Importing this module does not import numpy; only quantizing an expected input does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from zkml.errors import InputError, StatementMismatchError
from zkml.quant.clipping import ClipReport, calibrated_ranges, clip_report, require_finite
from zkml.verifier.encoding import enc_ints, enc_u32, int_width

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["SHOWN_HEX_DIGITS", "MIN_PREFIX_HEX_DIGITS", "InputLayout", "ClipReport",
           "Clipping", "QuantizedInput", "statement_digest", "statement_digests",
           "short_digest", "parse_digest_prefix", "quantize_rows", "quantize_input",
           "require_input", "require_input_digest"]

#: hex digits of a digest that tools print (as for the verifying key's digest)
SHOWN_HEX_DIGITS = 16
#: an expected input digest may be given as a prefix of at least this many hex digits
MIN_PREFIX_HEX_DIGITS = 16

Rows = Sequence[Sequence[int]]


def statement_digest(batch: int, rows: Rows, width: int) -> bytes:
    """`SHA256(u32 batch || Ints(values))`: `rows` flattened row-major, each value in
    `width`-byte big-endian two's complement (inference.md section 4)."""
    flat = [int(v) for row in rows for v in row]
    return hashlib.sha256(enc_u32(batch) + enc_ints(flat, width)).digest()


def _input_width(bits: int) -> int:
    return int_width(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def _output_width(circuit: Any) -> int:
    if circuit.argmax:
        return int_width(0, circuit.output_features - 1)
    out = circuit.gadgets[circuit.output_gadget]
    return int_width(out.lo, out.hi)


def statement_digests(circuit: Any, batch: int, inputs: Rows, outputs: Rows) -> tuple[bytes,
                                                                                     bytes]:
    """The (input, output) digests of a statement of `circuit` (the compiler's or the
    verifier's circuit: both carry the input bits and the output gadget's range, which
    fix the widths)."""
    return (statement_digest(batch, inputs, _input_width(circuit.input_bits)),
            statement_digest(batch, outputs, _output_width(circuit)))


def short_digest(digest: bytes) -> str:
    """The first `SHOWN_HEX_DIGITS` hex digits of a digest, as the CLI prints them."""
    return digest.hex()[:SHOWN_HEX_DIGITS]


def parse_digest_prefix(value: str | bytes) -> str:
    """An expected digest as lower-case hex: a hex string (a prefix of at least 16 digits,
    as `zkml prove` prints) or digest bytes (at least 8). InputError when malformed."""
    if isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value).hex()
    elif isinstance(value, str):
        text = value.strip().lower()
        if any(ch not in "0123456789abcdef" for ch in text):
            raise InputError(f"an input digest is hex digits, got {value!r}")
    else:
        raise InputError(f"an input digest is a hex string or bytes, not "
                         f"{type(value).__name__}")
    if not MIN_PREFIX_HEX_DIGITS <= len(text) <= 64:
        raise InputError(f"an input digest needs {MIN_PREFIX_HEX_DIGITS} to 64 hex digits, "
                         f"got {len(text)}")
    return text


@dataclass(frozen=True)
class InputLayout:
    """How data becomes the statement's input rows: the key's input row (`features`
    values at `bits` bits and scale `2^-frac_bits`) and, when known, the model's inputs
    (name, shape of one run) in input order; without them, data is read from the key
    alone. `calibrated` holds each input's largest calibrated magnitude when the compiled
    model records it (`zkml.quant.clipping`)."""

    features: int
    bits: int
    frac_bits: int
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    calibrated: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, circuit: Any, shapes: Mapping[str, Sequence[int]] | None = None,
           calibrated: Mapping[str, float] | None = None) -> InputLayout:
        """The layout of a circuit (the compiler's or the verifier's), with the model's
        input shapes if given (`CompiledModel.input_shapes`) and the inputs' calibrated
        magnitudes if known."""
        named = tuple((str(k), tuple(int(d) for d in v)) for k, v in (shapes or {}).items())
        cal = tuple((str(k), float(v)) for k, v in (calibrated or {}).items())
        return cls(circuit.input_features, circuit.input_bits, circuit.input_frac_bits, named,
                   cal)

    @classmethod
    def of_compiled(cls, compiled: Any) -> InputLayout:
        """The layout of a compiled model: its circuit, input shapes and the calibrated
        ranges its fidelity report records (none for files written before they were)."""
        return cls.of(compiled.circuit, compiled.input_shapes,
                      calibrated_ranges(getattr(compiled, "fidelity", None)))

    def parts(self) -> list[tuple[str | None, int]]:
        """(name, values per row) of each input in the row; one unnamed input when only
        the key is known."""
        if not self.shapes:
            return [(None, self.features)]
        return [(name, math.prod(shape[1:])) for name, shape in self.shapes]


#: The clipping report's former name (`QuantizedInput.clipping`).
Clipping = ClipReport


@dataclass(frozen=True)
class QuantizedInput:
    """An expected input as the statement would hold it: one tuple of integers per row,
    and what quantizing it clipped (`zkml.quant.clipping.ClipReport`)."""

    rows: tuple[tuple[int, ...], ...]
    bits: int
    clipping: ClipReport

    @property
    def batch(self) -> int:
        """Rows (examples times the model's rows per example)."""
        return len(self.rows)

    @property
    def digest(self) -> bytes:
        """The input digest of a statement about exactly this input."""
        return statement_digest(self.batch, self.rows, _input_width(self.bits))


def quantize_rows(data: Any, layout: InputLayout, *, quantized: bool = False,
                  strict: bool = False) -> tuple[np.ndarray, np.ndarray, ClipReport]:
    """Read `data` (what `zkml.prove` takes) and quantize it as the prover does.

    Returns `(rows, q, report)`: the (B, features) rows as read (floats, or the integers
    with `quantized`), their int64 quantization (round half up, then saturate) and what
    saturation clipped per input. Nothing is warned here: callers decide (`report.warn()`).

    Raises InputError for non-finite values (naming the input), non-integers with
    `quantized`, and with `strict` for any clipped value (naming the input and the count);
    InputError for data of the wrong shape.
    """
    import numpy as np

    from zkml.quant.rounding import quantize_float

    rows = _as_rows(data, layout)
    parts = layout.parts()
    if rows.dtype.kind not in "iu":
        require_finite(rows, parts)
    if quantized:
        if rows.dtype.kind not in "iu" and not np.array_equal(rows, np.round(rows)):
            raise InputError("quantized inputs must be integers")
        q = rows.astype(np.int64)
        floats = np.ldexp(q.astype(np.float64), -layout.frac_bits)
    else:
        q = quantize_float(rows, layout.frac_bits, layout.bits)
        floats = rows
    report = clip_report(floats, layout.frac_bits, layout.bits, parts, dict(layout.calibrated))
    if quantized:  # integers are taken as they are: out-of-range ones are refused later
        report = ClipReport(tuple(replace(c, below=0, above=0) for c in report.inputs))
    if strict:
        report.refuse()
    return rows, q, report


def quantize_input(data: Any, layout: InputLayout, *, quantized: bool = False,
                   strict: bool = False) -> QuantizedInput:
    """Quantize `data` (what `zkml.prove` takes) into the statement's input rows.

    Floats are quantized at the layout's scale exactly as `zkml.prove` does; with
    `quantized` the data must already be integers (not clipped). Raises InputError for
    data of the wrong shape, for non-integers with `quantized`, non-finite
    values, or (with `strict`) values that would be clipped (`quantize_rows`).
    """
    _, q, report = quantize_rows(data, layout, quantized=quantized, strict=strict)
    return QuantizedInput(tuple(map(tuple, q.tolist())), layout.bits, report)


def _as_rows(data: Any, layout: InputLayout) -> np.ndarray:
    if layout.shapes:
        from zkml.inputs import as_input_rows

        return as_input_rows(data, dict(layout.shapes), layout.features)
    return _key_rows(data, layout.features)


def _key_rows(data: Any, n: int) -> np.ndarray:
    """Rows of `n` features from data read with the key alone: one input (a dict may
    hold it under any one name), an array whose trailing axes hold whole rows, or a list
    of examples (a flat list of numbers is one example), each a whole number of rows."""
    import numpy as np

    if isinstance(data, Mapping):
        if len(data) != 1:
            raise InputError(f"{len(data)} named inputs given; the verifying key alone does "
                             "not record the model's inputs: check them with the compiled "
                             "model (Verifier(compiled) in Python, --model on the command "
                             "line)")
        data = next(iter(data.values()))
    if isinstance(data, list | tuple):
        return _key_rows_list(list(data), n)
    arr = np.asarray(data)
    if arr.dtype.kind not in "iuf" or arr.ndim == 0 or arr.size == 0:
        raise InputError(f"inputs must be a numeric array, got {arr.dtype} {arr.shape}")
    if not any(math.prod(arr.shape[k:]) == n for k in range(arr.ndim)):
        raise InputError(f"input has shape {tuple(arr.shape)}; the key's input row has {n} "
                         "features, so the array's last axes must hold whole rows")
    return arr.reshape(-1, n)


def _key_rows_list(data: list, n: int) -> np.ndarray:
    import numpy as np

    from zkml.inputs import float_array

    if data and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
        data = [data]  # one flat example
    if not data:
        raise InputError("no input examples given")
    rows, sizes = [], set()
    for i, ex in enumerate(data):
        arr = float_array(ex, f"input example {i}").reshape(-1)
        if arr.size == 0 or arr.size % n:
            raise InputError(f"input example {i} has {arr.size} values; the key's input row "
                             f"has {n} features (an example is a whole number of rows; a "
                             "model with several inputs needs the compiled model: "
                             "Verifier(compiled) in Python, --model on the command line)")
        sizes.add(arr.size)
        rows.append(arr.reshape(-1, n))
    if len(sizes) > 1:
        raise InputError("the input examples differ in size; a model with several inputs "
                         "needs the compiled model to read them (Verifier(compiled) in "
                         "Python, --model on the command line)")
    return np.concatenate(rows, axis=0)


def require_input(rows: Rows, digest: bytes, expected: QuantizedInput) -> None:
    """Raise StatementMismatchError unless the statement's input `rows` (whose digest is
    `digest`) are exactly the expected input's."""
    got = tuple(tuple(r) for r in rows)
    if got == expected.rows:
        return
    raise StatementMismatchError(
        f"the proof is about another input (input digest {short_digest(digest)}, expected "
        f"{short_digest(expected.digest)}: {_difference(got, expected.rows)})",
        check="statement.input-digest")


def _difference(got: tuple[tuple[int, ...], ...], want: tuple[tuple[int, ...], ...]) -> str:
    if len(got) != len(want):
        return f"the proof states {len(got)} rows, the expected input has {len(want)}"
    if sorted(got) == sorted(want):
        return "the same rows in another order"
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        k = next((j for j, (u, v) in enumerate(zip(a, b, strict=False)) if u != v),
                 None)
        if k is not None:
            return f"row {i} differs first at feature {k}: the proof states {a[k]}, " \
                   f"the expected input {b[k]}"
    return "the rows differ in width"


def require_input_digest(digest: bytes, prefix: str) -> None:
    """Raise StatementMismatchError unless the input digest starts with the hex `prefix`
    (as `parse_digest_prefix` returns it)."""
    if digest.hex().startswith(prefix):
        return
    raise StatementMismatchError(
        f"the proof is about another input (input digest {short_digest(digest)}, expected "
        f"{prefix[:SHOWN_HEX_DIGITS]})", check="statement.input-digest")
