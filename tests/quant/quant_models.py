"""Helpers for the quantization tests: small ONNX models built with onnx.helper, runs
through onnxruntime, and error tolerances derived from the compiled model's scales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from zkml.compile_api import compile_model
from zkml.quant.compiled import CompiledModel

OPSET = 21


def make_model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, list | tuple | None],
    outputs: dict[str, int] | list[str],
    inits: dict[str, np.ndarray] | None = None,
    opset: int = OPSET,
    value_info: list | None = None,
) -> onnx.ModelProto:
    """A model; `outputs` as names (float) or name -> TensorProto type."""
    if isinstance(outputs, list):
        outputs = dict.fromkeys(outputs, TensorProto.FLOAT)
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, t, None) for n, t in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()],
        value_info=value_info or [],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8 if opset < 21 else 10
    return model


def f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def save(model: onnx.ModelProto, tmp_path: Path, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def ort_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    out = sess.run(names, {k: f32(v) for k, v in feeds.items()})
    return dict(zip(names, out, strict=True))


def steps_sum(cm: CompiledModel) -> float:
    """Sum of the quantization steps of every input and activation tensor: each rounds
    once, so an op with Lipschitz constant L errs by at most about L times this."""
    return sum(t.scale for t in cm.model.tensors.values() if t.role in ("input", "activation"))


def weight_step(cm: CompiledModel) -> float:
    """Half the largest weight step (rounding error of one weight entry)."""
    steps = [t.scale for t in cm.model.tensors.values() if t.role == "weight"]
    return max(steps, default=0.0) / 2


def compile_and_compare(
    tmp_path: Path,
    model: onnx.ModelProto,
    samples: np.ndarray | dict[str, np.ndarray],
    *,
    lip: float = 1.0,
    x_l1: float = 0.0,
    **kwargs,
) -> tuple[CompiledModel, float, float]:
    """Compile on `samples` (leading axis = runs), run every sample through onnxruntime
    and the integer executor; assert max error <= lip * steps + x_l1 * weight step.

    Returns the compiled model, the max error seen and the tolerance.
    """
    path = save(model, tmp_path)
    cm = compile_model(path, calibration=samples, **kwargs)
    if isinstance(samples, dict):
        runs = [{k: v[i] for k, v in samples.items()} for i in range(len(next(iter(
            samples.values()))))]
    else:
        runs = [{cm.model.inputs[0]: s} for s in samples]
    tol = lip * steps_sum(cm) + x_l1 * weight_step(cm) + 1e-5
    worst = 0.0
    for feed in runs:
        ref = ort_run(model, feed)
        got = cm.run(feed)
        for name in cm.model.outputs:
            r = np.asarray(ref[name], dtype=np.float64)
            assert got[name].shape == r.shape, (name, got[name].shape, r.shape)
            worst = max(worst, float(np.abs(got[name] - r).max()))
    assert worst <= tol, f"max error {worst:.3g} exceeds tolerance {tol:.3g}"
    return cm, worst, tol
