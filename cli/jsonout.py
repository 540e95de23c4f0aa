"""Machine-readable output of `zkml verify|prove|inspect --json` (README, "Machine-readable
output"): exactly one JSON object on stdout, nothing else there (errors, warnings and
progress go to stderr).

Every object carries `"schema": "zkml/<command>"` and `"schema_version"`. A statement's
`visibility` object says what its proof reveals: a hiding proof (kind 5, the default)
reveals the public input and output only (`"hiding": true`, weights private); a
non-hiding one (kind 3, from a model compiled with --non-hiding) also reveals linear
combinations of the committed weights (`"hiding": false`). A private input (`"input":
"private"`) has a null digest and values; a committed input or output (`"committed"`)
also has a `commitment` key (its commitment's digest) in its object, and a committed
output null digest, values, floats and predictions (circuits/zk_inference.md 1.3-1.6).
Later versions may add visibility values and fields; scripts should check
`schema_version`. Keys are never removed or renamed within a version.

Imports nothing heavier than the standard library: `zkml verify --json` stays light.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

from zkml.visibility import Visibility

__all__ = ["SCHEMA_VERSION", "VISIBILITY", "document", "emit", "json_errors", "json_errors_of",
           "error_object", "statement", "clipping_object", "parts_object"]

SCHEMA_VERSION = 1

#: What a non-hiding proof (kind 3, a model compiled with --non-hiding) reveals: it is not
#: zero-knowledge, the input and output are the statement (public), and the weights are
#: bound by the verifying key's commitment, not published (but the proof reveals linear
#: combinations of them: README, "What a proof guarantees").
VISIBILITY = Visibility(False).to_json()
#: What a hiding proof (kind 5, the default; circuits/zk_inference.md) reveals: the
#: statement only; the weights and every activation stay private.
HIDING_VISIBILITY = Visibility(True, weights="private").to_json()


def document(command: str, **fields: Any) -> dict[str, Any]:
    """A top-level object: the schema name and version, then `fields` in order."""
    return {"schema": f"zkml/{command}", "schema_version": SCHEMA_VERSION, **fields}


def emit(doc: dict[str, Any]) -> None:
    """Print `doc` as one line of strict JSON (no NaN or Infinity) on stdout."""
    click.echo(json.dumps(doc, allow_nan=False))


def error_object(exc: BaseException) -> dict[str, Any]:
    """`{"type", "classes", "message"}` of an error: its class, the classes it derives from
    (most specific first, up to `ZkmlError` or `OSError`), and the message the CLI prints
    after "error: "."""
    classes = [c.__name__ for c in type(exc).__mro__
               if c not in (Exception, BaseException, object)]
    if isinstance(exc, click.ClickException):
        message = exc.format_message()
    elif isinstance(exc, OSError) and exc.strerror:
        message = f"{exc.strerror}: {exc.filename or ''}".rstrip(": ")
    else:
        message = str(exc)
    return {"type": type(exc).__name__, "classes": classes, "message": message}


@contextmanager
def json_errors(enabled: bool, command: str, **failure: Any) -> Iterator[None]:
    """With `enabled`, an error raised inside also prints `document(command, **failure,
    error=error_object(exc))` on stdout (unless the error's `json_reported` attribute says
    the command printed its object already); the error is re-raised either way, so it
    still reaches stderr and sets the exit code."""
    from zkml.errors import ZkmlError

    try:
        yield
    except (ZkmlError, OSError, click.ClickException) as exc:
        if enabled and not getattr(exc, "json_reported", False):
            emit(document(command, **failure, error=error_object(exc)))
        raise


def json_errors_of(command: str, **failure: Any) -> Callable:
    """Decorate a click callback with a `json_out` parameter (its `--json` flag): errors
    become JSON objects too, as `json_errors` makes them."""

    def wrap(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with json_errors(bool(kwargs.get("json_out")), command, **failure):
                return func(*args, **kwargs)

        return run

    return wrap


def clipping_object(clipping: Any) -> dict[str, Any]:
    """A `zkml.quant.clipping.ClipReport` (per input, the values saturation moved into the
    representable range and those beyond the calibrated range)."""
    return clipping.to_json()


def parts_object(parts: Sequence[Any]) -> list[dict[str, Any]]:
    """Each output's name and place in a row of `output.values` (`IOPart`s)."""
    return [{"name": p.name, "offset": p.offset, "features": p.features,
             "frac_bits": p.frac_bits} for p in parts]


def statement(*, vk_digest: bytes, batch: int, inputs: Sequence[Sequence[int]],
              input_frac_bits: int, input_digest: bytes, outputs: Sequence[Sequence[int]],
              output_frac_bits: int, output_digest: bytes, argmax: bool,
              predictions: Sequence[int], parts: list[dict[str, Any]] | None,
              hiding: bool = False) -> dict[str, Any]:
    """The statement of an inference proof: key digest, batch, the quantized input and
    output rows with their scales (float = value * scale) and digests (full hex), the
    output dequantized and its predictions, and what the proof reveals."""
    scale_in, scale_out = 2.0 ** -input_frac_bits, 2.0 ** -output_frac_bits
    return {
        "kind": "inference",
        "verifying_key_digest": vk_digest.hex(),
        "batch": batch,
        "input": {"digest": input_digest.hex(), "values": [list(map(int, r)) for r in inputs],
                  "frac_bits": input_frac_bits, "scale": scale_in},
        "output": {"digest": output_digest.hex(),
                   "values": [list(map(int, r)) for r in outputs],
                   "frac_bits": output_frac_bits, "scale": scale_out,
                   "floats": [[int(v) * scale_out for v in r] for r in outputs],
                   "argmax": argmax, "predictions": [int(p) for p in predictions],
                   "parts": parts},
        "visibility": dict(HIDING_VISIBILITY if hiding else VISIBILITY),
    }
