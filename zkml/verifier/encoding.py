"""Strict byte encodings (encoding.md): a Reader that rejects everything non-canonical.

Every length or count is checked against the bytes that remain before anything is
allocated, so a forged count of 2^32 costs nothing. Points decode to affine tuples
`(x, y)` of ints, or `None` for the point at infinity.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Sequence

from zkml.errors import ProofFormatError, TruncatedProofError
from zkml.verifier.field import P, R

__all__ = [
    "MAX_NUM_VARS",
    "MAX_DEGREE",
    "MAX_CLAIMS",
    "MAX_STACKS",
    "MAX_CIRCUIT_JSON_BYTES",
    "G1Point",
    "Reader",
    "is_on_curve",
    "enc_u8",
    "enc_u16",
    "enc_u32",
    "enc_u64",
    "enc_fr",
    "enc_frs",
    "enc_g1",
    "enc_g1s",
    "int_width",
    "enc_ints",
]

MAX_NUM_VARS = 30
MAX_DEGREE = 4
MAX_CLAIMS = 1 << 16
MAX_STACKS = 64
#: A verifying key's circuit JSON (encoding.md "Limits on files"): parsing JSON costs
#: several times its length in memory, so the length is refused before the bytes are
#: sliced or decoded. Real circuits are well under a megabyte.
MAX_CIRCUIT_JSON_BYTES = 1 << 25

#: An affine point (x, y) on y^2 = x^3 + 3, or None for infinity.
G1Point = tuple[int, int] | None

_ZERO64 = bytes(64)
_INT_FORMATS = {1: "b", 2: "h", 4: "i", 8: "q"}


def int_width(lo: int, hi: int) -> int:
    """The smallest of 1, 2, 4, 8 bytes whose two's complement holds all of [lo, hi]."""
    for w in (1, 2, 4, 8):
        half = 1 << (8 * w - 1)
        if -half <= lo and hi < half:
            return w
    raise ValueError(f"range [{lo}, {hi}] does not fit 8 bytes")


def is_on_curve(x: int, y: int) -> bool:
    """True if (x, y) with coordinates in [0, p) satisfies y^2 = x^3 + 3 mod p."""
    return (y * y - x * x * x - 3) % P == 0


