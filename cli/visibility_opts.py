"""Per-tensor visibility on the command line (zkml.visibility; circuits/zk_inference.md
1.3): the options of `zkml prove` and what `prove` / `verify` show of a statement whose
input is not public.

`--input` already names the input file, so the input's visibility is
`--input-visibility public|private|committed` and the output's
`--output-visibility public|committed`. A private input is shown by no digest and no
values (a digest of a low-entropy input would give it away), a committed input or
output by its commitment's digest. A committed output's opening (its values and
blinders, secret) is written with `--output-opening-out` (zk_inference.md 1.6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from zkml.visibility import INPUT_CHOICES, OUTPUT_CHOICES, WEIGHTS_CHOICES

__all__ = ["visibility_options", "apply_visibility", "input_shown", "opening_paths",
           "output_shown", "save_opening"]


def visibility_options(func: Callable) -> Callable:
    """Add `--input-visibility`, `--output-visibility`, `--opening-out`,
    `--input-opening`, `--output-opening-out` and `--weights-visibility` to a click
    command (keyword arguments `input_visibility`, `output_visibility`, `opening_out`,
    `input_opening`, `output_opening_out`, `weights_visibility`)."""
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
        "--output-opening-out", "output_opening_out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="With --output-visibility committed: write the output's opening (its values "
             "and blinders, secret; `zkml.open_output` opens it) to this file, mode 0600, "
             "never over an existing file.")(func)
    func = click.option(
        "--output-visibility", "output_visibility", type=click.Choice(OUTPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the output: public (its values are the statement) "
             "or, for a model compiled with --hiding, committed (the proof carries only "
             "a commitment to it; not for an ArgMax output).")(func)
    return click.option(
        "--input-visibility", "input_visibility", type=click.Choice(INPUT_CHOICES),
        default="public", show_default=True,
        help="What the proof shows of the input: public (its values are the statement) "
             "or, for a model compiled with --hiding, private (the proof binds the input "
             "without carrying it) or committed (the proof carries a commitment to it, "
             "reusable with --opening-out / --input-opening).")(func)


def opening_paths(input_visibility: str, opening_out: Path | None,
                  input_opening: Path | None, output_visibility: str = "public",
                  output_opening_out: Path | None = None) -> dict[Path, str]:
    """The opening files to write (`{path: "input opening" | "output opening"}`, for
    the outputs' preflight), after checking the options fit: a new commitment's opening
    must be kept (--opening-out, --output-opening-out), and none of the options goes
    without its committed tensor."""
    out = _output_opening_path(output_visibility, output_opening_out)
    if input_visibility != "committed":
        if opening_out or input_opening:
            raise click.UsageError("--opening-out and --input-opening go with "
                                   "--input-visibility committed")
        return out
    if opening_out and input_opening:
        raise click.UsageError("--opening-out makes a new commitment, --input-opening "
                               "reuses one: give one of them")
    if not (opening_out or input_opening):
        raise click.UsageError("a committed input's opening must be kept: add "
                               "--opening-out FILE (or --input-opening FILE to reuse one)")
    return {opening_out: "input opening", **out} if opening_out else out


def _output_opening_path(output_visibility: str, path: Path | None) -> dict[Path, str]:
    if output_visibility != "committed":
        if path:
            raise click.UsageError("--output-opening-out goes with --output-visibility "
                                   "committed")
        return {}
    if not path:
        raise click.UsageError("a committed output's opening must be kept: add "
                               "--output-opening-out FILE")
    return {path: "output opening"}


def save_opening(result: Any, opening_out: Path | None) -> None:
    """Write a new commitment's opening (0600, never over a file)."""
    if opening_out is not None and result.input_opening is not None:
        result.input_opening.save(opening_out)


def apply_visibility(statement: dict[str, Any], visibility: Any,
                     commitment: bytes = b"", output_commitment: bytes = b"") -> dict[str, Any]:
    """`statement` (`jsonout.statement`) with its `visibility` object set from a
    `zkml.visibility.Visibility`, a private or committed input's digest and values
    null, a committed output's digest, values, floats and predictions null, and a
    committed tensor's `commitment` digest (full hex; no key otherwise)."""
    statement["visibility"] = visibility.to_json()
    if commitment:  # only a committed input's object has the key (schema 1 stays)
        statement["input"]["commitment"] = commitment.hex()
    if visibility.input_private:
        statement["input"].update(digest=None, values=None)
    if output_commitment:
        statement["output"]["commitment"] = output_commitment.hex()
    if visibility.output_committed:
        statement["output"].update(digest=None, values=None, floats=None, predictions=None)
    return statement


def output_shown(digest: bytes, commitment: bytes = b"") -> str:
    """How the statement line shows the output: its digest, or a committed output by
    its commitment's digest (zk_inference.md 1.6)."""
    from zkml.statement import short_digest

    if commitment:
        return f"committed {short_digest(commitment)}"
    return short_digest(digest)


def input_shown(digest: bytes, commitment: bytes = b"") -> str:
    """How the statement line shows the input: its digest, a committed input by its
    commitment's digest, or `private` (no digest)."""
    from zkml.statement import short_digest

    if commitment:
        return f"committed {short_digest(commitment)}"
    return short_digest(digest) if digest else "private (not in the proof)"
