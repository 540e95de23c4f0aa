"""`zkml demo`: the same run as `make demo`."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--out", default="demo-out", show_default=True, help="Directory for the artifacts.")
def demo(out: str) -> None:
    """Prove with the Rust prover and verify with the pure-Python verifier."""
    from pathlib import Path

    from zkml.demo import run

    code = run(Path(out))
    if code:
        raise click.exceptions.Exit(code)
