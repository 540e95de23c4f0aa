"""Calibration: sample inputs, and the largest magnitude each float tensor reaches on them.

Samples come as a .npy array (one input), a .npz or .json map from input names to
arrays, or in-memory arrays. For an input of shape S, an array of shape (n, *S) holds n
samples; an array of shape (m, *S[1:]) holds m rows that are grouped into batches of
S[0] (so 360 digit images of shape (64,) calibrate a model with input shape (1, 64)).

Without samples, calibration uses DEFAULT_SAMPLES inputs drawn uniformly from
[-DEFAULT_RANGE, DEFAULT_RANGE] (seeded, so compiles are reproducible) and warns: real
data may exceed that range and saturate.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkml.errors import ModelError
from zkml.onnx_import.graph import Graph
from zkml.onnx_import.reference import run_graph

__all__ = [
    "Stats",
    "CalibrationWarning",
    "CalibrationSource",
    "DEFAULT_SAMPLES",
    "DEFAULT_RANGE",
    "load_samples",
    "make_runs",
    "default_runs",
    "calibrate",
]

DEFAULT_SAMPLES = 16
DEFAULT_RANGE = 1.0

Run = dict[str, np.ndarray]
CalibrationSource = str | Path | np.ndarray | Mapping[str, np.ndarray] | Sequence | None


class CalibrationWarning(UserWarning):
    """Calibration fell back to a default, or dropped samples."""


@dataclass
class Stats:
    """Per tensor, the largest |value| over all calibration runs."""

    max_abs: dict[str, float]
    runs: int


def _read_file(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    # bounded reads (zkml.arrayio): sizes, .npy headers and .npz entries are checked
    # before anything large is allocated or inflated
    from zkml.arrayio import load_json, load_npy, load_npz

    suffix = path.suffix.lower()
    what = "calibration file"
    if suffix == ".npy":
        if len(names) != 1:
            _many(names, path)
        return {names[0]: load_npy(path, what)}
    if suffix == ".npz":
        data = load_npz(path, what)
    elif suffix == ".json":
        data = load_json(path, what)
    else:
        raise ModelError(f"calibration file {path} must be .npy, .npz or .json")
    if isinstance(data, Mapping):
        if len(names) == 1 and len(data) == 1 and names[0] not in data:
            return {names[0]: next(iter(data.values()))}
        return dict(data)
    if len(names) != 1:
        _many(names, path)
    return {names[0]: data}


def _many(names: list[str], path: Path):
    raise ModelError(
        f"the model has {len(names)} inputs ({', '.join(names)}); give calibration samples "
        f"as a .npz or .json map from input names to arrays, not {path.name}"
    )


def load_samples(source: CalibrationSource, input_names: list[str]) -> dict[str, np.ndarray]:
    """Read calibration samples into a map input name -> float64 array."""
    if isinstance(source, str | Path):
        raw = _read_file(Path(source), input_names)
    elif isinstance(source, Mapping):
        raw = dict(source)
    else:
        if len(input_names) != 1:
            _many(input_names, Path("the given array"))
        raw = {input_names[0]: source}
    out = {}
    for name in input_names:
        if name not in raw:
            raise ModelError(f"calibration samples lack model input {name!r}")
        try:
            arr = np.asarray(raw[name], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ModelError(f"calibration samples for {name!r} are not numeric: {exc}") from exc
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ModelError(f"calibration samples for {name!r} are empty or not finite")
        out[name] = arr
    return out


def _split(name: str, arr: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
    if arr.shape == shape:
        return [arr]
    if arr.shape[1:] == shape:
        return list(arr)
    if len(shape) >= 1 and arr.ndim == len(shape) and arr.shape[1:] == shape[1:]:
        batch = shape[0]
        n = arr.shape[0] // batch
        if n == 0:
            raise ModelError(f"calibration samples for {name!r}: {arr.shape[0]} rows do not "
                             f"fill one batch of {batch}")
        if arr.shape[0] % batch:
            warnings.warn(f"calibration: dropping {arr.shape[0] % batch} rows of {name!r} that "
                          f"do not fill a batch of {batch}", CalibrationWarning, stacklevel=3)
        return list(arr[: n * batch].reshape((n, *shape)))
    raise ModelError(
        f"calibration samples for {name!r} have shape {arr.shape}; expected (n, "
        f"{', '.join(map(str, shape))}) or rows of shape {shape[1:]}"
    )


def make_runs(
    samples: Mapping[str, np.ndarray], shapes: Mapping[str, tuple[int, ...]]
) -> list[Run]:
    """Cut samples into runs: one feed dict per model execution."""
    split = {name: _split(name, samples[name], tuple(shape)) for name, shape in shapes.items()}
    counts = {len(v) for v in split.values()}
    if len(counts) != 1:
        raise ModelError("calibration samples give different sample counts for the inputs")
    n = counts.pop()
    return [{name: split[name][i] for name in shapes} for i in range(n)]


def default_runs(shapes: Mapping[str, tuple[int, ...]], n: int = DEFAULT_SAMPLES,
                 seed: int = 0) -> list[Run]:
    """The documented default: n uniform samples in [-DEFAULT_RANGE, DEFAULT_RANGE]."""
    rng = np.random.default_rng(seed)
    return [
        {name: rng.uniform(-DEFAULT_RANGE, DEFAULT_RANGE, size=shape) for name, shape in
         shapes.items()}
        for _ in range(n)
    ]


def calibrate(graph: Graph, runs: list[Run]) -> Stats:
    """Run the float graph on every run; record each tensor's largest magnitude."""
    max_abs: dict[str, float] = {}
    for feed in runs:
        for name, value in run_graph(graph, feed).items():
            if value.size == 0:
                continue
            peak = float(np.max(np.abs(value)))
            if not np.isfinite(peak):
                raise ModelError(f"tensor {name!r} is not finite on a calibration sample")
            max_abs[name] = max(max_abs.get(name, 0.0), peak)
    return Stats(max_abs, len(runs))
