"""Progress everywhere work is long (P6 item 6): stage lines on a non-terminal stderr too,
an updating line on a terminal, nothing with --quiet (`zkml.progress`).

Times come from a fake clock where a test checks them, so nothing depends on how fast
this machine is.
"""

from __future__ import annotations

import io
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402
from inference_models import mlp, save  # noqa: E402

import zkml  # noqa: E402
import zkml.progress as progress_module  # noqa: E402
from zkml.progress import Progress  # noqa: E402

LINE = re.compile(r"\[zkml\] (?P<command>[a-z -]+): (?P<stage>[a-z ]+) \.\.\. \d+\.\d\d s")
COMPILE_STAGES = ["import", "calibrate", "quantize", "circuit", "fidelity", "commit and key",
                  "write"]
PROVE_STAGES = ["load", "quantize", "witness", "prove", "write"]


class Clock:
    """`time.perf_counter` under the test's control."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(progress_module.time, "perf_counter", c)
    return c


class Terminal(io.StringIO):
    """A stream that says it is a terminal; `written` is set at each write."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        n = super().write(text)
        self.written.set()
        return n


def stage_lines(err: str) -> list[tuple[str, str]]:
    """(command, stage) of each stage line in `err`."""
    return [(m["command"], m["stage"]) for m in map(LINE.fullmatch, err.splitlines()) if m]


# -- zkml.progress ------------------------------------------------------------------------

def test_plain_lines_when_not_a_terminal(clock):
    out = io.StringIO()
    p = Progress(stream=out, command="compile")
    with p.stage("import"):
        clock.now += 1.234
    with p.stage("quantize"):
        clock.now += 0.5
    assert out.getvalue() == ("[zkml] compile: import ... 1.23 s\n"
                              "[zkml] compile: quantize ... 0.50 s\n")
    assert p.timings == pytest.approx({"import": 1.234, "quantize": 0.5})


def test_quiet_prints_nothing_but_keeps_timings(clock):
    out = io.StringIO()
    p = Progress(quiet=True, stream=out, command="prove")
    with p.stage("prove"):
        clock.now += 2
    assert out.getvalue() == "" and p.timings == {"prove": 2}


def test_min_seconds_hides_quick_stages(clock):
    out = io.StringIO()
    p = Progress(stream=out, command="verify", min_seconds=1.0)
    with p.stage("key"):
        clock.now += 0.3
    with p.stage("proof"):
        clock.now += 4
    assert out.getvalue() == "[zkml] verify: proof ... 4.00 s\n"


def test_a_failed_stage_adds_no_plain_line(clock):
    out = io.StringIO()
    p = Progress(stream=out, command="compile")
    with pytest.raises(ValueError), p.stage("circuit"):
        raise ValueError("refused")
    with pytest.raises(KeyboardInterrupt), p.stage("fidelity"):
        raise KeyboardInterrupt
    assert out.getvalue() == "" and set(p.timings) == {"circuit", "fidelity"}


def _shown(term: Terminal) -> None:
    """Wait until the ticker has drawn the running stage's line (the tests that use
    this set a tick of an hour, so that no other redraw comes before the stage ends)."""
    assert term.written.wait(30)


def test_a_terminal_gets_an_updating_line(clock):
    term = Terminal()
    p = Progress(stream=term, command="compile", tick=3600)
    with p.stage("circuit"):
        _shown(term)
        clock.now += 70
    assert term.getvalue() == ("[zkml] compile: circuit ...\x1b[K"
                               "\r[zkml] compile: circuit ... 70.00 s\x1b[K\n")


def test_a_terminal_line_shows_the_elapsed_seconds(clock):
    term = Terminal()
    p = Progress(stream=term, command="compile", tick=0.01)
    with p.stage("circuit"):
        _shown(term)
        clock.now += 12
        term.written.clear()
        _shown(term)  # the next tick redraws the line with the time so far
    assert "\r[zkml] compile: circuit ... 12 s\x1b[K" in term.getvalue()
    assert term.getvalue().endswith("\r[zkml] compile: circuit ... 12.00 s\x1b[K\n")


@pytest.mark.parametrize("error, word", [(ValueError, "failed"),
                                         (KeyboardInterrupt, "interrupted")])
def test_a_terminal_line_ends_when_its_stage_fails(clock, error, word):
    """The error message that follows starts on a line of its own."""
    term = Terminal()
    p = Progress(stream=term, command="prove", tick=3600)
    with pytest.raises(error), p.stage("witness"):
        _shown(term)
        clock.now += 3
        raise error
    assert term.getvalue().endswith(f"\r[zkml] prove: witness ... {word} after 3.00 s"
                                    "\x1b[K\n")


