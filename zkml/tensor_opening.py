"""The file format shared by a committed tensor's opening: a committed input's
(`zkml.input_opening`, circuits/zk_inference.md 1.4) and a committed output's
(`zkml.output_opening`, 1.6).

The file is JSON: `format` and `version` (per subclass), the key digest the tensor is of,
the batch, the quantized rows (under the subclass's key, "input" or "output"), the row
blinders (hex of 32-byte big-endian field elements) and the commitment itself (hex of
its `Vec<G1>` bytes). It holds the values and the blinders, so it is written 0600
(`zkml.filewrite`, the subclass's kind) and never over an existing file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from zkml.errors import InputError

__all__ = ["TensorOpening", "commitment_digest"]

_T = TypeVar("_T", bound="TensorOpening")


def commitment_digest(commitment: bytes) -> bytes:
    """SHA256 of a committed tensor's `Vec<G1>` bytes: how tools name `C_X` and `C_Y`."""
    return hashlib.sha256(commitment).digest()


@dataclass(frozen=True)
class TensorOpening:
    """A committed tensor and its secret opening (module doc); subclasses name the
    format, the rows' JSON key and the file kind."""

    FORMAT: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
    ROWS_KEY: ClassVar[str] = ""
    WHAT: ClassVar[str] = ""

    vk_digest: bytes
    batch: int
    rows: tuple[tuple[int, ...], ...]
    blinders: bytes
    commitment: bytes

    @property
    def digest(self) -> bytes:
        """The commitment's digest (`commitment_digest`)."""
        return commitment_digest(self.commitment)

    def to_bytes(self) -> bytes:
        """The file's JSON bytes."""
        doc = {"format": self.FORMAT, "version": self.VERSION,
               "vk_digest": self.vk_digest.hex(), "batch": self.batch,
               self.ROWS_KEY: [list(r) for r in self.rows],
               "blinders": [self.blinders[i:i + 32].hex()
                            for i in range(0, len(self.blinders), 32)],
               "commitment": self.commitment.hex()}
        return json.dumps(doc).encode()

    @classmethod
    def from_bytes(cls: type[_T], data: bytes, what: str | None = None) -> _T:
        """Parse and check an opening file's bytes (InputError when malformed)."""
        what = what or cls.WHAT
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{what}: not JSON ({exc})") from None
        if not isinstance(doc, dict) or doc.get("format") != cls.FORMAT \
                or doc.get("version") != cls.VERSION:
            raise InputError(f"{what}: not a {cls.FORMAT} version {cls.VERSION} file")
        try:
            rows = tuple(tuple(_int(v) for v in r) for r in doc[cls.ROWS_KEY])
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

        return write_atomic(path, self.to_bytes(), overwrite=False, what=self.WHAT)

    @classmethod
    def load(cls: type[_T], path: str | Path) -> _T:
        """Read an opening file."""
        from zkml.errors import FileError

        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.from_bytes(data, f"{cls.WHAT} {path}")


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
