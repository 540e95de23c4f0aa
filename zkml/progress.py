"""Stage lines for long work, on stderr.

- On a terminal: one line per stage, `[zkml] compile: circuit ... 12 s`, updated in place
  every second while the stage runs and completed with its time.
- Elsewhere (a CI log, a pipe, a file): one plain line per finished stage,
  `[zkml] compile: quantize ... 1.23 s`, so a long compile in CI shows where it is.
- With `quiet` (`--quiet`): nothing.

On a terminal, a stage that raises ends its line with "failed after ..." or, on Ctrl-C,
"interrupted after ...", so the error line that follows starts on a line of its own;
elsewhere only finished stages get a line (the error says the rest). `min_seconds`
hides stages quicker than that (`zkml verify` shows only the slow ones of a big batch).
The API's `progress=` argument takes a `Progress`, True (stage lines on stderr) or
None / False (silent): `Progress.of`.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress", "ProgressArg"]

#: Seconds between two updates of a running stage's line on a terminal.
TICK = 1.0
_CLEAR = "\x1b[K"  # erase to the end of the line


class Progress:
    """Reports the stages of one command (`compile`, `prove`, ...) on a stream."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None, *,
                 command: str = "", min_seconds: float = 0.0, tty: bool | None = None,
                 tick: float = TICK) -> None:
        """`command` names the work in each line; `tty` overrides the stream's own
        `isatty()` (a terminal gets an updating line, anything else plain lines)."""
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet
        self.tty = _isatty(self.stream) if tty is None else tty
        self.command = command
        self.min_seconds = min_seconds
        self.tick = tick
        #: seconds per finished stage, in order (also when nothing is printed)
        self.timings: dict[str, float] = {}
        self._lock = threading.Lock()
        self._active: list[_Stage] = []  # running stages, innermost last
        self._partial: _Stage | None = None  # whose unfinished line the terminal shows

    @classmethod
    def of(cls, progress: ProgressArg, command: str = "") -> Progress:
        """The API's `progress=` argument as a Progress: a Progress as given, True for
        stage lines on stderr, None or False for silence."""
        if isinstance(progress, Progress):
            return progress
        return cls(quiet=not progress, command=command)

    def label(self, name: str) -> str:
        """`[zkml] COMMAND: NAME`, the start of a stage's line."""
        return f"[zkml] {self.command}: {name}" if self.command else f"[zkml] {name}"

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage and report it (see the module text)."""
        st = _Stage(name, time.perf_counter())
        with self._lock:
            self._active.append(st)
        ticker = self._start_ticker(st) if self.enabled and self.tty else None
        outcome = ""
        try:
            yield
        except KeyboardInterrupt:
            outcome = "interrupted"
            raise
        except BaseException:
            outcome = "failed"
            raise
        finally:
            if ticker is not None:
                st.done.set()
                ticker.join()
            elapsed = time.perf_counter() - st.start
            self.timings[name] = elapsed
            with self._lock:
                self._active.remove(st)
                self._finish(st, elapsed, outcome)

    # -- output (called with the lock held) ---------------------------------------------

    def _finish(self, st: _Stage, elapsed: float, outcome: str) -> None:
        """The finished stage's line. A stage that raised gets one only on a terminal
        whose line shows it (the error message says the rest)."""
        shown = self._partial is st
        if not self.enabled or (outcome and not shown) or \
                (elapsed < self.min_seconds and not shown):
            return
        when = f"{outcome} after {elapsed:.2f} s" if outcome else f"{elapsed:.2f} s"
        text = f"{self.label(st.name)} ... {when}"
        if self.tty:
            self._write(("\r" if shown else self._end_partial()) + text + _CLEAR + "\n")
            self._partial = None
        else:
            self._write(text + "\n")

    def _show_running(self, st: _Stage) -> None:
        """The terminal line of a running stage (only the innermost one is shown)."""
        if not self._active or self._active[-1] is not st:
            return
        elapsed = time.perf_counter() - st.start
        if elapsed < self.min_seconds:
            return
        lead = "\r" if self._partial is st else self._end_partial()
        shown = f" {elapsed:.0f} s" if elapsed >= self.tick else ""
        self._write(f"{lead}{self.label(st.name)} ...{shown}{_CLEAR}")
        self._partial = st

    def _end_partial(self) -> str:
        """A newline that leaves another stage's unfinished line as it is."""
        if self._partial is None:
            return ""
        self._partial = None
        return "\n"

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: progress is optional
            self.enabled = False

    def _start_ticker(self, st: _Stage) -> threading.Thread:
        def run() -> None:
            delay = min(self.min_seconds, self.tick) if self.min_seconds else 0.0
            while not st.done.wait(delay):
                with self._lock:
                    self._show_running(st)
                delay = self.tick

        thread = threading.Thread(target=run, name=f"zkml-progress-{st.name}", daemon=True)
        thread.start()
        return thread


class _Stage:
    """One running stage: its name, start time and the event that ends its ticker."""

    def __init__(self, name: str, start: float) -> None:
        self.name, self.start, self.done = name, start, threading.Event()


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


#: What the API's `progress=` parameters accept (`Progress.of`).
ProgressArg = Progress | bool | None
