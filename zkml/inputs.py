"""Reading and shaping the inputs of a proof.

An *example* is one run of the model: an array of the model input's shape `S`
(for example `(1, 784)` or `(1, 1, 28, 28)`). The circuit sees rows of `n_in`
features, `S[0]` rows per example (usually 1). Accepted forms:

- EZKL-style JSON `{"input_data": [[...], [...]]}`: a list of examples, each a flat
  (or nested) list of `prod(S)` numbers; a flat list of numbers is one example;
- `.npy`: an array of shape `S` (one example), `(B, *S)` (B examples), `(B * S[0], n_in)`
  or `(B * S[0], *S[1:])` (rows).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from zkml.errors import ModelError
from zkml.fileio import read_bytes

__all__ = ["load_input_file", "as_rows"]


def _describe(shape: tuple[int, ...], n_in: int) -> str:
    one = "(" + ", ".join(str(d) for d in shape) + ")"
    return f"{one} per example ({math.prod(shape)} values), or rows of {n_in} features"


def as_rows(data, shape: tuple[int, ...], n_in: int) -> np.ndarray:
    """Examples (array or list of examples) -> a (rows, n_in) array.

    Raises ModelError naming the expected and the received shape.
    """
    per_example = math.prod(shape)
    if isinstance(data, list | tuple) and not isinstance(data, np.ndarray):
        if data and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
            data = [data]  # one flat example
        if not data:
            raise ModelError("no input examples given")
        rows = []
        for i, ex in enumerate(data):
            try:
                arr = np.asarray(ex, dtype=np.float64).reshape(-1)
            except (ValueError, TypeError):
                raise ModelError(f"input example {i} is not a regular array of numbers") from None
            if arr.size not in (per_example, n_in):
                raise ModelError(f"input example {i} has {arr.size} values; expected "
                                 f"{per_example} (input shape {tuple(shape)})")
            rows.append(arr.reshape(-1, n_in))
        return np.concatenate(rows, axis=0)
    arr = np.asarray(data)
    if arr.dtype.kind not in "iuf" or arr.ndim == 0:
        raise ModelError(f"inputs must be a numeric array, got {arr.dtype} {arr.shape}")
    s = tuple(shape)
    if arr.size and (arr.shape == s or arr.shape[1:] == s or arr.shape[1:] == s[1:]
                     or (arr.ndim == 2 and arr.shape[1] == n_in)
                     or (arr.ndim == 1 and arr.size == n_in)):
        return arr.reshape(-1, n_in)
    raise ModelError(f"input has shape {tuple(arr.shape)}; expected {_describe(s, n_in)}")


def load_input_file(path: str | Path):
    """Read a .json (EZKL-style) or .npy input file; returns a list or an array."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        import io

        try:
            return np.load(io.BytesIO(read_bytes(path, "input file")), allow_pickle=False)
        except ValueError as exc:
            raise ModelError(f"input file {path} is not a valid .npy array: {exc}") from None
    if suffix == ".json":
        try:
            doc = json.loads(read_bytes(path, "input file"))
        except (ValueError, UnicodeDecodeError):
            raise ModelError(f"input file {path} is not valid JSON") from None
        if isinstance(doc, dict):
            if "input_data" not in doc:
                raise ModelError(f"input file {path} has no \"input_data\" key")
            doc = doc["input_data"]
        if not isinstance(doc, list):
            raise ModelError(f"input file {path}: \"input_data\" must be a list of examples")
        return doc
    raise ModelError(f"input file {path} must be .json (EZKL style) or .npy")
