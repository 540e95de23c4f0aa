"""`compile_model`: ONNX file -> quantized, calibrated `CompiledModel` (and its file).

The lead re-exports this as `zkml.compile`. onnx and onnxruntime are imported inside
the call, never when `zkml` is imported.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from zkml.fileio import check_outputs, write_atomic
from zkml.progress import Progress, ProgressArg
from zkml.quant.calibrate import CalibrationSource, CalibrationWarning
from zkml.quant.compiled import CompiledModel
from zkml.quant.ir import QModel
from zkml.quant.precision import Precision

__all__ = ["compile_model", "CompiledModel", "CalibrationWarning", "default_output_path"]

InputShape = Sequence[int] | Mapping[str, Sequence[int]] | None
COMPILED_SUFFIX = ".zkml"


def default_output_path(model_path: str | Path) -> Path:
    """Where `zkml compile MODEL.onnx` writes by default: MODEL.zkml next to the model."""
    return Path(model_path).with_suffix(COMPILED_SUFFIX)


def compile_model(
    model_path: str | Path,
    calibration: CalibrationSource = None,
    outputs: Sequence[str] | None = None,
    input_shape: InputShape = None,
    precision: str | Precision | None = None,
    output_path: str | Path | None = None,
    progress: ProgressArg = None,
    on_quantized: Callable[[QModel], None] | None = None,
    overwrite: bool = False,
    unlearnable: Sequence[str] = (),
) -> CompiledModel:
    """Import, calibrate and quantize an ONNX model; report its fidelity.

    Args:
        model_path: the .onnx file (any opset onnx's version converter handles).
        calibration: sample inputs: a path to .npy (one input), .npz or .json (a map from
            input names to arrays), an array, or a map of arrays. For input shape S an
            array (n, *S) is n samples; rows of shape S[1:] are grouped into batches of
            S[0]. None: DEFAULT_SAMPLES uniform samples in [-1, 1] and a
            CalibrationWarning.
        outputs: output names to keep (default: every numeric output of the model);
            intermediate tensor names are accepted too.
        input_shape: the input's shape (or a map input name -> shape), required when the
            model has dynamic dimensions.
        precision: "small", "balanced" (default) or "high" (see zkml/quant/precision.py),
            or a Precision.
        output_path: if given, write the compiled file there (atomically; a missing
            directory is created); it may not be the model or calibration file, nor an
            existing file unless `overwrite`: checked before any work
            (`zkml.fileio.check_outputs`, FileError naming the path).
        progress: stage lines on stderr (True), a `zkml.progress.Progress`, or None /
            False for silence (the default).
        unlearnable: weight (initializer) names whose format keeps one bit of headroom,
            so that an unlearning update (`zkml unlearn apply`) of up to their largest
            magnitude fits the same circuit (circuits/unlearning.md 7).
        on_quantized: called with the quantized model before the fidelity report is
            computed (`zkml.compile` starts the circuit's commitment there, so that the
            float reference run overlaps with it).

    Returns:
        The CompiledModel, whose `fidelity` holds the float-vs-quantized report, each
        input's calibrated range (`inputs`) and its `flags`: calibration outliers that
        set an input's scale, and outputs with a large error (each also warned as a
        CalibrationWarning; zkml/quant/fidelity.py, zkml/quant/calibrate.py).

    Raises:
        zkml.errors.ModelError (and subclasses in zkml.onnx_import.errors) for files that
        are not ONNX, unsupported ops, dynamic shapes without `input_shape`, non-constant
        weights, bad calibration data or precision.
    """
    from zkml.onnx_import import import_onnx
    from zkml.quant.calibrate import calibrate, default_runs, load_samples, make_runs
    from zkml.quant.fidelity import fidelity_report
    from zkml.quant.lower import quantize_graph
    from zkml.quant.precision import resolve_precision

    progress = Progress.of(progress, "compile")
    model_path = Path(model_path)
    prec = resolve_precision(precision)
    srcs = {model_path: "ONNX model"}
    if isinstance(calibration, str | os.PathLike):
        srcs[Path(calibration)] = "calibration file"
    if output_path is not None:
        check_outputs({output_path: "compiled model"}, inputs=srcs, overwrite=overwrite)

    with progress.stage("import"):
        imported = import_onnx(model_path, input_shape, list(outputs) if outputs else None)
    graph, loaded = imported.graph, imported.loaded

    with progress.stage("calibrate"):
        if calibration is None:
            warnings.warn(
                "no calibration samples: scales assume inputs uniform in [-1, 1]; real data "
                "outside that range saturates (for fidelity pass samples: calibration= in Python, "
                "--calibration on the command line)",
                CalibrationWarning,
                stacklevel=2,
            )
            runs, kind = default_runs(graph.inputs), "default uniform [-1, 1]"
        else:
            samples = load_samples(calibration, list(graph.inputs))
            runs, kind = make_runs(samples, graph.inputs), "calibration"
        stats = calibrate(graph, runs)

    with progress.stage("quantize"):
        qmodel = quantize_graph(graph, stats, prec, frozenset(unlearnable))
    if on_quantized is not None:
        on_quantized(qmodel)

    with progress.stage("fidelity"):
        report = fidelity_report(qmodel, imported.reference_model(), runs, kind)
        report["precision"] = prec.to_json()
        report["summary"] = qmodel.summary()
        _judge_calibration(report, qmodel, runs)

    source = {
        "file": model_path.name,
        "sha256": loaded.sha256,
        "opset": loaded.source_opset,
        "target_opset": _target_opset(),
        "input_shapes": {k: list(v) for k, v in loaded.input_shapes.items()},
        "outputs": list(loaded.outputs),
        "calibration_sha256": _calibration_digest(calibration),
    }
    compiled = CompiledModel(qmodel, report, source)
    if output_path is not None:
        with progress.stage("write"):
            write_atomic(output_path, compiled.to_bytes(), overwrite=overwrite, inputs=srcs,
                         what="compiled model")
    return compiled


def _judge_calibration(report: dict, qmodel: QModel, runs: list) -> None:
    """Record each input's calibrated range in the report (`inputs`: what prove measures
    a user's input against, zkml.quant.clipping), put outlier flags before the large-error
    flags, and warn of every flag (CalibrationWarning): an API caller sees them without
    printing the report."""
    from zkml.quant.calibrate import input_ranges, outlier_flags

    ranges = input_ranges(runs, qmodel.inputs)
    scales = {n: (qmodel.tensor(n).frac_bits, qmodel.tensor(n).bits) for n in qmodel.inputs}
    report["inputs"] = ranges
    report["flags"] = outlier_flags(ranges, runs, scales) + report.get("flags", [])
    for flag in report["flags"]:
        # stacklevel 4: past this helper and compile_model, at zkml.compile's caller
        warnings.warn(flag["message"], CalibrationWarning, stacklevel=4)


def _target_opset() -> int:
    from zkml.onnx_import.loader import TARGET_OPSET

    return TARGET_OPSET


def _calibration_digest(calibration: CalibrationSource) -> str | None:
    if isinstance(calibration, str | Path) and Path(calibration).is_file():
        return hashlib.sha256(Path(calibration).read_bytes()).hexdigest()
    return None


