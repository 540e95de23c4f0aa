"""Entry point of the `zkml` command.

Subcommands live in their own modules and are imported only when invoked, so that
`zkml verify` never pays for the imports of `zkml compile` (onnx, onnxruntime).
Every library error becomes one readable line on stderr and an exit code that tells
what went wrong (`EXIT_CODES`, zkml.errors).
"""

from __future__ import annotations

import importlib
import sys
import traceback

import click

#: The exit codes, as `zkml --help` and README state them.
EXIT_CODES = """\b
Exit codes:
  0    success (verify: the proof is valid)
  1    the proof is invalid: tampered, truncated, of another kind, for another
       model, or about another input than --input / --input-digest
  2    usage or input error: bad arguments, a missing or unreadable file, a
       corrupt verifying key or compiled model, bad input data, a model that
       cannot be compiled or proven
  3    internal error (a bug: the traceback is printed)
  4    prove: the proof's estimated memory exceeds the memory available
       (ZKML_PROVE_MEMORY, else the system's); refused before any work
  130  interrupted (Ctrl-C); no output file is left behind"""

# name -> (module, attribute, one-line help)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("zkml.cli.demo_cmd", "demo", "Compile, prove and verify the bundled example model."),
    "verify": (
        "zkml.cli.verify_cmd",
        "verify",
        "Verify a proof with the pure-Python verifier (--vk/--model for inference).",
    ),
    "compile": (
        "zkml.cli.compile_cmd",
        "compile_cmd",
        "Quantize an ONNX model, compile its circuit, write the compiled model and key.",
    ),
    "prove": (
        "zkml.cli.prove_cmd",
        "prove",
        "Prove a compiled model's output on inputs; print the proven output.",
    ),
    "inspect": (
        "zkml.cli.inspect_cmd",
        "inspect",
        "Describe a compiled model, verifying key or proof (without verifying).",
    ),
    "unlearn": ("zkml.cli.unlearn", "unlearn", "Deletion requests and masked model updates."),
}


def register(name: str, module: str, attribute: str, help_text: str) -> None:
    """Add a lazily imported subcommand (used by command modules of later features)."""
    _COMMANDS[name] = (module, attribute, help_text)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        return getattr(module, entry[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, epilog=EXIT_CODES)
@click.version_option(package_name="zkml")
def cli() -> None:
    """zkml: zero-knowledge proofs of quantized ML inference."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (`EXIT_CODES`): a library error becomes one
    line on stderr ("error: invalid proof: ..."), Ctrl-C the line "error: interrupted"."""
    from zkml.errors import EXIT_ERROR, EXIT_INTERRUPTED

    args = sys.argv[1:] if argv is None else list(argv)
    try:
        # click's own main() is not used: it turns Ctrl-C into Abort after printing a
        # blank line; here the interrupt keeps its type and its one line.
        with cli.make_context("zkml", args) as ctx:
            cli.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help, --version, a command's own code
        return exc.exit_code
    except click.exceptions.Abort:
        return _fail("aborted", EXIT_ERROR)
    except KeyboardInterrupt:
        if _isatty(sys.stderr):  # after the terminal's "^C"
            click.echo(err=True)
        return _fail("interrupted", EXIT_INTERRUPTED)
    except click.exceptions.NoArgsIsHelpError as exc:  # `zkml` alone: its help
        click.echo(exc.format_message(), err=True)
        return EXIT_ERROR
    except click.ClickException as exc:  # usage errors: bad options and arguments
        return _fail(exc.format_message(), EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - every error gets its exit code
        return _report(exc)
    return 0


def _fail(message: str, code: int) -> int:
    click.echo(f"error: {message}", err=True)
    return code


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def _report(exc: Exception) -> int:
    """One line for a zkml or operating-system error; the traceback too for a bug."""
    from zkml.errors import EXIT_INTERNAL, FileError, ZkmlError, exit_code

    code = exit_code(exc)
    if isinstance(exc, ZkmlError):
        return _fail(str(exc), code)
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else "a file"
        return _fail(str(FileError.from_os(exc, "access", where)), code)
    if isinstance(exc, MemoryError):
        return _fail("out of memory", code)
    traceback.print_exc()
    _fail(f"internal error (a bug in zkml; please report it): {type(exc).__name__}: {exc}",
          EXIT_INTERNAL)
    return code


if __name__ == "__main__":
    sys.exit(main())
