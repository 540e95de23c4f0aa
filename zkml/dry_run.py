"""`zkml.check` (this module): a dry run of `zkml.prove` (what EZKL calls `mock`).

    result = zkml.check(compiled, x)                     # no proof, no native prover
    print(result.outputs_float, result.clipping.describe(), result.witness_ok)
    result = zkml.check(compiled, x, onnx_path="model.onnx")   # and the float model
    print(result.differences["logits"].max_abs_diff)

The inputs are read and quantized as `zkml.prove` reads and quantizes them (the same
functions), the integer reference executor computes the outputs a proof would state,
and the witness is built and compared gadget by gadget with the executor, as `prove`
does before it calls the prover: a dry run that passes means `prove` will not fail on
these inputs for a reason of its own making. The statement's digests are those a proof
of these inputs would state.

The compiled model keeps the ONNX file's SHA-256 but not the float model itself, so the
float-vs-quantized difference needs the ONNX file (`onnx_path`); it must be the file the
model was compiled from (same SHA-256). Only that comparison imports onnx and
onnxruntime; nothing here imports the native prover.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zkml.api import ProofResult, load
from zkml.errors import InputError, ModelError, ProverError
from zkml.quant.rounding import QuantOverflowError
from zkml.statement import InputLayout, quantize_rows, statement_digests

if TYPE_CHECKING:  # pragma: no cover
    from zkml.compiled_model import CompiledModel
    from zkml.quant.clipping import ClipReport

__all__ = ["check", "CheckResult", "OutputDifference"]

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class OutputDifference:
    """One output of the quantized model against the float (onnxruntime) model.

    Attributes:
        name: the output's name.
        max_abs_diff, mean_abs_diff: over every value of every row (with an ArgMax
            output, over the class indices).
        max_abs_float: the largest magnitude of the float output (to judge the former).
        agreeing, compared: rows whose argmax agrees (rows equal, for an integer output
            such as ArgMax) and rows compared; `compared` is 0 for a one-value output.
    """

    name: str
    max_abs_diff: float
    mean_abs_diff: float
    max_abs_float: float
    agreeing: int
    compared: int

    @property
    def agreement(self) -> float | None:
        """Fraction of compared rows that agree, or None when no row was compared."""
        return self.agreeing / self.compared if self.compared else None


@dataclass
class CheckResult:
    """What `zkml.prove` would prove on these inputs, computed without proving.

    Attributes:
        batch: rows the statement would hold (examples times the model's leading dim).
        inputs: (B, n_in) int64, the quantized inputs the statement would hold.
        outputs: (B, n_out) int64, the integer executor's outputs as the statement would
            hold them ((B, 1) class indices with an ArgMax output).
        input_frac_bits, output_frac_bits: the scales `2^-frac_bits` (output 0 with
            ArgMax).
        argmax: the model's output is ArgMax.
        output_parts: each output's name, size, scale and place in a row of `outputs`
            (as `ProofResult.output_parts`).
        clipping: per input, the values saturation moved into the representable range
            and those beyond the calibrated range (`zkml.quant.clipping.ClipReport`).
        vk_digest, input_digest, output_digest: the digests a proof of these inputs
            would state (what `zkml prove` and `zkml verify` print).
        witness_ok: the witness was built, every committed value fits its width and
            every gadget equals the executor (what `prove` checks before proving).
        witness_error: why not, when `witness_ok` is False.
        onnx_path: the float model compared, or None.
        float_outputs: the float model's outputs per name, (B, n_k) (None without
            `onnx_path`).
        differences: per output name, quantized against float (None without
            `onnx_path`).
        timings: seconds per stage ("quantize", "witness", "float").
        hiding: the model's key is hiding (kind 6, the default): a proof of these inputs
            would be hiding (kind 5) and reveal nothing about the weights.
    """

    batch: int
    inputs: np.ndarray
    outputs: np.ndarray
    input_frac_bits: int
    output_frac_bits: int
    argmax: bool
    output_parts: list
    clipping: ClipReport
    vk_digest: bytes
    input_digest: bytes
    output_digest: bytes
    witness_ok: bool
    witness_error: str | None = None
    onnx_path: str | None = None
    float_outputs: dict[str, np.ndarray] | None = None
    differences: dict[str, OutputDifference] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    hiding: bool = False

    # The outputs are read exactly as a proof's are (same scales, same splitting).
    output_names = ProofResult.output_names
    output_dict = ProofResult.output_dict
    named_outputs = ProofResult.named_outputs
    outputs_float = ProofResult.outputs_float
    predictions = ProofResult.predictions


def check(
    compiled: CompiledModel | PathLike,
    inputs: Any,
    *,
    strict: bool = False,
    quantized: bool = False,
    onnx_path: PathLike | None = None,
) -> CheckResult:
    """Run the quantized model on `inputs` as `zkml.prove` would, without proving.

    Args:
        compiled: a CompiledModel from `zkml.compile` / `zkml.load`, or its file.
        inputs: what `zkml.prove` takes (one example, a batch, EZKL's list, a dict or
            list of named inputs); floats are quantized at the input scale as `prove`
            quantizes them (`quantized=True`: they are the integers already).
        strict: refuse inputs that saturation would clip (InputError), as `prove` does.
        onnx_path: the ONNX file the model was compiled from: its float outputs on the
            same inputs (onnxruntime) are compared with the quantized ones.

    Returns:
        A CheckResult; a witness that could not be built is reported in it
        (`witness_ok`, `witness_error`), not raised, and so is clipping (in
        `clipping`; no ClippingWarning is issued, unlike `prove`).

    Raises:
        InputError for inputs of the wrong shape, non-finite values, non-integers with
        `quantized`, clipped values with `strict`, and an `onnx_path` that is not the
        model's ONNX file; ModelError when the executor rejects the input.
    """
    if not hasattr(compiled, "require_circuit"):
        compiled = load(compiled)  # type: ignore[arg-type]
    cc = compiled.require_circuit()
    circuit = cc.circuit
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # The one quantization prove and verify --input use (zkml.statement).
    rows, x, clipping = quantize_rows(inputs, InputLayout.of_compiled(compiled),
                                      quantized=quantized, strict=strict)
    timings["quantize"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    outputs, witness_error = _outputs_and_witness(compiled, x)
    timings["witness"] = time.perf_counter() - t0
    in_digest, out_digest = statement_digests(circuit, x.shape[0], x.tolist(), outputs.tolist())
    result = CheckResult(x.shape[0], x, outputs, circuit.input_frac_bits,
                         0 if circuit.argmax else circuit.output.frac_bits, circuit.argmax,
                         list(cc.output_parts), clipping, compiled.vk_digest, in_digest,
                         out_digest, witness_error is None, witness_error, timings=timings,
                         hiding=compiled.hiding)
    if onnx_path is not None:
        t0 = time.perf_counter()
        # (with `quantized`, the float model sees the integers' float values)
        floats = rows if not quantized else np.ldexp(x.astype(np.float64),
                                                      -circuit.input_frac_bits)
        result.onnx_path = str(onnx_path)
        result.float_outputs = _float_outputs(compiled, Path(onnx_path), floats)
        result.differences = _differences(result, result.float_outputs)
        timings["float"] = time.perf_counter() - t0
    return result


def _outputs_and_witness(compiled: CompiledModel, x: np.ndarray
                         ) -> tuple[np.ndarray, str | None]:
    """The statement's outputs and why the witness cannot be built (None when it can).

    `build_witness` compares every gadget with the executor, so its outputs are the
    executor's; when it fails, the executor alone gives the outputs."""
    from zkml.witness import build_witness

    try:
        return build_witness(compiled.require_circuit(), compiled.model, x).outputs, None
    except ProverError as exc:
        error = str(exc)
    return _executor_outputs(compiled, x), error


