"""`zkml verify ARTIFACT`: check a proof artifact with the pure-Python verifier."""

from __future__ import annotations

import time

import click


@click.command("verify")
@click.argument("artifact", type=click.Path(dir_okay=False))
@click.option("--quiet", is_flag=True, help="Print nothing; the exit code tells.")
def verify(artifact: str, quiet: bool) -> None:
    """Verify ARTIFACT; exit 0 only when it is valid."""
    from zkml.fileio import read_bytes
    from zkml.verifier import BatchOpeningStatement, ProductSumcheckStatement, verify_artifact

    data = read_bytes(artifact, "artifact")
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
