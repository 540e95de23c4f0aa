"""Writing unlearning files: never over an existing file, secrets 0600 from creation.

`os.open(..., O_CREAT | O_EXCL, mode)` creates the file with its final mode, so a secret
(a data opening, an update witness) is never readable by others even for an instant, and
an existing file (or a symlink planted at the path) is refused rather than replaced.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from zkml.errors import FileError, OutputExistsError

__all__ = ["check_new", "write_new"]


def check_new(path: str | os.PathLike[str], what: str) -> Path:
    """Preflight: `path` must not exist (OutputExistsError naming it)."""
    p = Path(path)
    if p.exists() or p.is_symlink():
        raise OutputExistsError(f"{what} {p} exists; unlearning files are never overwritten "
                                "(choose another path with -o)")
    return p


def write_new(path: str | os.PathLike[str], data: bytes, what: str, *,
              secret: bool = False) -> Path:
    """Write `data` to a new file (mode 0600 when `secret`, else 0644 less the umask);
    missing parent directories are created. A partial file is removed on failure."""
    p = check_new(path, what)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    except FileExistsError:
        raise OutputExistsError(f"{what} {p} exists; unlearning files are never "
                                "overwritten") from None
    except OSError as exc:
        raise FileError.from_os(exc, "write", p) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            p.unlink()
        if isinstance(exc, OSError):
            raise FileError.from_os(exc, "write", p) from None
        raise
    return p


def small_blas():
    """A context in which BLAS runs on one thread, where `threadpoolctl` is installed
    (it comes with scikit-learn): the per-block solves are on 64 x 64 matrices, where a
    multi-threaded BLAS on a busy machine was measured 50x slower (0.04 s against
    0.0008 s per eigensolve with ten processes on two cores). Without it, a no-op."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn (a dev dependency) brings it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
