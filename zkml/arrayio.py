"""Bounded reading of array files: .npy, .npz and JSON inputs and calibration samples,
and the .npy entries of a compiled model (circuits/encoding.md, "Limits on files").

numpy's own `np.load` allocates the array its header declares before it reads the data,
so a 100-byte file declaring shape (10^12,) costs an allocation of terabytes. Here the
header is read first (at most `zkml.limits.NPY_HEADER` bytes), its dtype must be plain
numeric (no objects, so no pickle), and the data size it declares must equal the bytes
that follow in the file or zip entry, before the array is allocated; the data is then
copied in chunks.
"""

from __future__ import annotations

import io
import math
import os
from typing import BinaryIO

import numpy as np

from zkml import jsonio, limits
from zkml.errors import FileError, InputError, ZkmlError
from zkml.fileio import CHUNK, BoundedZip, ZipLimits, open_bounded, read_bytes

__all__ = ["NUMERIC_KINDS", "ARRAY_ZIP", "read_npy_header", "npy_from_stream", "load_npy",
           "load_npz", "load_json"]

#: dtype kinds an input or calibration array may have: bool, signed, unsigned, float.
NUMERIC_KINDS = "biuf"
#: An .npz archive of inputs or calibration samples: its entries together are as large
#: as one array file may be.
ARRAY_ZIP = ZipLimits(file=limits.ARRAY_FILE, entries=limits.ARRAY_ENTRIES,
                      entry=limits.ARRAY_FILE, total=limits.ARRAY_FILE)
_MAGIC = b"\x93NUMPY"
#: .npy version -> (bytes of the header-length field, numpy's reader of the header)
_VERSIONS = {
    (1, 0): (2, np.lib.format.read_array_header_1_0),
    (2, 0): (4, np.lib.format.read_array_header_2_0),
}


def _header(fh: BinaryIO, name: str, error: type[ZkmlError]):
    """(shape, fortran_order, dtype, bytes before the data) of the .npy at `fh`.

    The header's length is checked against `zkml.limits.NPY_HEADER` before the header is
    read: numpy reads a version-2 header of up to 4 GB first and checks it after."""
    prefix = fh.read(8)
    if len(prefix) != 8 or prefix[:6] != _MAGIC:
        raise error(f"{name} is not a valid .npy array (bad magic)")
    version = (prefix[6], prefix[7])
    if version not in _VERSIONS:
        raise error(f"{name} is not a valid .npy array (format version {version})")
    width, reader = _VERSIONS[version]
    field = fh.read(width)
    length = int.from_bytes(field, "little")
    cap = limits.NPY_HEADER.value()
    if len(field) != width or length > cap:
        raise error(limits.NPY_HEADER.refuse(length, name) if length > cap
                    else f"{name} is not a valid .npy array (truncated header)")
    text = fh.read(length)
    if len(text) != length:
        raise error(f"{name} is not a valid .npy array (truncated header)")
    try:
        shape, fortran, dtype = reader(io.BytesIO(field + text), max_header_size=cap)
    except (ValueError, TypeError, SyntaxError, OverflowError, EOFError, MemoryError) as exc:
        raise error(f"{name} is not a valid .npy array: {exc}") from None
    return shape, fortran, dtype, 8 + width + length


def read_npy_header(fh: BinaryIO, size: int, name: str, error: type[ZkmlError] = InputError,
                    kinds: str = NUMERIC_KINDS):
    """Read and check the header of the .npy of exactly `size` bytes at `fh`.

    Returns (shape, fortran_order, dtype, data bytes); the dtype must be of one of
    `kinds` and the data the shape declares must fill the rest of the `size` bytes
    exactly. Raises `error` naming `name`.
    """
    shape, fortran, dtype, start = _header(fh, name, error)
    if dtype.kind not in kinds or dtype.hasobject or dtype.itemsize == 0 \
            or dtype.subdtype is not None:
        raise error(f"{name}: arrays of dtype {dtype} are not accepted")
    nbytes = math.prod(shape) * dtype.itemsize
    if start + nbytes != size:
        raise error(f"{name}: the .npy header declares shape {tuple(shape)} ({nbytes} bytes "
                    f"of data) but {size - start} bytes follow it")
    return shape, fortran, dtype, nbytes


def npy_from_stream(fh: BinaryIO, size: int, name: str, error: type[ZkmlError] = InputError,
                    kinds: str = NUMERIC_KINDS) -> np.ndarray:
    """Decode the .npy of exactly `size` bytes at `fh` (a file or a zip entry).

    The header is checked as `read_npy_header` does before the array is allocated; the
    data is then copied in chunks. Raises `error` naming `name`.
    """
    shape, fortran, dtype, nbytes = read_npy_header(fh, size, name, error, kinds)
    count = math.prod(shape)
    arr = np.empty(count, dtype=dtype)
    raw = arr.view(np.uint8)
    pos = 0
    while pos < nbytes:
        chunk = fh.read(min(CHUNK, nbytes - pos))
        if not chunk:
            raise error(f"{name}: the .npy data is truncated ({pos} of {nbytes} bytes)")
        raw[pos : pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        pos += len(chunk)
    if fh.read(1):
        raise error(f"{name}: bytes follow the .npy data")
    return arr.reshape(shape, order="F" if fortran else "C")


def load_npy(path: str | os.PathLike[str], what: str, error: type[ZkmlError] = InputError,
             kinds: str = NUMERIC_KINDS) -> np.ndarray:
    """A .npy file of at most `zkml.limits.ARRAY_FILE` bytes, checked as
    `npy_from_stream` does; a missing file is a FileError, a refused one `error`."""
    with open_bounded(path, what, limits.ARRAY_FILE, error, missing=FileError) as (fh, size):
        if size < 0:
            raise error(f"{what} {path} must be a regular file")
        try:
            return npy_from_stream(fh, size, f"{what} {path}", error, kinds)
        except OSError as exc:
            raise FileError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def load_npz(path: str | os.PathLike[str], what: str, error: type[ZkmlError] = InputError,
             kinds: str = NUMERIC_KINDS) -> dict[str, np.ndarray]:
    """An .npz archive (name -> array) under `ARRAY_ZIP`: entry count, declared and
    inflated sizes capped, each entry a .npy checked as `npy_from_stream` does."""
    out: dict[str, np.ndarray] = {}
    with BoundedZip(path, what, ARRAY_ZIP, error, missing=FileError) as z:
        for entry in z.names():
            if not entry.endswith(".npy"):
                raise error(f"{what} {path}: entry {entry!r} is not a .npy array")
            size = z.declared_size(entry)
            with z.open(entry) as fh:
                out[entry[:-4]] = npy_from_stream(fh, size, f"{what} {path}: {entry}", error,
                                                  kinds)
            z.account(size)
    return out


def load_json(path: str | os.PathLike[str], what: str, error: type[ZkmlError] = InputError):
    """A JSON file of at most `zkml.limits.JSON_FILE` bytes, parsed; invalid or too deeply
    nested JSON raises `error`."""
    data = read_bytes(path, what, limit=limits.JSON_FILE, error=error, missing=FileError)
    return jsonio.loads(data, f"{what} {path}", error)
