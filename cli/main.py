"""Entry point of the `zkml` command.

Subcommands live in their own modules and are imported only when invoked, so that
`zkml verify` never pays for the imports of `zkml compile` (onnx, onnxruntime).
Every library error becomes one readable line on stderr and a non-zero exit.
"""

from __future__ import annotations

import importlib
import sys

import click

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


@click.group(cls=_LazyGroup)
@click.version_option(package_name="zkml")
def cli() -> None:
    """zkml: zero-knowledge proofs of quantized ML inference."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; library errors become one line on stderr and exit code 1."""
    from zkml.errors import ZkmlError

    try:
        cli.main(args=argv, standalone_mode=False)
    except ZkmlError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code or 2
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
