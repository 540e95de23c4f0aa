"""`zkml compile`: quantize an ONNX model, print its fidelity report, write the compiled file."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from zkml.quant.precision import DEFAULT_PRECISION, PRESETS


def _parse_dims(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        dims = ()
    if not dims or min(dims) <= 0:
        raise click.BadParameter(
            f"{text!r} is not a shape like 1,3,28,28", param_hint="--input-shape"
        )
    return dims


def _parse_shapes(values: tuple[str, ...]) -> tuple[int, ...] | dict[str, tuple[int, ...]] | None:
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return _parse_dims(values[0])
    shapes = {}
    for v in values:
        name, sep, dims = v.partition("=")
        if not sep or not name:
            raise click.BadParameter(
                f"{v!r}: with several inputs write NAME=DIMS", param_hint="--input-shape"
            )
        shapes[name.strip()] = _parse_dims(dims)
    return shapes


@click.command("compile")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--calibration", type=click.Path(dir_okay=False, path_type=Path),
              help="Sample inputs: .npy (one input) or .npz/.json (input name -> array). "
                   "Without it, inputs are assumed uniform in [-1, 1] (with a warning).")
@click.option("--outputs", metavar="NAME,...",
              help="Comma-separated output names to keep (default: all numeric).")
@click.option("--input-shape", "input_shape", multiple=True, metavar="[NAME=]DIMS",
              help="Shape for inputs with dynamic dimensions, e.g. 1,3,28,28 (repeat as "
                   "NAME=DIMS for several inputs).")
@click.option("--precision", type=click.Choice(list(PRESETS)), default=DEFAULT_PRECISION,
              show_default=True,
              help="small: 8-bit activations and tables; balanced: 16-bit activations, "
                   "12-bit weights and tables; high: 24-bit activations, 16-bit weights "
                   "and tables.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Compiled file to write (default: MODEL with suffix .zkml).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def compile_cmd(model: Path, calibration: Path | None, outputs: str | None,
                input_shape: tuple[str, ...], precision: str, output: Path | None,
                quiet: bool) -> None:
    """Quantize MODEL.onnx, print the float-vs-quantized fidelity report, and write the
    compiled model."""
    from zkml.compile_api import compile_model, default_output_path
    from zkml.progress import Progress
    from zkml.quant.fidelity import format_report

    out = output or default_output_path(model)
    names = [n.strip() for n in outputs.split(",") if n.strip()] if outputs else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = compile_model(
            model,
            calibration=calibration,
            outputs=names,
            input_shape=_parse_shapes(input_shape),
            precision=precision,
            output_path=out,
            progress=Progress(quiet=quiet),
        )
    if quiet:
        return
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    click.echo(format_report(compiled.fidelity))
    s = compiled.model.summary()
    p = compiled.model.precision
    click.echo(
        f"wrote {out}: {len(compiled.model.ops)} ops, {s['weights']} weights, "
        f"{len(s['tables'])} tables; precision {p['name']} (activations {p['activation_bits']} "
        f"bits, weights {p['weight_bits']} bits, tables {p['table_bits']} bits)"
    )
