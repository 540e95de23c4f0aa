"""Calibration: sample inputs, and the largest magnitude each float tensor reaches on them.

Samples come as a .npy array (one input), a .npz or .json map from input names to
arrays, or in-memory arrays. For an input of shape S, an array of shape (n, *S) holds n
samples; an array of shape (m, *S[1:]) holds m rows that are grouped into batches of
S[0] (so 360 digit images of shape (64,) calibrate a model with input shape (1, 64)).

Without samples, calibration uses DEFAULT_SAMPLES inputs drawn uniformly from
[-DEFAULT_RANGE, DEFAULT_RANGE] (seeded, so compiles are reproducible) and warns: real
data may exceed that range and saturate.

`input_ranges` records each input's calibrated range (the compiled model keeps it in its
fidelity report, where `zkml.quant.clipping` reads it to tell a user's input beyond it).
A few huge values set an input's scale alone (its largest magnitude), which can leave
every other value a handful of levels: `outlier_flags` finds inputs whose largest
magnitude exceeds OUTLIER_RATIO times the 99th percentile of their nonzero magnitudes
and says how many levels the rest then use; compile warns of each.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zkml.errors import InputError, ModelError
from zkml.quant.ops import run_graph

if TYPE_CHECKING:
    from zkml.onnx_import.graph import Graph

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
    "OUTLIER_RATIO",
    "input_ranges",
    "outlier_flags",
]

DEFAULT_SAMPLES = 16
DEFAULT_RANGE = 1.0
#: An input's largest calibrated magnitude above this many times the 99th percentile of
#: its nonzero magnitudes is set by outliers: the top 1% then stretch the scale 16-fold
#: (four bits of every value's resolution), far beyond a normal or exponential tail.
OUTLIER_RATIO = 16.0
_BULK_PERCENTILE = 99.0

Run = dict[str, np.ndarray]
CalibrationSource = str | Path | np.ndarray | Mapping[str, np.ndarray] | Sequence | None


class CalibrationWarning(UserWarning):
    """Calibration fell back to a default, dropped samples, or quantizes poorly: outliers
    set an input's scale, or an output's float-vs-quantized error is large."""


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
        raise InputError(f"calibration file {path} must be .npy, .npz or .json")
    if isinstance(data, Mapping):
        if len(names) == 1 and len(data) == 1 and names[0] not in data:
            return {names[0]: next(iter(data.values()))}
        return dict(data)
    if len(names) != 1:
        _many(names, path)
    return {names[0]: data}


def _many(names: list[str], path: Path):
    raise InputError(
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
            raise InputError(f"calibration samples lack model input {name!r}")
        try:
            arr = np.asarray(raw[name], dtype=np.float64)
        except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: 10**400
            raise InputError(f"calibration samples for {name!r} are not numeric: {exc}") from exc
        if arr.size == 0 or not np.all(np.isfinite(arr)):
            raise InputError(f"calibration samples for {name!r} are empty or not finite")
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
            raise InputError(f"calibration samples for {name!r}: {arr.shape[0]} rows do not "
                             f"fill one batch of {batch}")
        if arr.shape[0] % batch:
            warnings.warn(f"calibration: dropping {arr.shape[0] % batch} rows of {name!r} that "
                          f"do not fill a batch of {batch}", CalibrationWarning, stacklevel=3)
        return list(arr[: n * batch].reshape((n, *shape)))
    raise InputError(
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
        raise InputError("calibration samples give different sample counts for the inputs")
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


def input_ranges(runs: list[Run], names: Sequence[str]) -> dict[str, dict]:
    """Per model input over the runs: `min`, `max`, `max_abs` (what the input's scale was
    chosen for), `values`, `bulk_abs` (the 99th percentile of the nonzero magnitudes, 0
    when all are zero) and `outliers` (values above OUTLIER_RATIO times `bulk_abs` when
    `max_abs` is; else 0)."""
    out = {}
    for name in names:
        v = np.concatenate([np.asarray(r[name], dtype=np.float64).reshape(-1) for r in runs])
        mag = np.abs(v)
        nonzero = mag[mag > 0]
        bulk = float(np.percentile(nonzero, _BULK_PERCENTILE)) if nonzero.size else 0.0
        peak = float(mag.max()) if mag.size else 0.0
        far = bulk > 0 and peak > OUTLIER_RATIO * bulk
        out[name] = {"min": float(v.min()) if v.size else 0.0,
                     "max": float(v.max()) if v.size else 0.0, "max_abs": peak,
                     "values": int(v.size), "bulk_abs": bulk,
                     "outliers": int(np.count_nonzero(mag > OUTLIER_RATIO * bulk)) if far else 0}
    return out


def outlier_flags(ranges: Mapping[str, dict], runs: list[Run],
                  scales: Mapping[str, tuple[int, int]]) -> list[dict]:
    """One flag `{"kind": "calibration_outliers", "input", "count", "levels", "message"}`
    per input whose `input_ranges` entry counts outliers; `levels` is how many distinct
    integers the other values quantize to at the input's scale (`scales`: name ->
    (frac_bits, bits))."""
    from zkml.quant.rounding import quantize_float

    flags = []
    for name, r in ranges.items():
        if not r["outliers"]:
            continue
        v = np.concatenate([np.asarray(x[name], dtype=np.float64).reshape(-1) for x in runs])
        rest = v[np.abs(v) <= OUTLIER_RATIO * r["bulk_abs"]]
        frac, bits = scales[name]
        levels = int(np.unique(quantize_float(rest, frac, bits)).size)
        message = (f"calibration: input {name!r}: {r['outliers']} of {r['values']} values are "
                   f"over {OUTLIER_RATIO:g} times the 99th percentile of its magnitudes "
                   f"({r['bulk_abs']:.3g}; largest {r['max_abs']:.3g}); they set the input "
                   f"scale 2^{-frac}, at which the other {rest.size} values take only "
                   f"{levels} distinct level(s) of {1 << bits}: drop or clip the "
                   "outliers from the calibration samples")
        flags.append({"kind": "calibration_outliers", "input": name,
                      "count": r["outliers"], "levels": levels, "message": message})
    return flags
