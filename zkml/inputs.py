"""Reading and shaping the inputs of a proof.

An *example* is one run of the model: an array of the model input's shape `S`
(for example `(1, 784)` or `(1, 1, 28, 28)`). The circuit sees rows of `n_in`
features, `S[0]` rows per example (usually 1). Accepted forms:

- EZKL-style JSON `{"input_data": [[...], [...]]}`: a list of examples, each a flat
  (or nested) list of `prod(S)` numbers; a flat list of numbers is one example;
- `.npy`: an array of shape `S` (one example), `(B, *S)` (B examples), `(B * S[0], n_in)`
  or `(B * S[0], *S[1:])` (rows).

A model with several inputs takes one value per input (`as_input_rows`): a dict
{name: array}, a list / tuple in the model's input order, EZKL-style JSON whose
`input_data` holds one list per input (each the input's values, flat or nested: one
example, or several examples in a row), or a `.npz` map from input names to arrays.
The circuit's input row is every input's row side by side, in input order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from zkml.errors import InputError

__all__ = ["load_input_file", "as_rows", "as_input_rows", "float_array"]


def _describe(shape: tuple[int, ...], n_in: int) -> str:
    one = "(" + ", ".join(str(d) for d in shape) + ")"
    return f"{one} per example ({math.prod(shape)} values), or rows of {n_in} features"


def float_array(values, what: str) -> np.ndarray:
    """`values` (nested lists of numbers) as a float64 array; InputError naming
    `what` for ragged or non-numeric data and for an integer too large for a float
    (10**400 in a JSON file, which float64 cannot hold)."""
    try:
        return np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise InputError(f"{what} holds an integer too large for a float (at most about "
                         "1.8e308)") from None
    except (ValueError, TypeError):
        raise InputError(f"{what} is not a regular array of numbers") from None


def as_rows(data, shape: tuple[int, ...], n_in: int) -> np.ndarray:
    """Examples (array or list of examples) -> a (rows, n_in) array.

    Raises InputError naming the expected and the received shape.
    """
    per_example = math.prod(shape)
    if isinstance(data, list | tuple) and not isinstance(data, np.ndarray):
        if data and all(isinstance(v, int | float) and not isinstance(v, bool) for v in data):
            data = [data]  # one flat example
        if not data:
            raise InputError("no input examples given")
        rows = []
        for i, ex in enumerate(data):
            arr = float_array(ex, f"input example {i}").reshape(-1)
            if arr.size not in (per_example, n_in):
                raise InputError(f"input example {i} has {arr.size} values; expected "
                                 f"{per_example} (input shape {tuple(shape)})")
            rows.append(arr.reshape(-1, n_in))
        return np.concatenate(rows, axis=0)
    arr = np.asarray(data)
    if arr.dtype.kind not in "iuf" or arr.ndim == 0:
        raise InputError(f"inputs must be a numeric array, got {arr.dtype} {arr.shape}")
    s = tuple(shape)
    if arr.size and (arr.shape == s or arr.shape[1:] == s or arr.shape[1:] == s[1:]
                     or (arr.ndim == 2 and arr.shape[1] == n_in)
                     or (arr.ndim == 1 and arr.size == n_in)):
        return arr.reshape(-1, n_in)
    raise InputError(f"input has shape {tuple(arr.shape)}; expected {_describe(s, n_in)}")


def _named(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _one_input(name: str, data, shape: tuple[int, ...]) -> np.ndarray:
    """One model input's value (of several) as its (rows, n) array; errors name it."""
    n = math.prod(shape[1:])
    try:
        if isinstance(data, list | tuple) and not isinstance(data, np.ndarray):
            arr = float_array(data, "the value")
            if arr.ndim == 1 and arr.size and arr.size % n == 0:
                arr = arr.reshape(-1, n)  # EZKL: one flat list per input
            data = arr
        return as_rows(data, shape, n)
    except InputError as exc:
        raise InputError(f"input {name!r}: {exc.detail}") from None


def as_input_rows(data, shapes: Mapping[str, tuple[int, ...]], n_in: int) -> np.ndarray:
    """Inputs of a model with inputs `shapes` (name -> shape of one run, input order) ->
    the circuit's (rows, n_in) input rows.

    One input: what `as_rows` accepts (or a dict holding it under the input's name).
    Several: a dict {name: value} or a list / tuple of one value per input, in order;
    each value is what `as_rows` accepts for that input, or a flat list of several
    examples. Raises InputError naming the input at fault.
    """
    names = list(shapes)
    if isinstance(data, Mapping):
        missing = [n for n in names if n not in data]
        extra = [str(k) for k in data if k not in shapes]
        if missing or extra:
            what = f"lack input(s) {_named(missing)}" if missing else \
                f"name unknown input(s) {_named(extra)}"
            raise InputError(f"the inputs {what}; the model's inputs are {_named(names)}")
        values = [data[n] for n in names]
    elif len(names) == 1:
        return as_rows(data, tuple(shapes[names[0]]), n_in)
    elif isinstance(data, list | tuple) and len(data) == len(names):
        values = list(data)
    else:
        got = f"{len(data)} values" if isinstance(data, list | tuple) else "one array"
        raise InputError(f"the model has {len(names)} inputs ({_named(names)}); got {got}: "
                         "give one array or list per input, in this order, or a map from "
                         "input names to arrays")
    if len(names) == 1:
        return as_rows(values[0], tuple(shapes[names[0]]), n_in)
    rows = [_one_input(n, v, tuple(shapes[n])) for n, v in zip(names, values, strict=True)]
    counts = {n: r.shape[0] for n, r in zip(names, rows, strict=True)}
    if len(set(counts.values())) > 1:
        first = names[0]
        other = next(n for n in names if counts[n] != counts[first])
        raise InputError(f"inputs {first!r} and {other!r} give different numbers of "
                         f"examples ({counts[first]} and {counts[other]} rows)")
    return np.concatenate(rows, axis=1)


def load_input_file(path: str | Path):
    """Read a .json (EZKL-style), .npy or .npz (input name -> array) input file; returns
    a list, an array or a dict of arrays.

    Reading is bounded (`zkml.arrayio`): a file over its limit, a .npy header whose shape
    does not match the file's size, a non-numeric array and an .npz entry that inflates
    past its limit are refused with InputError before anything large is allocated (a
    missing or unreadable file is a FileError).
    """
    from zkml.arrayio import load_json, load_npy, load_npz

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return load_npy(path, "input file")
    if suffix == ".npz":
        return load_npz(path, "input file")
    if suffix == ".json":
        doc = load_json(path, "input file")
        if isinstance(doc, dict):
            if "input_data" not in doc:
                raise InputError(f"input file {path} has no \"input_data\" key")
            doc = doc["input_data"]
        if not isinstance(doc, list):
            raise InputError(f"input file {path}: \"input_data\" must be a list of examples")
        return doc
    raise InputError(f"input file {path} must be .json (EZKL style), .npy or .npz")
