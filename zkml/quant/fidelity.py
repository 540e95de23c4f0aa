"""Fidelity report: the float model (onnxruntime) against the quantized model.

Quantized semantics are what a proof certifies; this report says how far they are from
the float model on the calibration runs, per output: max and mean absolute error and
argmax agreement (over the last axis; for integer outputs such as ArgMax, exact match).

A *large error* is flagged (`large_error`, and an entry in the report's `flags`) when a
float output's max absolute error exceeds `LARGE_ERROR_FRACTION` of the output's typical
magnitude (the median over the runs of each run's largest |float output|), or is not
finite. The typical magnitude, not the largest, is the yardstick: a calibration run with
huge values makes both its own output and its error huge, and measured against that
output the error looks small while every ordinary run is quantized to nothing. When an
output is flagged its argmax agreement is marked as not meaningful: agreement can stay
high while the values are far off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml.quant.calibrate import Run
from zkml.quant.executor import dequantize, execute, quantize_inputs
from zkml.quant.ir import QModel
from zkml.quant.ops import SPECS

__all__ = ["run_onnxruntime", "fidelity_report", "format_report", "LARGE_ERROR_FRACTION",
           "error_flag"]

#: An output's max absolute error above this fraction of its typical magnitude is large:
#: a tenth of the output's scale is far beyond quantization noise (16-bit activations
#: stay near a thousandth on the bundled model), yet small enough to catch an output
#: whose ordinary runs lost their values.
LARGE_ERROR_FRACTION = 0.1

_ORT_FEED_TYPES = {1: np.float32, 11: np.float64, 10: np.float16}
# Ops whose output is saturate(quotient) (circuits/quantization.md): each op's
# `saturating` in zkml.quant.ops.
_SATURATING = frozenset(name for name, spec in SPECS.items() if spec.saturating)


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
    peaks: dict[str, list[float]] = {n: [] for n in names}  # per run, the largest |float|
    integer = dict.fromkeys(names, False)
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
            peaks[n].append(float(np.abs(r).max()) if r.size else 0.0)
            if np.issubdtype(np.asarray(ref[n]).dtype, np.integer):
                integer[n] = True
                agree[n] += int(np.count_nonzero(got[n] == r))
                rows[n] += r.size
            elif r.ndim >= 1 and r.shape[-1] > 1:
                agree[n] += int(np.count_nonzero(_argmax_rows(got[n]) == _argmax_rows(r)))
                rows[n] += r.size // r.shape[-1]
    outputs, flags = {}, []
    for n in names:
        e = np.concatenate(errs[n]) if errs[n] else np.zeros(0)
        t = qmodel.tensor(qmodel.outputs[n])
        max_err = float(e.max()) if e.size else 0.0
        outputs[n] = {
            "shape": list(t.shape),
            "frac_bits": t.frac_bits,
            "bits": t.bits,
            "max_abs_error": _finite(max_err),
            "mean_abs_error": _finite(float(e.mean()) if e.size else 0.0),
            "max_abs_float": _finite(max(peaks[n], default=0.0)),
            "argmax_agreement": (agree[n] / rows[n]) if rows[n] else None,
            "argmax_rows": rows[n],
        }
        if not integer[n]:  # an index output's error is its agreement, reported as such
            flag = error_flag(n, max_err, peaks[n])
            outputs[n].update(flag.pop("stats"))
            if outputs[n]["large_error"]:
                flags.append(flag)
    return {"samples": len(runs), "calibration": calibration, "outputs": outputs,
            "saturated_values": sum(saturated.values()), "saturated_tensors": saturated,
            "flags": flags}


def _finite(x: float) -> float | None:
    """`x`, or None when not finite (the report is strict JSON)."""
    return x if np.isfinite(x) else None


def error_flag(name: str, max_err: float, peaks: list[float]) -> dict:
    """Judge one float output's error against its typical magnitude (module docstring).

    Returns the flag entry `{"kind": "large_error", "output", "message", "stats"}`, where
    `stats` holds the output's `typical_abs_float`, `relative_error` (None when not
    finite) and `large_error`."""
    typical = float(np.median(peaks)) if peaks else 0.0
    if typical == 0.0:  # most runs give an all-zero output: their largest is the yardstick
        typical = max(peaks, default=0.0)
    if not np.isfinite(max_err) or not np.isfinite(typical):
        rel = float("inf")
    elif typical > 0:
        rel = max_err / typical
    else:
        rel = float("inf") if max_err > 0 else 0.0
    large = rel > LARGE_ERROR_FRACTION
    if not np.isfinite(max_err):
        what = "is not finite"
    else:
        what = f"{max_err:.3g} is {rel:.3g} times its typical magnitude {typical:.3g}"
    message = (f"LARGE ERROR: output {name!r}: max abs error {what} (median over samples of "
               "the largest |float output|): the quantized outputs are far from the float "
               "ones on these samples, whatever the argmax agreement says. Check the "
               "calibration samples or use a higher precision")
    stats = {"typical_abs_float": _finite(typical), "relative_error": _finite(rel),
             "large_error": bool(large)}
    return {"kind": "large_error", "output": name, "message": message, "stats": stats}


def format_report(report: dict) -> str:
    """Human-readable table of a fidelity report; an output with a large error is marked
    `LARGE ERROR` (its argmax agreement starred as not meaningful), and every flag of the
    report follows the table on its own line."""
    lines = [
        f"fidelity: float (onnxruntime) vs quantized on {report['samples']} "
        f"{report['calibration']} sample(s)"
    ]
    header = f"  {'output':<20} {'shape':<16} {'max abs err':>12} {'mean abs err':>13} " \
             f"{'argmax agree':>13}"
    lines.append(header)
    for name, o in report["outputs"].items():
        large = bool(o.get("large_error"))
        agree = "-" if o["argmax_agreement"] is None else f"{100 * o['argmax_agreement']:.1f}%"
        if large and o["argmax_agreement"] is not None:
            agree += "*"  # not meaningful beside such an error
        lines.append(
            f"  {name[:20]:<20} {str(tuple(o['shape'])):<16} {_num(o['max_abs_error']):>12} "
            f"{_num(o['mean_abs_error']):>13} {agree:>13}" + ("  LARGE ERROR" if large else "")
        )
    if report.get("saturated_values"):
        worst = sorted(report["saturated_tensors"].items(), key=lambda kv: -kv[1])[:3]
        lines.append(
            f"  {report['saturated_values']} value(s) saturated at their bit bound (most in: "
            + ", ".join(f"{name} ({count})" for name, count in worst) + ")"
        )
    lines += [f"  {f['message']}" for f in report.get("flags", [])
              if isinstance(f, dict) and f.get("message")]
    return "\n".join(lines)


def _num(x: float | None) -> str:
    return "not finite" if x is None else f"{x:.3g}"
