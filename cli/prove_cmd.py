"""`zkml prove COMPILED --input FILE`: prove the model's output on the inputs, print it
with the statement's digests (what `zkml verify --input-digest` checks)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from zkml.cli.jsonout import json_errors_of
from zkml.cli.visibility_opts import opening_paths, save_opening, visibility_options

_MAX_ROWS_SHOWN = 20
_MAX_VALUES_SHOWN = 10
#: Free space the preflight asks for a proof: generous (the digits MLP's proof is 36 KB;
#: the real size is known, and a short disk still refused cleanly, when it is written).
_PROOF_SPACE = 1 << 20


def format_outputs(values: Sequence[Sequence[float]], predictions: Sequence[int],
                   label: str = "example", argmax: bool = False) -> list[str]:
    """One line per row: the dequantized outputs and their argmax (long rows elided);
    with an ArgMax output only the proven class."""
    lines = []
    for i, (row, pred) in enumerate(zip(values, predictions, strict=True)):
        if i == _MAX_ROWS_SHOWN:
            lines.append(f"  ... ({len(values) - i} more)")
            break
        if argmax:
            lines.append(f"  {label} {i}: class {pred}")
            continue
        shown = ", ".join(f"{v:.4g}" for v in list(row)[:_MAX_VALUES_SHOWN])
        more = ", ..." if len(row) > _MAX_VALUES_SHOWN else ""
        lines.append(f"  {label} {i}: [{shown}{more}]  argmax {pred}")
    return lines


def statement_line(vk_digest: bytes, input_digest: bytes, output_digest: bytes,
                   commitment: bytes = b"", output_commitment: bytes = b"") -> str:
    """The statement's digests (first 16 hex digits each), as prove and verify print them:
    a verifier's user compares them with what the prover's user reports; a committed
    input or output by its commitment's digest."""
    from zkml.cli.visibility_opts import input_shown, output_shown
    from zkml.statement import short_digest

    return (f"statement: verifying key {short_digest(vk_digest)}, input "
            f"{input_shown(input_digest, commitment)}, output "
            f"{output_shown(output_digest, output_commitment)}")


