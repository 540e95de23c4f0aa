"""Stage lines for long work: shown on a terminal, silent when piped or with quiet=True."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Progress:
    """Prints `[stage] ... done (1.23 s)` lines to stderr when it is a TTY."""

    def __init__(self, quiet: bool = False, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage and report it."""
        start = time.perf_counter()
        if self.enabled:
            self.stream.write(f"  {name} ...")
            self.stream.flush()
        try:
            yield
        finally:
            if self.enabled:
                self.stream.write(f" {time.perf_counter() - start:.2f} s\n")
                self.stream.flush()