def _executor_outputs(compiled: CompiledModel, x: np.ndarray) -> np.ndarray:
    """The integer executor's outputs as the statement holds them: one output as it is;
    several brought to the circuit's output scale, side by side (zkml.compiler.io)."""
    cc = compiled.require_circuit()
    model = compiled.model
    f_out = 0 if cc.circuit.argmax else cc.circuit.output.frac_bits
    rows = []
    for chunk, n in _examples(x, cc.rows):
        feed = {p.name: chunk[:, p.offset : p.offset + p.features]
                .reshape(model.tensor(p.name).shape) for p in cc.input_parts}
        try:
            trace = compiled.execute(feed)
        except QuantOverflowError as exc:
            raise ModelError(f"the integer executor rejects this input: {exc}") from exc
        parts = [trace.tensors[model.outputs[p.name]].reshape(cc.rows, -1)[:n]
                 << np.int64(f_out - p.frac_bits) for p in cc.output_parts]
        rows.append(np.concatenate(parts, axis=1))
    return np.concatenate(rows, axis=0).astype(np.int64)


def _examples(x: np.ndarray, rows: int):
    """Runs of `rows` rows (the last one zero-padded, as the witness check pads it), each
    with its count of real rows."""
    for start in range(0, x.shape[0], rows):
        n = min(rows, x.shape[0] - start)
        chunk = np.zeros((rows, x.shape[1]), dtype=x.dtype)
        chunk[:n] = x[start : start + n]
        yield chunk, n


