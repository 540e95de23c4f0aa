"""`zkml demo`: the same run as `make demo`."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--out", default="demo-out", show_default=True, help="Directory for the artifacts.")
def demo(out: str) -> None:
    """Compile, prove and verify the bundled example model (artifacts/), end to end."""
    from pathlib import Path

    from zkml.demo import run

    code = run(Path(out))
    if code:
        raise click.exceptions.Exit(code)
