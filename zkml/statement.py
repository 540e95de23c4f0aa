"""The statement a verifier's caller checks: digests of its input and output, and the
expected input quantized the way the prover quantizes it.

A valid proof says "the model of this key maps input X to output Y"; it says nothing
about an input the caller has in mind unless the caller compares. The *input digest*
(circuits/inference.md section 4, "Statement digests") is `SHA256(u32 B || Ints(X))`,
the exact bytes the transcript absorbs for the batch size and the input; the *output
digest* is the same over `Ints(Y)`. Tools show their first 16 hex digits.

`quantize_input` turns the data `zkml.prove` takes (an array, a batch, EZKL's list, a
dict of named inputs) into the statement's integer rows at the key's input scale, with
the very function the prover uses (`zkml.quant.rounding.quantize_float`: round half up,
then saturate), and reports what saturation clipped. With a compiled model's input
shapes the data is read as `zkml.prove` reads it (`zkml.inputs.as_input_rows`); from a
verifying key alone (which records only the input row's width) the data must be one
input whose arrays' trailing axes hold whole rows.

Importing this module does not import numpy; only quantizing an expected input does.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zkml.errors import ModelError, StatementMismatchError
from zkml.verifier.encoding import enc_ints, enc_u32, int_width

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["SHOWN_HEX_DIGITS", "MIN_PREFIX_HEX_DIGITS", "InputLayout", "Clipping",
           "QuantizedInput", "statement_digest", "statement_digests", "short_digest",
           "parse_digest_prefix", "quantize_input", "require_input", "require_input_digest"]

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
    as `zkml prove` prints) or digest bytes (at least 8). ValueError / TypeError when
    malformed."""
    if isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value).hex()
    elif isinstance(value, str):
        text = value.strip().lower()
        if any(ch not in "0123456789abcdef" for ch in text):
            raise ValueError(f"an input digest is hex digits, got {value!r}")
    else:
        raise TypeError(f"an input digest is a hex string or bytes, not {type(value).__name__}")
    if not MIN_PREFIX_HEX_DIGITS <= len(text) <= 64:
        raise ValueError(f"an input digest needs {MIN_PREFIX_HEX_DIGITS} to 64 hex digits, "
                         f"got {len(text)}")
    return text


@dataclass(frozen=True)
class InputLayout:
    """How data becomes the statement's input rows: the key's input row (`features`
    values at `bits` bits and scale `2^-frac_bits`) and, when known, the model's inputs
    (name, shape of one run) in input order; without them, data is read from the key
    alone."""

    features: int
    bits: int
    frac_bits: int
    shapes: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @classmethod
    def of(cls, circuit: Any, shapes: Mapping[str, Sequence[int]] | None = None) -> InputLayout:
        """The layout of a circuit (the compiler's or the verifier's), with the model's
        input shapes if given (`CompiledModel.input_shapes`)."""
        named = tuple((str(k), tuple(int(d) for d in v)) for k, v in (shapes or {}).items())
        return cls(circuit.input_features, circuit.input_bits, circuit.input_frac_bits, named)


@dataclass(frozen=True)
class Clipping:
    """How many values of a float input saturation moved into the input range."""

    below: int
    above: int
    total: int
    lo: float
    hi: float

    @property
    def count(self) -> int:
        """Values clipped (below plus above the range)."""
        return self.below + self.above

    def describe(self) -> str:
        """One line for the CLI (empty when nothing was clipped)."""
        if not self.count:
            return ""
        return (f"{self.count} of {self.total} input values were clipped to the input range "
                f"[{self.lo:.6g}, {self.hi:.6g}] ({self.below} below, {self.above} above)")


@dataclass(frozen=True)
class QuantizedInput:
    """An expected input as the statement would hold it: one tuple of integers per row."""

    rows: tuple[tuple[int, ...], ...]
    bits: int
    clipping: Clipping

    @property
    def batch(self) -> int:
        """Rows (examples times the model's rows per example)."""
        return len(self.rows)

    @property
    def digest(self) -> bytes:
        """The input digest of a statement about exactly this input."""
        return statement_digest(self.batch, self.rows, _input_width(self.bits))