def _float_outputs(compiled: CompiledModel, path: Path, floats: np.ndarray
                   ) -> dict[str, np.ndarray]:
    """The ONNX model's outputs (onnxruntime) on the float rows, per output name, one
    row per statement row."""
    from zkml.onnx_import.loader import load_onnx, reference_model
    from zkml.quant.fidelity import run_onnxruntime

    src = compiled.source or {}
    loaded = load_onnx(path, src.get("input_shapes") or None, src.get("outputs") or None)
    if src.get("sha256") and loaded.sha256 != src["sha256"]:
        raise InputError(f"{path} is not the ONNX file this model was compiled from (its "
                         f"SHA-256 is {loaded.sha256[:16]}, the model's source "
                         f"{src.get('file')} has {str(src['sha256'])[:16]})")
    cc = compiled.require_circuit()
    shapes = compiled.input_shapes
    runs, counts = [], []
    for chunk, n in _examples(floats, cc.rows):
        runs.append({p.name: chunk[:, p.offset : p.offset + p.features].reshape(shapes[p.name])
                     for p in cc.input_parts})
        counts.append(n)
    names = [p.name for p in cc.output_parts]
    results = run_onnxruntime(reference_model(loaded), runs, names)
    return {name: np.concatenate([np.asarray(r[name]).reshape(cc.rows, -1)[:n]
                                  for r, n in zip(results, counts, strict=True)])
            for name in names}


def _differences(result: CheckResult, floats: dict[str, np.ndarray]
                 ) -> dict[str, OutputDifference]:
    """Quantized against float, per output (argmax agreement as the fidelity report
    counts it: exact match for an integer output, argmax over a row of several)."""
    quant = result.output_dict(dequantize=True)
    out = {}
    for name, f in floats.items():
        q = quant[name].astype(np.float64)
        ref = f.astype(np.float64).reshape(q.shape)
        diff = np.abs(q - ref)
        if np.issubdtype(f.dtype, np.integer):
            agreeing, compared = int(np.count_nonzero((q == ref).all(axis=1))), q.shape[0]
        elif q.shape[1] > 1:
            agreeing = int(np.count_nonzero(q.argmax(axis=1) == ref.argmax(axis=1)))
            compared = q.shape[0]
        else:
            agreeing, compared = 0, 0
        out[name] = OutputDifference(name, float(diff.max()), float(diff.mean()),
                                     float(np.abs(ref).max()), agreeing, compared)
    return out
