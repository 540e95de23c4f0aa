"""`zkml prove COMPILED --input FILE`: prove the model's output on the inputs, print it
with the statement's digests (what `zkml verify --input-digest` checks)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import click

_MAX_ROWS_SHOWN = 20
_MAX_VALUES_SHOWN = 10


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


def statement_line(vk_digest: bytes, input_digest: bytes, output_digest: bytes) -> str:
    """The statement's digests (first 16 hex digits each), as prove and verify print them:
    a verifier's user compares them with what the prover's user reports."""
    from zkml.statement import short_digest

    return (f"statement: verifying key {short_digest(vk_digest)}, input "
            f"{short_digest(input_digest)}, output {short_digest(output_digest)}")


@click.command("prove")
@click.argument("compiled", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--input", "input_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help='Inputs: EZKL-style JSON {"input_data": [[...], ...]} (one flat list per '
                   "example; with several model inputs, one list per input, in order), .npy "
                   "(one example or a batch) or .npz (input name -> array).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Proof file to write (default: COMPILED with suffix .proof).")
@click.option("--force", is_flag=True, help="Overwrite an existing proof file.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def prove(compiled: Path, input_file: Path, output: Path | None, force: bool,
          quiet: bool) -> None:
    """Prove that the compiled model maps the inputs to its output; write the proof and
    print the proven output (dequantized) with the argmax of each example."""
    from zkml.api import PROOF_SUFFIX, load
    from zkml.api import prove as prove_api
    from zkml.fileio import OutputExistsError, write_atomic
    from zkml.inputs import load_input_file
    from zkml.progress import Progress
    from zkml.statement import InputLayout, quantize_input, statement_digests

    start = time.perf_counter()
    # Bad inputs are reported before anything else; an existing output before any work.
    inputs = load_input_file(input_file)
    out = output or compiled.with_suffix(PROOF_SUFFIX)
    if out.exists() and not force:
        raise OutputExistsError(f"{out} exists; choose another output path or pass --force")
    progress = Progress(quiet=quiet)
    with progress.stage("load"):
        model = load(compiled)
    result = prove_api(model, inputs, progress=progress)
    write_atomic(out, result.proof, overwrite=force)
    if quiet:
        return
    rows = model.input_shape[0]
    label = "example" if rows == 1 else "row"
    click.echo(f"proved {result.batch} {label}(s) in {time.perf_counter() - start:.2f} s "
               f"(prover {result.timings['prove']:.3f} s); wrote {out} "
               f"({len(result.proof)} bytes)")
    digests = statement_digests(model.circuit, result.batch, result.inputs, result.outputs)
    click.echo(statement_line(model.vk_digest, *digests))
    # The same quantization `zkml verify --input` applies, so both report the same clipping.
    clipping = quantize_input(inputs, InputLayout.of(model.circuit, model.input_shapes)).clipping
    if clipping.count:
        click.echo(f"note: {clipping.describe()}")
    if len(result.output_parts) < 2:
        click.echo("output:")
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
