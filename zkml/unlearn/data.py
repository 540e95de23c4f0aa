"""Datasets of the unlearning commands: .npz files with arrays `x` (samples) and `y`
(labels or targets), read bounded (`zkml.arrayio.load_npz`) and checked in one line."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from zkml.errors import InputError

__all__ = ["Dataset", "load_dataset", "MAX_SAMPLES"]

#: A committed dataset is one committed input of at most 2^16 rows (zk_inference.md 1.4).
MAX_SAMPLES = 1 << 16


@dataclass(frozen=True)
class Dataset:
    """Samples `x` (n, features) as float64 and labels `y` (n,): int64 class labels
    when the file's `y` holds integers, else float64 targets."""

    x: np.ndarray
    y: np.ndarray

    @property
    def is_classification(self) -> bool:
        """Integer labels: a classifier's data."""
        return self.y.dtype.kind == "i"

    def __len__(self) -> int:
        return int(self.x.shape[0])


def load_dataset(path: str | os.PathLike[str], what: str, features: int | None = None) -> Dataset:
    """Read and check a dataset file. InputError (one line) for a file without `x` or
    `y`, extra arrays, mismatched lengths, a wrong feature count, non-finite values, no
    samples or more than MAX_SAMPLES; FileError for a missing file."""
    from zkml.arrayio import load_npz

    arrays = load_npz(path, what)
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise InputError(f"{what} {path} has no array {missing[0]!r} (a dataset holds "
                         "arrays 'x' and 'y')")
    extra = sorted(set(arrays) - {"x", "y"})
    if extra:
        raise InputError(f"{what} {path} has an unexpected array {extra[0]!r} (only 'x' and "
                         "'y')")
    x, y = arrays["x"], arrays["y"]
    if x.ndim < 2 or x.shape[0] == 0:
        raise InputError(f"{what} {path}: x must hold at least one sample, shape (n, ...); "
                         f"it has shape {x.shape}")
    n = x.shape[0]
    if n > MAX_SAMPLES:
        raise InputError(f"{what} {path}: {n} samples, at most {MAX_SAMPLES}")
    x = x.reshape(n, -1).astype(np.float64)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise InputError(f"{what} {path}: y must have shape ({n},) to match x; it has shape "
                         f"{y.shape}")
    if features is not None and x.shape[1] != features:
        raise InputError(f"{what} {path}: x has {x.shape[1]} features per sample, the model "
                         f"takes {features}")
    if not np.all(np.isfinite(x)) or (y.dtype.kind == "f" and not np.all(np.isfinite(y))):
        raise InputError(f"{what} {path}: x and y must be finite (NaN or infinity found)")
    y = y.astype(np.int64) if y.dtype.kind in "iub" else y.astype(np.float64)
    return Dataset(x, y)