def test_nested_stages_on_a_terminal_keep_whole_lines(clock):
    term = Terminal()
    p = Progress(stream=term, command="compile", tick=3600)
    with p.stage("outer"):
        _shown(term)
        term.written.clear()
        with p.stage("inner"):
            _shown(term)
            clock.now += 1
        clock.now += 1
    lines = term.getvalue().replace("\x1b[K", "").split("\n")
    assert lines == ["[zkml] compile: outer ...",  # left as it was when inner began
                     "[zkml] compile: inner ...\r[zkml] compile: inner ... 1.00 s",
                     "[zkml] compile: outer ... 2.00 s", ""]


def test_the_api_argument(capsys):
    silent = Progress.of(None, "compile")
    assert not silent.enabled and not Progress.of(False).enabled
    shown = Progress.of(True, "compile")
    assert shown.enabled and shown.stream is sys.stderr and shown.command == "compile"
    given = Progress(quiet=True)
    assert Progress.of(given, "compile") is given


# -- the commands and the API ---------------------------------------------------------------

@pytest.fixture(scope="module")
def model(tmp_path_factory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("progress")
    onnx_path = save(mlp([12, 8, 5], seed=3), tmp, "m.onnx")
    cal = tmp / "cal.npy"
    np.save(cal, np.random.default_rng(0).normal(size=(16, 12)))
    inputs = tmp / "in.npy"
    np.save(inputs, np.random.default_rng(1).uniform(-1, 1, size=(3, 12)))
    return onnx_path, cal, inputs


def test_compile_and_prove_print_stage_lines_on_a_non_terminal(model, tmp_path, capsys):
    onnx_path, cal, inputs = model
    zc, vk, proof = tmp_path / "m.zkmlc", tmp_path / "m.vk", tmp_path / "m.proof"
    code, _, err = run_cli(["compile", str(onnx_path), "--calibration", str(cal), "-o", str(zc),
                            "--vk", str(vk)], capsys, stages=True)
    assert code == 0, err
    assert stage_lines(err) == [("compile", s) for s in COMPILE_STAGES], err
    code, _, err = run_cli(["prove", str(zc), "--input", str(inputs), "-o", str(proof)],
                           capsys, stages=True)
    assert code == 0, err
    assert stage_lines(err) == [("prove", s) for s in PROVE_STAGES], err
    code, _, err = run_cli(["prove", str(zc), "--input", str(inputs), "--dry-run"], capsys,
                           stages=True)
    assert code == 0 and stage_lines(err) == [("prove --dry-run", "load"),
                                              ("prove --dry-run", "check")], err


def test_quiet_commands_print_no_stage_lines(model, tmp_path, capsys):
    onnx_path, cal, inputs = model
    zc, proof = tmp_path / "m.zkmlc", tmp_path / "m.proof"
    code, out, err = run_cli(["compile", str(onnx_path), "--calibration", str(cal), "-o",
                              str(zc), "--vk", str(tmp_path / "m.vk"), "--quiet"], capsys,
                             stages=True)
    assert code == 0 and out == "" and err == "", err
    code, out, err = run_cli(["prove", str(zc), "--input", str(inputs), "-o", str(proof),
                              "--quiet"], capsys, stages=True)
    assert code == 0 and out == "" and err == "", err


def test_verify_shows_only_slow_stages(model, tmp_path, monkeypatch, capsys):
    """A quick verification prints nothing on stderr; a stage over `SLOW_STAGE` (here
    0 s, standing in for a big batch) gets its line; --quiet none."""
    onnx_path, cal, inputs = model
    compiled = zkml.compile(onnx_path, calibration=str(cal), vk_path=tmp_path / "m.vk")
    (tmp_path / "m.proof").write_bytes(zkml.prove(compiled, np.load(inputs)).proof)
    args = ["verify", str(tmp_path / "m.proof"), "--vk", str(tmp_path / "m.vk")]
    monkeypatch.setattr("zkml.cli.verify_cmd.SLOW_STAGE", 1e9)
    code, _, err = run_cli(args, capsys, stages=True)
    assert code == 0 and err == "", err
    monkeypatch.setattr("zkml.cli.verify_cmd.SLOW_STAGE", 0.0)
    code, _, err = run_cli(args, capsys, stages=True)
    assert code == 0 and stage_lines(err) == [("verify", "key"), ("verify", "proof")], err
    code, _, err = run_cli([*args, "--quiet"], capsys, stages=True)
    assert code == 0 and err == "", err


def test_the_api_reports_stages_when_asked(model, capsys):
    onnx_path, cal, inputs = model
    compiled = zkml.compile(onnx_path, calibration=str(cal))
    zkml.prove(compiled, np.load(inputs))
    assert capsys.readouterr().err == ""  # silent by default
    compiled = zkml.compile(onnx_path, calibration=str(cal), progress=True)
    result = zkml.prove(compiled, np.load(inputs), progress=True)
    zkml.verify(result.proof, compiled, progress=True)
    lines = stage_lines(capsys.readouterr().err)
    assert lines == [("compile", s) for s in COMPILE_STAGES[:-1]] + \
        [("prove", s) for s in PROVE_STAGES[1:-1]] + [("verify", "key"), ("verify", "proof")]