@contextmanager
def echo_warnings(show: bool = True) -> Iterator[None]:
    """Within the block, a ClippingWarning prints at once (before a long proof) as one
    `warning: ...` line on stderr, whatever the caller's warning filters; with `show`
    False it is silenced."""
    from zkml.errors import ClippingWarning

    def echo(message, category, filename, lineno, file=None, line=None) -> None:
        click.echo(f"warning: {message}", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always" if show else "ignore", ClippingWarning)
        warnings.showwarning = echo  # restored when the block ends
        yield


@click.command("prove")
@click.argument("compiled", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--input", "input_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help='Inputs: EZKL-style JSON {"input_data": [[...], ...]} (one flat list per '
                   "example; with several model inputs, one list per input, in order), .npy "
                   "(one example or a batch) or .npz (input name -> array).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Proof file to write (default: COMPILED with suffix .proof); "
                   "missing directories are created.")
@click.option("--force", is_flag=True, help="Overwrite an existing proof file (never an input).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--strict", is_flag=True,
              help="Refuse inputs with values outside the range the input's fixed-point "
                   "format represents, instead of clipping them with a warning.")
@click.option("--dry-run", "dry_run", is_flag=True,
              help="Prove nothing and write nothing: run the quantized model on the inputs "
                   "and print its outputs, what was clipped, whether the witness can be "
                   "built, and the statement a proof would state (zkml.check).")
@click.option("--onnx", "onnx", type=click.Path(dir_okay=False, path_type=Path),
              help="With --dry-run: the ONNX file the model was compiled from; its float "
                   "outputs on the same inputs are compared with the quantized ones.")
@click.option("--json", "json_out", is_flag=True,
              help="Print one JSON object on stdout (schema zkml/prove, with --dry-run "
                   "zkml/check; README, \"Machine-readable output\").")
@click.option("--ignore-memory", "ignore_memory", is_flag=True,
              help="Prove even when the estimated peak memory exceeds the memory available "
                   "(ZKML_PROVE_MEMORY, else the system's); without it such a proof is "
                   "refused before any work (exit 4).")
@visibility_options
@json_errors_of("prove")
def prove(compiled: Path, input_file: Path, output: Path | None, force: bool,
          quiet: bool, dry_run: bool = False, onnx: Path | None = None,
          json_out: bool = False, strict: bool = False, input_visibility: str = "public",
          output_visibility: str = "public", opening_out: Path | None = None,
          input_opening: Path | None = None, weights_visibility: str | None = None,
          output_opening_out: Path | None = None,
          ignore_memory: bool = False) -> None:
    """Prove that the compiled model maps the inputs to its output; write the proof and
    print the proven output (dequantized) with the argmax of each example. With
    --dry-run, only check the inputs on the quantized model (no proof, no file)."""
    from zkml.api import PROOF_SUFFIX, load
    from zkml.api import prove as prove_api
    from zkml.fileio import check_outputs, write_atomic
    from zkml.inputs import load_input_file
    from zkml.progress import Progress
    from zkml.statement import statement_digests

    start = time.perf_counter()
    if onnx is not None and not dry_run:
        raise click.UsageError("--onnx compares the float model in a dry run: add --dry-run")
    # Bad inputs are reported before anything else; an existing output before any work.
    inputs = load_input_file(input_file)
    if dry_run:
        from zkml.cli.prove_report import dry_run as run_dry

        run_dry(compiled, inputs, onnx, quiet, json_out, strict=strict)
        return
    out = output or compiled.with_suffix(PROOF_SUFFIX)
    # Before any work: an output that is an input (--force or not), exists without
    # --force, or cannot be written is refused, naming the path.
    sources = {compiled: "compiled model", input_file: "input file"}
    openings = opening_paths(input_visibility, opening_out, input_opening,
                             output_visibility, output_opening_out)
    if input_opening is not None:
        sources[input_opening] = "input opening"
    check_outputs({out: "proof"}, inputs=sources, overwrite=force, sizes={out: _PROOF_SPACE})
    if openings:  # an opening is secret and one of a kind: never replaced, even --force
        check_outputs(openings, inputs={**sources, out: "proof"}, overwrite=False)
    progress = Progress(quiet=quiet, command="prove")
    with progress.stage("load"):
        model = load(compiled)
    loaded = time.perf_counter() - start
    with echo_warnings(not quiet):
        result = prove_api(model, inputs, progress=progress, strict=strict,
                           input=input_visibility, output=output_visibility,
                           input_opening=input_opening, weights=weights_visibility,
                           output_opening=output_opening_out,
                           check_memory=not ignore_memory)
    with progress.stage("write"):
        save_opening(result, opening_out)
        write_atomic(out, result.proof, overwrite=force, inputs=sources, what="proof")
    if json_out:
        from zkml.cli.prove_report import emit_proof

        emit_proof(model, result, out,
                   {"load": loaded, **result.timings, "total": time.perf_counter() - start})
        return
    if quiet:
        return
    rows = model.input_shape[0]
    label = "example" if rows == 1 else "row"
    click.echo(f"proved {result.batch} {label}(s) in {time.perf_counter() - start:.2f} s "
               f"(prover {result.timings['prove']:.3f} s); wrote {out} "
               f"({'hiding' if result.hiding else 'non-hiding'} proof, "
               f"{len(result.proof)} bytes)")
    in_digest, out_digest = statement_digests(model.circuit, result.batch, result.inputs,
                                              result.outputs)
    in_shown = b"" if result.visibility.input_private else in_digest
    opening, out_opening = result.input_opening, result.output_opening
    click.echo(statement_line(model.vk_digest, in_shown, out_digest,
                              opening.digest if opening else b"",
                              out_opening.digest if out_opening else b""))
    # Clipped values were warned of as they were quantized; values beyond the calibrated
    # range but kept are worth a note (zkml.quant.clipping).
    for note in result.clipping.notes():
        click.echo(f"note: {note}", err=True)
    if len(result.output_parts) < 2:
        # a committed output is the owner's to see: the proof carries its commitment only
        click.echo("output (committed: not in the proof):" if out_opening else "output:")
        for line in format_outputs(result.outputs_float.tolist(), result.predictions.tolist(),
                                   label, result.argmax):
            click.echo(line)
        return
    # Several outputs: the proof states their concatenation; list each by name.
    named = result.output_dict(dequantize=True)
    for part in result.output_parts:
        values = named[part.name]
        click.echo(f"output {part.name!r} ({part.features} per {label}):")
        for line in format_outputs(values.tolist(), values.argmax(axis=1).tolist(), label):
            click.echo(line)
