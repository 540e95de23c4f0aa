"""File I/O that never loses a user's data: atomic writes, explicit overwrite."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from zkml.errors import ZkmlError


class OutputExistsError(ZkmlError):
    """The output path exists and overwriting was not requested."""


def write_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> Path:
    """Write `data` to `path` via a temporary file in the same directory and a rename,
    so readers see the old file or the new one, never a partial write."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; choose another output path or pass --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file 0600; give it the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_bytes(path: str | os.PathLike[str], what: str = "file") -> bytes:
    """Read a whole file; a missing or unreadable file is a ZkmlError with one line."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise ZkmlError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise ZkmlError(f"{what} is a directory: {path}") from None
    except OSError as exc:
        raise ZkmlError(f"cannot read {what} {path}: {exc.strerror}") from None
