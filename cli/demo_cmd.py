"""`zkml demo`: the same run as `make demo`."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--out", default="demo-out", show_default=True, help="Directory for the artifacts.")
@click.option("--quiet", is_flag=True,
              help="No stage lines on stderr (the demo's own report is printed).")
def demo(out: str, quiet: bool) -> None:
    """Compile, prove and verify the bundled example model (artifacts/), end to end."""
    from pathlib import Path

    from zkml.demo import run

    code = run(Path(out), quiet=quiet)
    if code:
        raise click.exceptions.Exit(code)