def quantize_input(data: Any, layout: InputLayout, *, quantized: bool = False) -> QuantizedInput:
    """Quantize `data` (what `zkml.prove` takes) into the statement's input rows.

    Floats are quantized at the layout's scale exactly as `zkml.prove` does; with
    `quantized` the data must already be integers (not clipped). Raises ModelError for
    data of the wrong shape, non-integers with `quantized`, or non-finite values.
    """
    import numpy as np

    from zkml.quant.rounding import quantize_float, signed_range

    rows = _as_rows(data, layout)
    lo, hi = signed_range(layout.bits)
    if quantized:
        if rows.dtype.kind not in "iu" and not np.array_equal(rows, np.round(rows)):
            raise ModelError("quantized inputs must be integers")
        q, below, above = rows.astype(np.int64), 0, 0
    else:
        q = quantize_float(rows, layout.frac_bits, layout.bits)
        # quantize_float's own rounding, before its saturation: what left the range
        y = np.floor(np.ldexp(np.asarray(rows, dtype=np.float64), layout.frac_bits) + 0.5)
        below, above = int(np.count_nonzero(y < lo)), int(np.count_nonzero(y > hi))
    clipping = Clipping(below, above, int(q.size), math.ldexp(lo, -layout.frac_bits),
                        math.ldexp(hi, -layout.frac_bits))
    return QuantizedInput(tuple(map(tuple, q.tolist())), layout.bits, clipping)


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
            raise ModelError(f"{len(data)} named inputs given; the verifying key alone does "
                             "not record the model's inputs: check them with the compiled "
                             "model (zkml verify --model, or Verifier(compiled))")
        data = next(iter(data.values()))
    if isinstance(data, list | tuple):
        return _key_rows_list(list(data), n)
    arr = np.asarray(data)
    if arr.dtype.kind not in "iuf" or arr.ndim == 0 or arr.size == 0:
        raise ModelError(f"inputs must be a numeric array, got {arr.dtype} {arr.shape}")
    if not any(math.prod(arr.shape[k:]) == n for k in range(arr.ndim)):
        raise ModelError(f"input has shape {tuple(arr.shape)}; the key's input row has {n} "
                         "features, so the array's last axes must hold whole rows")
    return arr.reshape(-1, n)


def _key_rows_list(data: list, n: int) -> np.ndarray:
    import numpy as np

    if data and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
        data = [data]  # one flat example
    if not data:
        raise ModelError("no input examples given")
    rows, sizes = [], set()
    for i, ex in enumerate(data):
        try:
            arr = np.asarray(ex, dtype=np.float64).reshape(-1)
        except (ValueError, TypeError):
            raise ModelError(f"input example {i} is not a regular array of numbers") from None
        if arr.size == 0 or arr.size % n:
            raise ModelError(f"input example {i} has {arr.size} values; the key's input row "
                             f"has {n} features (an example is a whole number of rows; a "
                             "model with several inputs needs zkml verify --model)")
        sizes.add(arr.size)
        rows.append(arr.reshape(-1, n))
    if len(sizes) > 1:
        raise ModelError("the input examples differ in size; a model with several inputs "
                         "needs the compiled model to read them (zkml verify --model)")
    return np.concatenate(rows, axis=0)


def require_input(rows: Rows, digest: bytes, expected: QuantizedInput) -> None:
    """Raise StatementMismatchError unless the statement's input `rows` (whose digest is
    `digest`) are exactly the expected input's."""
    got = tuple(tuple(r) for r in rows)
    if got == expected.rows:
        return
    raise StatementMismatchError(
        f"the proof is about another input (input digest {short_digest(digest)}, expected "
        f"{short_digest(expected.digest)}: {_difference(got, expected.rows)})")


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
        f"{prefix[:SHOWN_HEX_DIGITS]})")
