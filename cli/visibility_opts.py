"""Per-tensor visibility on the command line (zkml.visibility; circuits/zk_inference.md
1.3): the options of `zkml prove` and what `prove` / `verify` show of a statement whose
input is not public.

`--input` already names the input file, so the input's visibility is
`--input-visibility public|private|committed` and the output's
`--output-visibility public|committed`. A private input is shown by no digest and no
values (a digest of a low-entropy input would give it away); committed choices are
refused until they are built (InputError, as the API refuses them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from zkml.visibility import INPUT_CHOICES, OUTPUT_CHOICES

__all__ = ["visibility_options", "apply_visibility", "input_shown"]


def visibility_options(func: Callable) -> Callable:
    """Add `--input-visibility` and `--output-visibility` to a click command (keyword
    arguments `input_visibility`, `output_visibility`)."""
    func = click.option(
        "--output-visibility", "output_visibility", type=click.Choice(OUTPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the output (committed: not built yet).")(func)
    return click.option(
        "--input-visibility", "input_visibility", type=click.Choice(INPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the input: public (its values are the statement) "
             "or, for a model compiled with --hiding, private (the proof binds the input "
             "without carrying it; committed: not built yet).")(func)


def apply_visibility(statement: dict[str, Any], visibility: Any) -> dict[str, Any]:
    """`statement` (`jsonout.statement`) with its `visibility` object set from a
    `zkml.visibility.Visibility`, and a private input's digest and values null."""
    statement["visibility"] = visibility.to_json()
    if visibility.input_private:
        statement["input"].update(digest=None, values=None)
    return statement


def input_shown(digest: bytes) -> str:
    """How the statement line shows the input: its digest, or `private` (no digest)."""
    from zkml.statement import short_digest

    return short_digest(digest) if digest else "private (not in the proof)"
