"""What `zkml prove --dry-run` prints (text or JSON, schema zkml/check) and the JSON
object of `zkml prove --json` (schema zkml/prove); README, "Machine-readable output"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zkml.cli.jsonout import (
    clipping_object,
    document,
    emit,
    parts_object,
    statement,
)

__all__ = ["dry_run", "emit_proof", "output_lines"]


def output_lines(result: Any, label: str) -> list[str]:
    """The outputs of a ProofResult or CheckResult as `zkml prove` prints them: one list,
    or each output by name when there are several."""
    from zkml.cli.prove_cmd import format_outputs

    if len(result.output_parts) < 2:
        return ["output:", *format_outputs(result.outputs_float.tolist(),
                                           result.predictions.tolist(), label, result.argmax)]
    lines = []
    named = result.output_dict(dequantize=True)
    for part in result.output_parts:
        values = named[part.name]
        lines.append(f"output {part.name!r} ({part.features} per {label}):")
        lines += format_outputs(values.tolist(), values.argmax(axis=1).tolist(), label)
    return lines


def _statement(result: Any, input_frac_bits: int, input_digest: bytes, output_digest: bytes,
               vk_digest: bytes) -> dict[str, Any]:
    """The statement of a ProofResult or CheckResult (`jsonout.statement`)."""
    return statement(vk_digest=vk_digest, batch=result.batch, inputs=result.inputs.tolist(),
                     input_frac_bits=input_frac_bits, input_digest=input_digest,
                     outputs=result.outputs.tolist(),
                     output_frac_bits=result.output_frac_bits, output_digest=output_digest,
                     argmax=result.argmax, predictions=result.predictions.tolist(),
                     parts=parts_object(result.output_parts),
                     hiding=bool(getattr(result, "hiding", False)))


def emit_proof(model: Any, result: Any, out: Path, timings: dict[str, float]) -> None:
    """The JSON object of a proof just written to `out` (schema zkml/prove)."""
    from zkml.cli.visibility_opts import apply_visibility
    from zkml.statement import statement_digests

    digests = statement_digests(model.circuit, result.batch, result.inputs.tolist(),
                                result.outputs.tolist())
    opening, out_opening = result.input_opening, result.output_opening
    stmt = apply_visibility(_statement(result, model.circuit.input_frac_bits, *digests,
                                       model.vk_digest), result.visibility,
                            opening.digest if opening else b"",
                            out_opening.digest if out_opening else b"")
    emit(document("prove", **stmt,
                  clipping=clipping_object(result.clipping), proof_path=str(out),
                  sizes={"proof": len(result.proof)}, timings=timings))


def dry_run(compiled: Path, inputs: Any, onnx: Path | None, quiet: bool,
            json_out: bool, *, strict: bool = False) -> None:
    """Check the inputs on the compiled model (`zkml.check`) and print the report; exit
    non-zero (ProverError) when the witness cannot be built, as `prove` would fail, and
    with `strict` (InputError) when an input value would be clipped."""
    from zkml.api import load
    from zkml.dry_run import check
    from zkml.progress import Progress

    progress = Progress(quiet=quiet, command="prove --dry-run")
    with progress.stage("load"):
        model = load(compiled)
    with progress.stage("check"):
        result = check(model, inputs, strict=strict, onnx_path=onnx)
    if json_out:
        emit(_check_document(result))
    elif not quiet:
        rows = model.input_shape[0]
        click.echo("\n".join(_check_lines(result, "example" if rows == 1 else "row")))
    if not result.witness_ok:
        from zkml.errors import ProverError

        exc = ProverError(f"the dry run could not build the witness: {result.witness_error}")
        exc.json_reported = True  # the report above already says so
        raise exc


def _check_document(result: Any) -> dict[str, Any]:
    """The dry run's JSON object (schema zkml/check)."""
    floats = None
    if result.differences is not None:
        floats = {"onnx": result.onnx_path, "outputs": {
            name: {"values": result.float_outputs[name].tolist(),
                   "max_abs_diff": d.max_abs_diff, "mean_abs_diff": d.mean_abs_diff,
                   "max_abs_float": d.max_abs_float, "agreeing": d.agreeing,
                   "compared": d.compared}
            for name, d in result.differences.items()}}
    return document("check", **_statement(result, result.input_frac_bits, result.input_digest,
                                          result.output_digest, result.vk_digest),
                    clipping=clipping_object(result.clipping),
                    witness={"ok": result.witness_ok, "error": result.witness_error},
                    float=floats, timings=result.timings)


def _check_lines(result: Any, label: str) -> list[str]:
    from zkml.cli.prove_cmd import statement_line

    t = result.timings
    lines = [f"dry run: checked {result.batch} {label}(s) in "
             f"{sum(t.values()):.2f} s; no proof made, no file written",
             statement_line(result.vk_digest, result.input_digest, result.output_digest)
             + f" (what a {'hiding' if result.hiding else 'non-hiding'} proof would state)"]
    if result.witness_ok:
        lines.append("witness: ok (every committed value fits its width and every gadget "
                     "equals the integer executor)")
    else:
        lines.append(f"witness: FAILS, zkml prove would fail: {result.witness_error}")
    notes = result.clipping.lines() + result.clipping.notes()
    lines += [f"note: {n}" for n in notes] or ["input: no value clipped"]
    lines += output_lines(result, label)
    if result.differences is None:
        lines.append("float model: not compared (pass --onnx MODEL.onnx, the file the model "
                     "was compiled from)")
        return lines
    lines.append(f"float model (onnxruntime, {result.onnx_path}) against the quantized:")
    for name, d in result.differences.items():
        agree = "" if d.agreement is None else \
            f", argmax agree {d.agreeing}/{d.compared}"
        lines.append(f"  {name}: max abs diff {d.max_abs_diff:.4g}, mean {d.mean_abs_diff:.4g} "
                     f"(largest float magnitude {d.max_abs_float:.4g}){agree}")
    return lines
