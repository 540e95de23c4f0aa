"""`zkml verify PROOF [--model COMPILED | --vk VK] [--input FILE] [--input-digest HEX]`:
check a proof with the pure-Python verifier; exit 0 only when it is valid.

Inference proofs (kind 5, hiding, the default; kind 3 from a model compiled with
--non-hiding) need the model's verifying key, from a .vk file or from the compiled model
(only its key and input shapes are read: never the weights or blinders); the foundation's
artifacts (kinds 1 and 2) carry
their whole statement. A valid inference proof is about its own input: the command
prints the statement's digests (key, input, output) and, with `--input` or
`--input-digest`, exits 1 unless the proof is about that input (zkml.statement).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import click

from zkml.cli.jsonout import json_errors_of

_KIND_INFERENCE = 3
#: hiding inference proofs (circuits/zk_inference.md), verified like kind 3
_KIND_HIDING_INFERENCE = 5
_INFERENCE_KINDS = (_KIND_INFERENCE, _KIND_HIDING_INFERENCE)
#: Seconds after which a stage of `zkml verify` (the key check, the proof) gets a line on
#: stderr: a big batch shows its progress, a quick verification prints nothing there.
SLOW_STAGE = 1.0
_KIND_VERIFYING_KEY = 4
#: hiding verifying keys (circuits/zk_inference.md 4)
_KEY_KINDS = (_KIND_VERIFYING_KEY, 6)


def _kind(data: bytes) -> int | None:
    return data[6] if len(data) >= 7 and data[:4] == b"ZKML" else None


def _digest_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from zkml.errors import InputError
    from zkml.statement import parse_digest_prefix

    try:
        return parse_digest_prefix(value)
    except InputError as exc:
        raise click.BadParameter(exc.detail) from None


@click.command("verify")
@click.argument("artifact", type=click.Path(dir_okay=False))
@click.option("--model", "model", type=click.Path(dir_okay=False),
              help="Compiled model whose verifying key checks the proof: only the key "
                   "(and, with --input, the inputs' names and shapes) is read from it, "
                   "never the weights or blinders. The prover's file: a verifier "
                   "normally has the .vk.")
@click.option("--vk", "vk", type=click.Path(dir_okay=False),
              help="Verifying key (.vk) that checks the proof.")
@click.option("--input", "input_file", type=click.Path(dir_okay=False),
              help="The input the proof must be about, in the formats of `zkml prove "
                   "--input` (EZKL-style JSON, .npy, .npz), quantized as the prover does; "
                   "with several model inputs, use --model (for their names and shapes).")
@click.option("--input-digest", "input_digest", callback=_digest_option,
              help="The input digest the proof must state (at least the 16 hex digits "
                   "`zkml prove` prints).")
@click.option("--strict", is_flag=True,
              help="Refuse an --input file with values outside the range the input's "
                   "fixed-point format represents (without it they are clipped as the "
                   "prover clips them, with a warning).")
@click.option("--quiet", is_flag=True, help="Print nothing; the exit code tells.")
@click.option("--json", "json_out", is_flag=True,
              help="Print one JSON object on stdout (schema zkml/verify; README, "
                   "\"Machine-readable output\"), also when the proof is rejected.")
@json_errors_of("verify", valid=False)
def verify(artifact: str, model: str | None, vk: str | None, input_file: str | None,
           input_digest: str | None, quiet: bool, json_out: bool = False,
           strict: bool = False) -> None:
    """Verify ARTIFACT; exit 0 only when it is valid. An inference proof needs --vk VK or
    --model COMPILED; the statement's digests and the verified output are printed. With
    --input FILE or --input-digest HEX, a valid proof about any other input is rejected.
    With --json, one JSON object on stdout instead (a rejection: "valid": false and the
    error; the exit code is the same)."""
    from zkml.errors import ProofFormatError
    from zkml.fileio import read_proof

    data = read_proof(artifact)
    kind = _kind(data)
    if kind in _KEY_KINDS:  # the proof's own bytes are at fault: exit 1
        raise ProofFormatError(f"{artifact} is a verifying key, not a proof")
    if kind in _INFERENCE_KINDS or model or vk:
        if kind is not None and kind not in _INFERENCE_KINDS:
            raise ProofFormatError(f"{artifact} is not an inference proof (artifact kind "
                                   f"{kind}); verify it without --model/--vk")
        _verify_inference(data, model, vk, _Expected(input_file, input_digest, strict),
                          _Output(quiet, json_out))
    elif input_file or input_digest:
        raise click.UsageError("--input and --input-digest apply to inference proofs (with "
                               "--vk or --model)")
    else:
        _verify_foundation(data, _Output(quiet, json_out))


@dataclass(frozen=True)
class _Expected:
    """What the user requires the proof to be about (both optional); `strict` refuses an
    input file with values that quantizing clips."""

    input_file: str | None
    digest: str | None
    strict: bool = False


@dataclass(frozen=True)
class _Output:
    """How the result is shown: nothing (`quiet`), one JSON object (`json`, which wins
    over `quiet`), or text lines."""

    quiet: bool
    json: bool = False


def _verifier(model: str | None, vk: str | None, with_shapes: bool):
    """The Verifier of --vk or --model. From a compiled model it reads only the verifying
    key and, for an expected input, the inputs' names and shapes (as `zkml prove` reads
    the input): never the weights or the blinders, which stay the prover's secret."""
    from zkml.api import Verifier
    from zkml.errors import InvalidKeyError
    from zkml.fileio import read_verifying_key

    if bool(model) == bool(vk):
        raise click.UsageError("an inference proof needs exactly one of --vk VK or --model "
                               "COMPILED")
    if vk:
        key = read_verifying_key(vk)
        if _kind(key) not in _KEY_KINDS:
            raise InvalidKeyError(f"{vk} is not a zkml verifying key (artifact kind "
                                  f"{_kind(key)})")
        return Verifier(key)
    from zkml.artifacts import read_compiled_public, read_compiled_vk

    if with_shapes:
        key, shapes = read_compiled_public(model)
        return Verifier(key, input_shapes=shapes)
    return Verifier(read_compiled_vk(model))