class Reader:
    """Cursor over artifact bytes; each method consumes exactly one encoded item."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not consumed yet."""
        return len(self._data) - self._pos

    @property
    def position(self) -> int:
        """Offset of the next unread byte."""
        return self._pos

    def raw(self, n: int, what: str = "bytes") -> bytes:
        """The next `n` bytes."""
        if n < 0 or n > self.remaining:
            raise TruncatedProofError(f"{what}: truncated (need {n} bytes, {self.remaining} left)",
                                      check="proof.truncated")
        start = self._pos
        self._pos = start + n
        return self._data[start : start + n]

    def _uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.raw(size, what), "big")

    def u8(self, what: str = "u8") -> int:
        return self._uint(1, what)

    def u16(self, what: str = "u16") -> int:
        return self._uint(2, what)

    def u32(self, what: str = "u32") -> int:
        return self._uint(4, what)

    def u64(self, what: str = "u64") -> int:
        return self._uint(8, what)

    def fr(self, what: str = "Fr") -> int:
        """A canonical scalar: 32 bytes big-endian, value < r."""
        v = int.from_bytes(self.raw(32, what), "big")
        if v >= R:
            raise ProofFormatError(f"{what}: non-canonical Fr (value >= r)",
                                   check="encoding.field-element")
        return v

    def g1(self, what: str = "G1") -> G1Point:
        """A G1 point: x || y, each < p, on the curve; 64 zero bytes is infinity."""
        b = self.raw(64, what)
        if b == _ZERO64:
            return None
        x = int.from_bytes(b[:32], "big")
        y = int.from_bytes(b[32:], "big")
        if x >= P or y >= P:
            raise ProofFormatError(f"{what}: coordinate >= p", check="encoding.point")
        if not is_on_curve(x, y):
            raise ProofFormatError(f"{what}: point not on the curve", check="encoding.point")
        return (x, y)

    def count(
        self,
        elem_size: int,
        what: str,
        *,
        expected: int | None = None,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int:
        """A u32 element count, validated before the caller allocates anything.

        The count must equal `expected` when the statement fixes it, lie in
        [minimum, maximum], and its elements (each at least `elem_size` bytes) must
        fit in the bytes that remain.
        """
        n = self.u32(f"{what} count")
        if expected is not None and n != expected:
            raise ProofFormatError(f"{what}: count {n}, expected {expected}", check="proof.shape")
        if n < minimum or (maximum is not None and n > maximum):
            hi = "" if maximum is None else f", at most {maximum}"
            raise ProofFormatError(f"{what}: count {n} out of range (at least {minimum}{hi})",
                                   check="proof.limits")
        if n * elem_size > self.remaining:
            raise TruncatedProofError(
                f"{what}: count {n} exceeds the remaining {self.remaining} bytes",
                check="proof.truncated",
            )
        return n

    def fr_vec(self, what: str, *, expected: int | None = None) -> list[int]:
        """A Vec<Fr> whose count must equal `expected` if given."""
        n = self.count(32, what, expected=expected)
        return [self.fr(f"{what}[{i}]") for i in range(n)]

    def g1_vec(self, what: str, *, expected: int | None = None) -> list[G1Point]:
        """A Vec<G1> whose count must equal `expected` if given."""
        n = self.count(64, what, expected=expected)
        return [self.g1(f"{what}[{i}]") for i in range(n)]

    def ints(self, what: str, width: int, *, expected: int) -> tuple[list[int], bytes]:
        """`Ints`: u32 count || count * width-byte big-endian two's complement.

        Returns the values and the exact bytes read (count included); the count must
        equal `expected`. The caller checks the values' range.
        """
        if width not in _INT_FORMATS:
            raise ProofFormatError(f"{what}: unsupported integer width {width}",
                                   check="proof.format")
        start = self._pos
        n = self.count(width, what, expected=expected)
        raw = self.raw(n * width, what)
        vals = list(struct.unpack(f">{n}{_INT_FORMATS[width]}", raw))
        return vals, self._data[start : self._pos]

    def finish(self) -> None:
        """Reject trailing bytes."""
        if self._pos != len(self._data):
            raise ProofFormatError(f"{self.remaining} trailing bytes after the artifact",
                                   check="proof.trailing-bytes")


def enc_u8(x: int) -> bytes:
    return x.to_bytes(1, "big")


def enc_u16(x: int) -> bytes:
    return x.to_bytes(2, "big")


def enc_u32(x: int) -> bytes:
    return x.to_bytes(4, "big")


def enc_u64(x: int) -> bytes:
    return x.to_bytes(8, "big")


def enc_fr(a: int) -> bytes:
    """Canonical Fr encoding of `a` (reduced mod r first)."""
    return (a % R).to_bytes(32, "big")


def enc_frs(values: Sequence[int]) -> bytes:
    """Vec<Fr>: u32 count, then the elements."""
    return enc_u32(len(values)) + b"".join((v % R).to_bytes(32, "big") for v in values)


def enc_g1(point: G1Point) -> bytes:
    """64-byte G1 encoding; infinity is 64 zero bytes."""
    if point is None:
        return _ZERO64
    x, y = point
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def enc_g1s(points: Iterable[G1Point]) -> bytes:
    """Vec<G1>: u32 count, then the points."""
    pts = list(points)
    return enc_u32(len(pts)) + b"".join(enc_g1(q) for q in pts)


def enc_ints(values: Sequence[int], width: int) -> bytes:
    """`Ints` of `values` at `width` bytes each (struct.error if one does not fit)."""
    return enc_u32(len(values)) + struct.pack(f">{len(values)}{_INT_FORMATS[width]}", *values)


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_nesting(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (strings skipped, brackets
    counted; linear, no recursion). Check it before `json.loads`: the decoder recurses in
    C, and py_ecc raises the interpreter's recursion limit to 100000 when it is imported,
    so deeply nested input would overflow the C stack (a crash, not a RecursionError)."""
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub("", _JSON_STRING.sub("", text)):
        depth += 1 if ch in "[{" else -1
        deepest = max(deepest, depth)
    return deepest
