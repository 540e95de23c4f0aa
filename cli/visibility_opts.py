"""Per-tensor visibility on the command line (zkml.visibility; circuits/zk_inference.md
1.3): the options of `zkml prove` and what `prove` / `verify` show of a statement whose
input is not public.

`--input` already names the input file, so the input's visibility is
`--input-visibility public|private|committed` and the output's
`--output-visibility public|committed`. A private input is shown by no digest and no
values (a digest of a low-entropy input would give it away), a committed one by its
commitment's digest. A committed output is refused until it is built (InputError, as
the API refuses it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from zkml.visibility import INPUT_CHOICES, OUTPUT_CHOICES, WEIGHTS_CHOICES

__all__ = ["visibility_options", "apply_visibility", "input_shown", "opening_paths",
           "save_opening"]


def visibility_options(func: Callable) -> Callable:
    """Add `--input-visibility`, `--output-visibility`, `--opening-out`,
    `--input-opening` and `--weights-visibility` to a click command (keyword arguments
    `input_visibility`, `output_visibility`, `opening_out`, `input_opening`,
    `weights_visibility`)."""
    func = click.option(
        "--weights-visibility", "weights_visibility", type=click.Choice(WEIGHTS_CHOICES),
        default=None,
        help="What the proof says of the weights (default: the key's): public makes a "
             "hiding proof against a key compiled without --hiding, whose commitment "
             "anyone with the model recomputes (with --input-visibility private or "
             "committed on such a model).")(func)
    func = click.option(
        "--input-opening", "input_opening", type=click.Path(dir_okay=False, path_type=Path),
        help="With --input-visibility committed: the opening file of an earlier "
             "commitment to this same input (the proof carries that commitment).")(func)
    func = click.option(
        "--opening-out", "opening_out", type=click.Path(dir_okay=False, path_type=Path),
        help="With --input-visibility committed: write the new commitment's opening "
             "(the input and its blinders, secret) to this file, mode 0600, never over "
             "an existing file.")(func)
    func = click.option(
        "--output-visibility", "output_visibility", type=click.Choice(OUTPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the output (committed: not built yet).")(func)
    return click.option(
        "--input-visibility", "input_visibility", type=click.Choice(INPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the input: public (its values are the statement) "
             "or, for a model compiled with --hiding, private (the proof binds the input "
             "without carrying it) or committed (the proof carries a commitment to it, "
             "reusable with --opening-out / --input-opening).")(func)


def opening_paths(input_visibility: str, opening_out: Path | None,
                  input_opening: Path | None) -> dict[Path, str]:
    """The opening file to write (`{path: "input opening"}`, for the outputs'
    preflight), after checking the options fit: a new commitment's opening must be
    kept (--opening-out), and neither option goes without a committed input."""
    if input_visibility != "committed":
        if opening_out or input_opening:
            raise click.UsageError("--opening-out and --input-opening go with "
                                   "--input-visibility committed")
        return {}
    if opening_out and input_opening:
        raise click.UsageError("--opening-out makes a new commitment, --input-opening "
                               "reuses one: give one of them")
    if not (opening_out or input_opening):
        raise click.UsageError("a committed input's opening must be kept: add "
                               "--opening-out FILE (or --input-opening FILE to reuse one)")
    return {opening_out: "input opening"} if opening_out else {}


def save_opening(result: Any, opening_out: Path | None) -> None:
    """Write a new commitment's opening (0600, never over a file)."""
    if opening_out is not None and result.input_opening is not None:
        result.input_opening.save(opening_out)


def apply_visibility(statement: dict[str, Any], visibility: Any,
                     commitment: bytes = b"") -> dict[str, Any]:
    """`statement` (`jsonout.statement`) with its `visibility` object set from a
    `zkml.visibility.Visibility`, a private or committed input's digest and values
    null, and a committed input's `commitment` digest (full hex; no key otherwise)."""
    statement["visibility"] = visibility.to_json()
    if commitment:  # only a committed input's object has the key (schema 1 stays)
        statement["input"]["commitment"] = commitment.hex()
    if visibility.input_private:
        statement["input"].update(digest=None, values=None)
    return statement


def input_shown(digest: bytes, commitment: bytes = b"") -> str:
    """How the statement line shows the input: its digest, a committed input by its
    commitment's digest, or `private` (no digest)."""
    from zkml.statement import short_digest

    if commitment:
        return f"committed {short_digest(commitment)}"
    return short_digest(digest) if digest else "private (not in the proof)"
