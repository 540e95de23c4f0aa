"""`zkml compile`: quantize an ONNX model, compile its circuit, commit to its weights; print
the fidelity report; write the compiled model (MODEL.zkmlc) and the verifying key (MODEL.vk)."""

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
              help="Compiled model to write (default: MODEL with suffix .zkmlc).")
@click.option("--vk", "vk_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Verifying key to write (default: MODEL with suffix .vk).")
@click.option("--force", is_flag=True,
              help="Overwrite existing output files (never an input). The compiled model and "
                   "the key are written together or not at all; missing directories are "
                   "created.")
@click.option("--hiding/--non-hiding", "hiding", default=True,
              help="Hiding is the default (--hiding is accepted and changes nothing): the "
                   "key is a hiding key (kind 6), the weights' commitment is blinded with "
                   "blinders kept in the compiled model (secret, written 0600), and `zkml "
                   "prove` makes zero-knowledge proofs (kind 5) that reveal nothing about "
                   "the weights or activations. --non-hiding builds the non-hiding key "
                   "(kind 4) for benchmarks: its proofs (kind 3) reveal linear combinations "
                   "of the weights.")
@click.option("--unlearnable", multiple=True, metavar="WEIGHT",
              help="A weight (initializer name) that `zkml unlearn apply` may update later: "
                   "its format keeps one bit of headroom so the update fits the same "
                   "circuit (repeat for several).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def compile_cmd(model: Path, calibration: Path | None, outputs: str | None,
                input_shape: tuple[str, ...], precision: str, output: Path | None,
                vk_out: Path | None, force: bool, hiding: bool, unlearnable: tuple[str, ...],
                quiet: bool) -> None:
    """Quantize MODEL.onnx, compile it into a proof circuit and commit to its weights.

    Prints the float-vs-quantized fidelity report and writes the compiled model (for
    `zkml prove`; it holds the weights and the blinders: keep it secret, it is written
    0600) and the verifying key (for `zkml verify --vk`; it holds no weights). Proofs are
    zero-knowledge (hiding) unless --non-hiding is given.
    A model with an op that cannot be proven yet is refused with an error naming it.
    """
    from zkml.api import COMPILED_SUFFIX, VK_SUFFIX
    from zkml.api import compile as compile_api
    from zkml.progress import Progress
    from zkml.quant.fidelity import format_report

    out = output or model.with_suffix(COMPILED_SUFFIX)
    vk_path = vk_out or model.with_suffix(VK_SUFFIX)
    names = [n.strip() for n in outputs.split(",") if n.strip()] if outputs else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = compile_api(
            model,
            calibration=calibration,
            outputs=names,
            input_shape=_parse_shapes(input_shape),
            precision=precision,
            output_path=out,
            vk_path=vk_path,
            overwrite=force,
            hiding=hiding,
            progress=Progress(quiet=quiet, command="compile"),
            unlearnable=unlearnable,
        )
    if quiet:
        return
    # The report prints its flags (calibration outliers, LARGE ERROR) beside the table;
    # the same warnings are not repeated on stderr.
    flagged = {f.get("message") for f in compiled.fidelity.get("flags", [])}
    for w in caught:
        if str(w.message) not in flagged:
            click.echo(f"warning: {w.message}", err=True)
    click.echo(format_report(compiled.fidelity))
    s = compiled.model.summary()
    p = compiled.model.precision
    c = compiled.circuit
    ms = c.model_stack
    click.echo(
        f"precision {p['name']} (activations {p['activation_bits']} bits, weights "
        f"{p['weight_bits']} bits); {len(compiled.model.ops)} ops, {s['weights']} weights"
    )
    click.echo(
        f"circuit: {len(c.gadgets)} gadgets, input {c.input_features} -> output "
        f"{c.output_features} features, {len(c.columns())} witness columns per proof; "
        f"model stack 2^{ms.num_vars} entries committed ({len(compiled.commitment)} bytes)"
    )
    click.echo(prove_memory_line(c))
    cc = compiled.require_circuit()
    for what, parts in (("inputs", cc.inputs), ("outputs", cc.outputs)):
        if parts:  # several: side by side in the statement's row
            click.echo(f"{what} (side by side per row): " + ", ".join(
                f"{p.name} [{p.offset}:{p.offset + p.features}] scale 2^-{p.frac_bits}"
                for p in parts))
    key = "hiding verifying key" if compiled.hiding else "verifying key"
    click.echo(f"wrote {out} (compiled model) and {vk_path} ({key}, "
               f"{len(compiled.verifying_key)} bytes, digest {compiled.vk_digest.hex()[:16]})")


def prove_memory_line(circuit) -> str:
    """`zkml compile`'s line on what proving will need (zkml.prove_memory) against the
    memory available now (`zkml prove` refuses a proof that does not fit)."""
    from zkml.prove_memory import available_bytes, estimate_prove_bytes, format_bytes

    need = estimate_prove_bytes(circuit, 1)
    have = available_bytes()
    line = f"estimated prove memory: {format_bytes(need)} for one example"
    if have is not None:
        fits = "fits" if need <= have else "does NOT fit: zkml prove will refuse it"
        line += f" ({format_bytes(have)} available now: {fits})"
    return line
