"""File I/O that never loses a user's data and never trusts a file's size.

Writes (`zkml.filewrite`, re-exported here) are atomic, refuse to overwrite unless asked
and never write over an input; a group of files is written as a unit. Reads are bounded
(circuits/soundness.md rule 11, circuits/encoding.md "Limits on files"): `read_bytes`
stats a file and checks its magic before reading the rest, and `BoundedZip` reads a
zip's entries in chunks, refusing an entry whose declared or actual inflated size passes
its limit. The standard library only: `zkml verify` imports this module.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

from zkml.errors import ArtifactError, FileError, OutputExistsError, ZkmlError
from zkml.filewrite import check_outputs, same_file, write_atomic, write_group
from zkml.limits import Limit, ZipLimits

__all__ = ["OutputExistsError", "check_outputs", "same_file", "write_atomic", "write_group",
           "read_bytes", "read_head", "read_proof", "read_verifying_key", "open_bounded",
           "ZipLimits", "BoundedZip", "CHUNK", "ARTIFACT_MAGIC"]

#: Bytes read or inflated per step: large enough to be fast, small enough that a
#: refused file costs at most this much memory.
CHUNK = 1 << 20


@contextmanager
def open_bounded(path: str | os.PathLike[str], what: str, limit: Limit,
                 error: type[ZkmlError] = ArtifactError,
                 missing: type[ZkmlError] = FileError) -> Iterator[tuple[BinaryIO, int]]:
    """Open a file for reading after checking its size against `limit`.

    Yields the open file and its size, from fstat of the open file (so it is the file
    that is read). A file over the limit raises `error`; a missing or unreadable path
    raises `missing`; each with one line. A device or pipe has no size: it yields -1 and
    the caller reads at most the limit.
    """
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, after the caller's reads
    except FileNotFoundError:
        raise missing(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise missing(f"{what} is a directory: {path}") from None
    except OSError as exc:
        raise missing(f"cannot read {what} {path}: {exc.strerror}") from None
    with fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise missing(f"{what} is a directory: {path}")
        size = st.st_size if stat.S_ISREG(st.st_mode) else -1
        if size > limit.value():
            raise error(limit.refuse(size, path))
        yield fh, size


def read_bytes(path: str | os.PathLike[str], what: str = "file", *, limit: Limit | None = None,
               magic: bytes | None = None, error: type[ZkmlError] = ArtifactError,
               missing: type[ZkmlError] = FileError) -> bytes:
    """Read a whole file of at most `limit` bytes (default: the compiled-model file
    limit, the largest).

    The size is checked before anything is read, and `magic` (if given) against the
    file's first bytes before the rest is read; either refusal raises `error` with one
    line. A missing or unreadable path raises `missing`.
    """
    from zkml import limits

    limit = limit or limits.MODEL_FILE
    with open_bounded(path, what, limit, error, missing) as (fh, size):
        try:
            head = fh.read(len(magic)) if magic is not None else b""
            if magic is not None and head != magic:
                raise error(f"{path} is not a zkml {what} (bad magic)")
            data = _read_rest(fh, size, limit.value(), head)
        except OSError as exc:
            raise missing(f"cannot read {what} {path}: {exc.strerror or exc}") from None
        if data is None:
            raise error(limit.refuse(None, path))
        return data


def read_head(path: str | os.PathLike[str], n: int, what: str = "file",
              missing: type[ZkmlError] = FileError) -> bytes:
    """The first `n` bytes of a file (fewer if it is shorter), to tell its kind."""
    from zkml import limits

    # the head is all that is read, so no file is too large for this
    unbounded = Limit(what, limits.MODEL_FILE.env, 1 << 62)
    with open_bounded(path, what, unbounded, missing=missing) as (fh, _):
        try:
            return fh.read(n)
        except OSError as exc:
            raise missing(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _read_rest(fh: BinaryIO, size: int, cap: int, head: bytes) -> bytes | None:
    """The whole file, whose first bytes `head` were read: `size` bytes in one read when
    known, else `head` and the rest chunk by chunk (a pipe cannot rewind); None if it
    holds more than `cap` bytes (a file that grew since fstat, a device, a pipe)."""
    if size >= 0:
        fh.seek(0)
        data = fh.read(size)
        return data if not fh.read(1) else None
    parts = [head]
    got = len(head)
    while chunk := fh.read(CHUNK):
        got += len(chunk)
        if got > cap:
            return None
        parts.append(chunk)
    return b"".join(parts)


class _GuardedFile:
    """A file whose reads zipfile makes under two bounds while it reads the directory.

    zipfile reads the central directory in one read of the size the end record
    declares and then builds an object per entry: a read past `cap` is refused, and
    while `counting` is set a read holding more entry-record signatures than
    `max_entries` is refused before zipfile builds them (the count of signatures is at
    least the number of records, so an honest directory is never refused)."""

    def __init__(self, fh: BinaryIO, size: int, cap: int, max_entries: Limit,
                 error: type[ZkmlError], path: object) -> None:
        self._fh, self._size, self._cap, self._error, self._path = fh, size, cap, error, path
        self._max_entries = max_entries
        self.counting = True
        self.name = getattr(fh, "name", None)

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:  # "the rest" (zipfile reads the end record so)
            n = max(self._size - self._fh.tell(), 0)
        if n > self._cap:
            from zkml import limits

            raise self._error(limits.ZIP_DIRECTORY.refuse(n, self._path))
        data = self._fh.read(n)
        if self.counting and data.count(b"PK\x01\x02") > self._max_entries.value():
            raise self._error(self._max_entries.refuse(None, self._path))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        """The file belongs to BoundedZip, which closes it."""


class BoundedZip:
    """A zip archive read under `ZipLimits`; use as a context manager.

    Opening checks the file size, the central directory's size, the number of entries,
    each entry's method (stored or deflated only: other methods inflate without a
    bound) and declared inflated size, and their sum. `read` inflates one entry in
    chunks and stops as soon as it passes the entry's declared size or a limit, so a
    header that lies costs at most one chunk past the limit. Every refusal and every
    damaged byte raises `error` with one line.
    """

    def __init__(self, source: str | os.PathLike[str] | bytes, what: str, limits: ZipLimits,
                 error: type[ZkmlError] = ArtifactError,
                 missing: type[ZkmlError] = FileError) -> None:
        """Open `source` (a path, or the file's bytes already in memory); `what` names
        the file in messages ("compiled model"); refusals raise `error`, a missing or
        unreadable path `missing`."""
        from zkml import limits as lim

        path = "<bytes>" if isinstance(source, bytes | bytearray) else source
        self.path, self.what, self.limits, self.error = Path(path), what, limits, error
        self._inflated = 0
        self._zf: zipfile.ZipFile | None = None
        self._stack = ExitStack()
        try:
            fh, self.size = self._open(source, missing)
            if self.size < 0:
                raise error(f"{path}: a {what} must be a regular file")
            guarded = _GuardedFile(fh, self.size, max(lim.ZIP_DIRECTORY.value(), CHUNK),
                                   limits.entries, error, path)
            self._zf = zipfile.ZipFile(guarded)  # type: ignore[arg-type]
            guarded.counting = False  # entry data may hold any bytes
            self._infos = {i.filename: i for i in self._zf.infolist()}
            self._check_directory()
        except ZkmlError:
            self.close()
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
                NotImplementedError) as exc:
            self.close()
            raise error(f"{path} is not a {what} (not a readable zip: {exc})") from None

    def _open(self, source: str | os.PathLike[str] | bytes,
              missing: type[ZkmlError]) -> tuple[BinaryIO, int]:
        if isinstance(source, bytes | bytearray):
            if len(source) > self.limits.file.value():
                raise self.error(self.limits.file.refuse(len(source)))
            return io.BytesIO(source), len(source)
        return self._stack.enter_context(
            open_bounded(source, self.what, self.limits.file, self.error, missing))

    def _check_directory(self) -> None:
        infos = self._zip().infolist()
        if len(infos) > self.limits.entries.value():
            raise self.error(self.limits.entries.refuse(len(infos), self.path))
        if len(self._infos) != len(infos):
            raise self.error(f"{self.path}: an entry name appears twice in the zip")
        declared = 0
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                    or info.flag_bits & 0x1:
                raise self.error(f"{self.path}: entry {info.filename!r} is encrypted "
                                 "or uses a compression other than deflate")
            if info.file_size > self.limits.entry.value():
                raise self.error(self.limits.entry.refuse(
                    info.file_size, f"{self.path}: {info.filename}"))
            declared += info.file_size
        if declared > self.limits.total.value():
            raise self.error(self.limits.total.refuse(declared, self.path))

    def _zip(self) -> zipfile.ZipFile:
        if self._zf is None:
            raise ValueError("the zip is closed")
        return self._zf

    def names(self) -> list[str]:
        """The entry names, in the zip's order."""
        return list(self._infos)

    def declared_size(self, name: str) -> int:
        """The inflated size the directory declares for entry `name` (KeyError if none)."""
        return self._infos[name].file_size

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        """A stream over entry `name` (KeyError if absent) for reading its first bytes; the
        caller bounds what it reads (`read` bounds whole entries)."""
        try:
            with self._zip().open(self._infos[name]) as fh:
                yield fh
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            raise self.error(f"{self.path}: entry {name!r} is damaged ({exc})") from None

    def read(self, name: str, limit: Limit | None = None) -> bytes:
        """Entry `name` inflated (KeyError if absent), at most `limit` (default: the
        per-entry limit) and its declared size, and within the archive's total."""
        info = self._infos[name]
        cap = min(info.file_size, (limit or self.limits.entry).value())
        if info.file_size > cap:
            raise self.error((limit or self.limits.entry).refuse(
                info.file_size, f"{self.path}: {name}"))
        out = io.BytesIO()  # getvalue() hands over its buffer: no second copy
        with self.open(name) as fh:
            while chunk := fh.read(CHUNK):
                if out.tell() + len(chunk) > cap:  # zipfile stops at the declared size;
                    # do not rely on it
                    raise self.error(f"{self.path}: entry {name!r} inflates past its "
                                     f"declared {info.file_size} bytes")
                out.write(chunk)
        self.account(out.tell())
        return out.getvalue()

    def account(self, n: int) -> None:
        """Count `n` more inflated bytes against the archive's total limit."""
        self._inflated += n
        if self._inflated > self.limits.total.value():
            raise self.error(self.limits.total.refuse(self._inflated, self.path))

    def close(self) -> None:
        """Close the archive and the file."""
        if self._zf is not None:
            self._zf.close()
            self._zf = None
        self._stack.close()

    def __enter__(self) -> BoundedZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The first bytes of every proof and verifying key (circuits/encoding.md).
ARTIFACT_MAGIC = b"ZKML"


def read_proof(path: str | os.PathLike[str]) -> bytes:
    """A proof file's bytes, at most `zkml.limits.PROOF`; a file over the limit or not
    starting with "ZKML" raises ProofFormatError before it is read whole."""
    from zkml import limits
    from zkml.errors import ProofFormatError

    return read_bytes(path, "proof", limit=limits.PROOF, magic=ARTIFACT_MAGIC,
                      error=ProofFormatError)


def read_verifying_key(path: str | os.PathLike[str]) -> bytes:
    """A verifying-key file's bytes, at most `zkml.limits.VERIFYING_KEY`; a file over
    the limit or not starting with "ZKML" raises InvalidKeyError before it is read
    whole."""
    from zkml import limits
    from zkml.errors import InvalidKeyError

    return read_bytes(path, "verifying key", limit=limits.VERIFYING_KEY, magic=ARTIFACT_MAGIC,
                      error=InvalidKeyError)