def _verify_inference(data: bytes, model: str | None, vk: str | None, expected: _Expected,
                      show: _Output) -> None:
    from zkml.progress import Progress

    # stage lines on stderr only for slow stages (a big batch), never with --quiet
    progress = Progress(quiet=show.quiet, command="verify", min_seconds=SLOW_STAGE)
    start = time.perf_counter()
    with progress.stage("key"):
        verifier = _verifier(model, vk, expected.input_file is not None)
    key_time = time.perf_counter() - start
    quantized = None
    if expected.input_file is not None:
        from zkml.inputs import load_input_file

        # The expected input is read and quantized before the (longer) verification.
        quantized = verifier.quantize_input(load_input_file(expected.input_file),
                                            strict=expected.strict)
        if not show.quiet:  # stderr, so that --json's stdout stays one object
            for line in quantized.clipping.lines():
                click.echo(f"warning: {line}", err=True)
    start = time.perf_counter()
    with progress.stage("proof"):
        result = verifier.verify(data, expected_input=quantized,
                                 expected_input_digest=expected.digest)
    elapsed = time.perf_counter() - start
    if show.json:
        _emit_inference(result, len(data), expected, quantized,
                        {"key": key_time, "verify": elapsed})
        return
    if show.quiet:
        return
    from zkml.cli.prove_cmd import format_outputs, statement_line

    what = "hiding inference proof" if getattr(result.statement, "hiding", False) else \
        "inference proof"
    click.echo(f"valid {what} ({len(data)} bytes, {elapsed:.3f} s): batch {result.batch}")
    click.echo(statement_line(result.vk_digest, result.input_digest, result.output_digest,
                              result.input_commitment_digest,
                              result.output_commitment_digest))
    click.echo(_input_check_line(expected, quantized))
    if result.visibility.output_committed:  # zk_inference.md 1.6: C_Y, no values
        click.echo("verified output: committed (its opening's owner has the values)")
        return
    click.echo("verified output:")
    for line in format_outputs(result.outputs_float, result.predictions,
                               argmax=result.argmax):
        click.echo(line)


