"""Fidelity report: the float model (onnxruntime) against the quantized model.

Quantized semantics are what a proof certifies; this report says how far they are from
the float model on the calibration runs, per output: max and mean absolute error and
argmax agreement (over the last axis; for integer outputs such as ArgMax, exact match).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml.quant.calibrate import Run
from zkml.quant.executor import dequantize, execute, quantize_inputs
from zkml.quant.ir import QModel

__all__ = ["run_onnxruntime", "fidelity_report", "format_report"]

_ORT_FEED_TYPES = {1: np.float32, 11: np.float64, 10: np.float16}
# Ops whose output is saturate(quotient) (circuits/quantization.md).
_SATURATING = {"matmul", "conv", "add", "mul", "div", "rescale", "avgpool", "mean"}


def run_onnxruntime(model_proto: Any, runs: list[Run], outputs: list[str]) -> list[dict]:
    """Float outputs of the ONNX model for every run (onnxruntime, CPU, one thread)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(model_proto.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    types = {
        i.name: _ORT_FEED_TYPES.get(vi.type.tensor_type.elem_type, np.float32)
        for i, vi in zip(sess.get_inputs(), _graph_inputs(model_proto), strict=False)
    }
    results = []
    for feed in runs:
        cast = {k: np.asarray(v, dtype=types.get(k, np.float32)) for k, v in feed.items()}
        values = sess.run(outputs, cast)
        results.append(dict(zip(outputs, values, strict=True)))
    return results


def _graph_inputs(model_proto: Any) -> list:
    init = {t.name for t in model_proto.graph.initializer}
    return [vi for vi in model_proto.graph.input if vi.name not in init]


def _argmax_rows(x: np.ndarray) -> np.ndarray:
    return np.argmax(x.reshape(-1, x.shape[-1]), axis=-1)


def fidelity_report(
    qmodel: QModel, model_proto: Any, runs: list[Run], calibration: str
) -> dict:
    """Compare float and quantized outputs over `runs`; also counts saturations."""
    names = list(qmodel.outputs)
    floats = run_onnxruntime(model_proto, runs, names)
    errs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    agree = dict.fromkeys(names, 0)
    rows = dict.fromkeys(names, 0)
    saturated: dict[str, int] = {}
    for feed, ref in zip(runs, floats, strict=True):
        trace = execute(qmodel, quantize_inputs(qmodel, feed))
        for op in qmodel.ops:
            if op.op in _SATURATING:
                # The output is the saturated quotient; where they differ it saturated.
                hits = np.count_nonzero(trace.aux[op.name]["quotient"] != trace.tensors[op.output])
                if hits:
                    saturated[op.output] = saturated.get(op.output, 0) + int(hits)
        got = dequantize(qmodel, trace)
        for n in names:
            r = np.asarray(ref[n], dtype=np.float64).reshape(got[n].shape)
            errs[n].append(np.abs(got[n] - r).reshape(-1))
            if np.issubdtype(np.asarray(ref[n]).dtype, np.integer):
                agree[n] += int(np.count_nonzero(got[n] == r))
                rows[n] += r.size
            elif r.ndim >= 1 and r.shape[-1] > 1:
                agree[n] += int(np.count_nonzero(_argmax_rows(got[n]) == _argmax_rows(r)))
                rows[n] += r.size // r.shape[-1]
    outputs = {}
    for n in names:
        e = np.concatenate(errs[n]) if errs[n] else np.zeros(0)
        t = qmodel.tensor(qmodel.outputs[n])
        outputs[n] = {
            "shape": list(t.shape),
            "frac_bits": t.frac_bits,
            "bits": t.bits,
            "max_abs_error": float(e.max()) if e.size else 0.0,
            "mean_abs_error": float(e.mean()) if e.size else 0.0,
            "max_abs_float": float(max(np.abs(np.asarray(f[n], dtype=np.float64)).max()
                                       for f in floats)) if floats else 0.0,
            "argmax_agreement": (agree[n] / rows[n]) if rows[n] else None,
            "argmax_rows": rows[n],
        }
    return {"samples": len(runs), "calibration": calibration, "outputs": outputs,
            "saturated_values": sum(saturated.values()), "saturated_tensors": saturated}


def format_report(report: dict) -> str:
    """Human-readable table of a fidelity report."""
    lines = [
        f"fidelity: float (onnxruntime) vs quantized on {report['samples']} "
        f"{report['calibration']} sample(s)"
    ]
    header = f"  {'output':<20} {'shape':<16} {'max abs err':>12} {'mean abs err':>13} " \
             f"{'argmax agree':>13}"
    lines.append(header)
    for name, o in report["outputs"].items():
        agree = "-" if o["argmax_agreement"] is None else f"{100 * o['argmax_agreement']:.1f}%"
        lines.append(
            f"  {name[:20]:<20} {str(tuple(o['shape'])):<16} {o['max_abs_error']:>12.3g} "
            f"{o['mean_abs_error']:>13.3g} {agree:>13}"
        )
    if report.get("saturated_values"):
        worst = sorted(report["saturated_tensors"].items(), key=lambda kv: -kv[1])[:3]
        lines.append(
            f"  {report['saturated_values']} value(s) saturated at their bit bound (most in: "
            + ", ".join(f"{name} ({count})" for name, count in worst) + ")"
        )
    return "\n".join(lines)
