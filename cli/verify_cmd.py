"""`zkml verify PROOF [--model COMPILED | --vk VK]`: check a proof with the pure-Python
verifier; exit 0 only when it is valid.

Inference proofs (kind 3) need the model's verifying key, from a .vk file or from the
compiled model; the foundation's artifacts (kinds 1 and 2) carry their whole statement.
"""

from __future__ import annotations

import time

import click

_KIND_INFERENCE = 3
_KIND_VERIFYING_KEY = 4


def _kind(data: bytes) -> int | None:
    return data[6] if len(data) >= 7 and data[:4] == b"ZKML" else None


@click.command("verify")
@click.argument("artifact", type=click.Path(dir_okay=False))
@click.option("--model", "model", type=click.Path(dir_okay=False),
              help="Compiled model whose verifying key checks the proof.")
@click.option("--vk", "vk", type=click.Path(dir_okay=False),
              help="Verifying key (.vk) that checks the proof.")
@click.option("--quiet", is_flag=True, help="Print nothing; the exit code tells.")
def verify(artifact: str, model: str | None, vk: str | None, quiet: bool) -> None:
    """Verify ARTIFACT; exit 0 only when it is valid. An inference proof needs --vk VK or
    --model COMPILED; the verified output is printed."""
    from zkml.errors import ZkmlError
    from zkml.fileio import read_bytes

    data = read_bytes(artifact, "proof")
    kind = _kind(data)
    if kind == _KIND_VERIFYING_KEY:
        raise ZkmlError(f"{artifact} is a verifying key, not a proof")
    if kind == _KIND_INFERENCE or model or vk:
        if kind is not None and kind != _KIND_INFERENCE:
            raise ZkmlError(f"{artifact} is not an inference proof (artifact kind {kind}); "
                            "verify it without --model/--vk")
        _verify_inference(artifact, data, model, vk, quiet)
    else:
        _verify_foundation(data, quiet)


def _verify_inference(artifact: str, data: bytes, model: str | None, vk: str | None,
                      quiet: bool) -> None:
    from zkml.api import Verifier
    from zkml.errors import ZkmlError
    from zkml.fileio import read_bytes

    if bool(model) == bool(vk):
        raise ZkmlError("an inference proof needs exactly one of --vk VK or --model COMPILED")
    if vk:
        key = read_bytes(vk, "verifying key")
        if _kind(key) != _KIND_VERIFYING_KEY:
            raise ZkmlError(f"{vk} is not a zkml verifying key")
    else:
        from zkml.artifacts import read_compiled_vk

        key = read_compiled_vk(model)
    start = time.perf_counter()
    result = Verifier(key).verify(data)
    elapsed = time.perf_counter() - start
    if quiet:
        return
    from zkml.cli.prove_cmd import format_outputs

    click.echo(f"valid inference proof ({len(data)} bytes, {elapsed:.3f} s): batch "
               f"{result.batch}, verifying key {result.vk_digest.hex()[:16]}")
    click.echo("verified output:")
    for line in format_outputs(result.outputs_float, result.predictions,
                               argmax=result.argmax):
        click.echo(line)


def _verify_foundation(data: bytes, quiet: bool) -> None:
    from zkml.verifier import BatchOpeningStatement, ProductSumcheckStatement, verify_artifact

    start = time.perf_counter()
    statement = verify_artifact(data)
    elapsed = time.perf_counter() - start
    if quiet:
        return
    click.echo(f"valid {statement.kind_name} artifact ({len(data)} bytes, {elapsed:.3f} s)")
    if isinstance(statement, ProductSumcheckStatement):
        click.echo(
            f"  sum_x f(x) g(x) = {statement.claimed_sum} over 2^{statement.num_vars} entries"
        )
    elif isinstance(statement, BatchOpeningStatement):
        for i, s in enumerate(statement.stacks):
            click.echo(f"  stack {i}: 2^{s.num_vars} entries, {len(s.claims)} claims opened")