def _emit_inference(result, size: int, expected: _Expected, quantized,
                    timings: dict[str, float]) -> None:
    """The JSON object of a valid inference proof (schema zkml/verify)."""
    from zkml.cli.jsonout import clipping_object, document, emit, statement

    check = None
    if expected.input_file is not None or expected.digest is not None:
        check = {"matched": True, "file": expected.input_file, "digest": expected.digest,
                 "rows": None if quantized is None else quantized.batch,
                 "clipping": None if quantized is None else clipping_object(quantized.clipping)}
    # The key does not name the outputs (parts: null); `zkml prove --json` does.
    from zkml.cli.visibility_opts import apply_visibility

    stmt = apply_visibility(statement(
        vk_digest=result.vk_digest, batch=result.batch, inputs=result.inputs,
        input_frac_bits=result.input_frac_bits, input_digest=result.input_digest,
        outputs=result.outputs, output_frac_bits=result.output_frac_bits,
        output_digest=result.output_digest, argmax=result.argmax,
        predictions=result.predictions, parts=None, hiding=result.hiding), result.visibility,
        result.input_commitment_digest, result.output_commitment_digest)
    emit(document("verify", valid=True, **stmt,
                  input_check=check, sizes={"proof": size}, timings=timings))


def _input_check_line(expected: _Expected, quantized) -> str:
    """Which input the proof was checked against (the proof is about its own input)."""
    if expected.input_file is None and expected.digest is None:
        return ("input: not checked (pass --input FILE or --input-digest HEX to require the "
                "proof to be about your input)")
    checked = []
    if expected.input_file is not None:
        clipped = quantized.clipping.count
        # the proof matches the input as the prover clipped it (warned on stderr)
        note = f", {clipped} value(s) clipped as the prover clips them" if clipped else ""
        checked.append(f"{expected.input_file} ({quantized.batch} rows{note})")
    if expected.digest is not None:
        checked.append(f"digest {expected.digest[:16]}")
    return "input: matches " + " and ".join(checked)


def _verify_foundation(data: bytes, show: _Output) -> None:
    from zkml.verifier import BatchOpeningStatement, ProductSumcheckStatement, verify_artifact

    start = time.perf_counter()
    statement = verify_artifact(data)
    elapsed = time.perf_counter() - start
    if show.json:
        from zkml.cli.jsonout import document, emit

        emit(document("verify", valid=True, kind=statement.kind_name,
                      statement=_foundation_statement(statement),
                      sizes={"proof": len(data)}, timings={"verify": elapsed}))
        return
    if show.quiet:
        return
    click.echo(f"valid {statement.kind_name} artifact ({len(data)} bytes, {elapsed:.3f} s)")
    if isinstance(statement, ProductSumcheckStatement):
        click.echo(
            f"  sum_x f(x) g(x) = {statement.claimed_sum} over 2^{statement.num_vars} entries"
        )
    elif isinstance(statement, BatchOpeningStatement):
        for i, s in enumerate(statement.stacks):
            click.echo(f"  stack {i}: 2^{s.num_vars} entries, {len(s.claims)} claims opened")


def _foundation_statement(statement) -> dict:
    """What a kind-1 or kind-2 artifact proves, as JSON (large integers as strings)."""
    from zkml.verifier import ProductSumcheckStatement

    if isinstance(statement, ProductSumcheckStatement):
        return {"num_vars": statement.num_vars, "claimed_sum": str(statement.claimed_sum)}
    return {"stacks": [{"num_vars": s.num_vars, "claims": len(s.claims)}
                       for s in statement.stacks]}
