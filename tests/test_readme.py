"""The README is tested: every Python example runs as written, every command line in it runs.

- Each ```python block of README.md runs, as a script file in a fresh interpreter, in a
  directory holding a copy of `artifacts/` (what the README's paths name), the blocks in
  README order so a later one may use the files an earlier one wrote. A block that does
  not run fails its case.
- Each `$ zkml ...` line in a code block runs through the CLI in a directory prepared as
  `make demo` leaves it (`demo-out/` from `zkml.demo.run`, `artifacts/` copied), with
  nothing substituted: its exit code must be the one the README's `$ echo $?` line shows
  (0 when none is shown), and every output line shown must appear, in order, among the
  command's lines, where "..." stands for anything and timings for any number.
- Each synopsis line (a code line starting `zkml `, as in "Command line") runs as the
  concrete commands of `SYNOPSIS`, which must cover every such line: a new README line
  without a test here fails.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "inference"))

from harness import run_cli  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


# -- reading README.md -------------------------------------------------------------------

@dataclass
class CodeLine:
    """A line of a code block: its README line number and text (block indent removed)."""

    number: int
    text: str


def code_blocks(text: str) -> list[tuple[str, list[CodeLine]]]:
    """(language, lines) of every code block: fenced (```lang) or indented by 4 spaces
    after a blank line (an indented block's language is "")."""
    lines = text.splitlines()
    blocks: list[tuple[str, list[CodeLine]]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            lang = line.strip()[3:].strip()
            body, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(CodeLine(i + 1, lines[i]))
                i += 1
            blocks.append((lang, body))
        elif line.startswith("    ") and line.strip() and (i == 0 or not lines[i - 1].strip()):
            body = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                body.append(CodeLine(i + 1, lines[i][4:]))
                i += 1
            while body and not body[-1].text.strip():
                body.pop()
            blocks.append(("", body))
            continue
        i += 1
    return blocks


def python_blocks(text: str) -> list[CodeLine]:
    """Each ```python block as one CodeLine: the line of its first code line, its code."""
    return [CodeLine(body[0].number, "\n".join(c.text for c in body) + "\n")
            for lang, body in code_blocks(text) if lang == "python" and body]


@dataclass
class Example:
    """A `$ zkml ...` line of the README, the output shown after it and its exit code."""

    number: int
    argv: list[str]
    shown: list[str] = field(default_factory=list)
    code: int = 0


def _command(body: list[CodeLine], i: int) -> tuple[str, int]:
    """The command starting at body[i] with its `\\` continuations; the next index."""
    text = body[i].text.strip()
    while text.endswith("\\") and i + 1 < len(body):
        i += 1
        text = text[:-1].rstrip() + " " + body[i].text.strip()
    return text, i + 1


def examples(text: str) -> list[Example]:
    """Every `$ ...` session line of the README's code blocks. A `$` line that is neither
    `zkml ...` nor `echo $?` (after a zkml line) raises: this test would not run it."""
    found: list[Example] = []
    for _, body in code_blocks(text):
        i = 0
        while i < len(body):
            if not body[i].text.startswith("$ "):
                i += 1
                continue
            number = body[i].number
            command, i = _command(body, i)
            shown = []
            while i < len(body) and body[i].text.strip() and not body[i].text.startswith("$ "):
                shown.append(body[i].text.rstrip())
                i += 1
            if command == "$ echo $?" and found and found[-1].number < number:
                found[-1].code = int(shown[0])
                continue
            if not command.startswith("$ zkml "):
                raise AssertionError(f"README line {number}: no test runs {command!r}")
            found.append(Example(number, shlex.split(command[len("$ zkml "):]), shown))
    return found


def synopsis_lines(text: str) -> list[str]:
    """Code lines starting `zkml ` (with their indented `[...]` continuation lines), comments
    and repeated spaces removed."""
    out = []
    for _, body in code_blocks(text):
        for k, line in enumerate(body):
            if not line.text.startswith("zkml "):
                continue
            parts = [line.text]
            for more in body[k + 1:]:
                if not (more.text.startswith(" ") and more.text.strip().startswith("[")):
                    break
                parts.append(more.text)
            out.append(" ".join(" ".join(p.split("#")[0].split()) for p in parts))
    return out


# -- matching shown output --------------------------------------------------------------

_SPECIAL = re.compile(r'"timings": \{[^}]*\}|\.\.\.|\b\d+(?:\.\d+)? s\b')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _timings(token: str) -> str:
    """A JSON timings object: its keys as shown, any numbers."""
    if "..." in token:
        return r'"timings": \{[^}]*\}'
    pieces = _NUMBER.split(token)
    return r"[0-9.e+-]+".join(re.escape(p) for p in pieces)


def shown_pattern(line: str) -> re.Pattern[str]:
    """A shown output line as a pattern: "..." matches anything, a timing ("0.06 s", a JSON
    "timings" object) any number, everything else itself."""
    out, pos = [], 0
    for m in _SPECIAL.finditer(line):
        out.append(re.escape(line[pos:m.start()]))
        token = m.group()
        if token == "...":
            out.append(".*")
        elif token.startswith('"timings"'):
            out.append(_timings(token))
        else:
            out.append(r"[0-9.]+ s")
        pos = m.end()
    out.append(re.escape(line[pos:]))
    return re.compile("".join(out))


def missing_lines(shown: list[str], stdout: str, stderr: str) -> list[str]:
    """Shown lines (other than "..." alone) not found in order in stdout or stderr."""
    streams = [stdout.splitlines(), stderr.splitlines()]
    cursors = [0, 0]
    missing = []
    for line in shown:
        if line.strip() == "...":
            continue
        pattern = shown_pattern(line)
        for s, lines in enumerate(streams):
            hit = next((k for k in range(cursors[s], len(lines))
                        if pattern.fullmatch(lines[k].rstrip())), None)
            if hit is not None:
                cursors[s] = hit + 1
                break
        else:
            missing.append(line)
    return missing


# -- the working directories -------------------------------------------------------------

TEXT = README.read_text()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A directory as `make demo` leaves it: artifacts/ and demo-out/."""
    from zkml.demo import run

    work = tmp_path_factory.mktemp("readme-cli")
    shutil.copytree(REPO / "artifacts", work / "artifacts")
    assert run(work / "demo-out", work / "artifacts", quiet=True) == 0
    return work


def _cli(args: list[str], cwd: Path, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    return run_cli(args, capsys)


# -- the Python examples -----------------------------------------------------------------

PY_BLOCKS = python_blocks(TEXT)


@pytest.fixture(scope="module")
def python_runs(tmp_path_factory) -> dict[int, subprocess.CompletedProcess]:
    """Every Python block run in README order in one directory (a later block may read
    what an earlier one wrote), each as a script in a fresh interpreter."""
    work = tmp_path_factory.mktemp("readme-python")
    shutil.copytree(REPO / "artifacts", work / "artifacts")
    runs = {}
    for block in PY_BLOCKS:
        script = work / f"readme_line_{block.number}.py"
        script.write_text(block.text)
        runs[block.number] = subprocess.run([sys.executable, script.name], cwd=work,
                                            capture_output=True, text=True, timeout=600)
    return runs


def test_the_readme_has_python_examples():
    assert len(PY_BLOCKS) == TEXT.count("```python") >= 2


@pytest.mark.parametrize("block", PY_BLOCKS, ids=lambda b: f"line{b.number}")
def test_python_example_runs_as_written(python_runs, block):
    res = python_runs[block.number]
    assert res.returncode == 0, f"README line {block.number}:\n{res.stdout}\n{res.stderr}"


# -- the command lines with their output -------------------------------------------------

EXAMPLES = examples(TEXT)


def test_the_readme_has_command_examples():
    assert len(EXAMPLES) >= 10
    assert any(e.code == 1 for e in EXAMPLES) and any(e.code == 0 for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"line{e.number}")
def test_command_example_prints_what_the_readme_shows(demo_dir, capsys, monkeypatch, example):
    code, out, err = _cli(example.argv, demo_dir, capsys, monkeypatch)
    assert code == example.code, f"README line {example.number}: exit {code}\n{out}\n{err}"
    missing = missing_lines(example.shown, out, err)
    assert not missing, (f"README line {example.number}: not printed:\n" + "\n".join(missing)
                         + f"\n--- stdout:\n{out}\n--- stderr:\n{err}")


# -- the synopsis ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synopsis_dir(demo_dir):
    """Files for the synopsis's placeholders, beside the demo's."""
    import zkml

    syn = demo_dir / "syn"
    syn.mkdir()
    rows = np.asarray(json.loads((demo_dir / INPUT).read_text())["input_data"])
    np.save(syn / "eight.npy", rows)
    np.savez(syn / "eight.npz", input=rows)
    np.save(syn / "two.npy", rows[:2])
    shutil.copy(demo_dir / "demo-out" / "digits_mlp.zkmlc", syn / "d.zkmlc")
    shutil.copy(demo_dir / "artifacts" / "digits_mlp.onnx", syn / "copy.onnx")
    digest = zkml.Verifier(demo_dir / "demo-out" / "digits_mlp.vk").quantize_input(rows).digest
    (syn / "digest.txt").write_text(digest.hex()[:16])
    return demo_dir


D = "demo-out/digits_mlp"
ONNX, CAL, INPUT = "artifacts/digits_mlp.onnx", "artifacts/digits_calibration.npy", \
    "artifacts/digits_input.json"
DIGEST = "@digest"  # replaced by the input's digest (syn/digest.txt)

#: synopsis line -> the commands that exercise it: (arguments, exit code, a line printed)
SYNOPSIS: dict[str, list[tuple[list[str], int, str]]] = {
    "zkml compile MODEL.onnx [--calibration SAMPLES.npy] [-o MODEL.zkmlc] [--vk MODEL.vk] "
    "[--non-hiding]": [
        (["compile", ONNX, "--calibration", CAL, "-o", "syn/c.zkmlc", "--vk", "syn/c.vk"], 0,
         "wrote syn/c.zkmlc (compiled model) and syn/c.vk (hiding verifying key, 80951 "
         "bytes, digest ...)"),
        # the non-hiding key is deterministic: the committed kind-4 key's digest
        (["compile", ONNX, "--calibration", CAL, "-o", "syn/n.zkmlc", "--vk", "syn/n.vk",
          "--non-hiding"], 0, "wrote syn/n.zkmlc (compiled model) and syn/n.vk (verifying "
         "key, 50651 bytes, digest 2b8ac1a9b706a78a)"),
        (["compile", "syn/copy.onnx"], 0, "wrote syn/copy.zkmlc (compiled model) and "
         "syn/copy.vk ..."),
    ],
    "zkml prove MODEL.zkmlc --input INPUT.json|INPUT.npy [-o MODEL.proof]": [
        (["prove", f"{D}.zkmlc", "--input", INPUT, "-o", "syn/p.proof"], 0,
         "proved 8 example(s) in 0.1 s (prover 0.1 s); wrote syn/p.proof (hiding proof, "
         "54779 bytes)"),
        (["prove", f"{D}.zkmlc", "--input", "syn/two.npy", "-o", "syn/two.proof"], 0,
         "proved 2 example(s) in 0.1 s (prover 0.1 s); wrote syn/two.proof ..."),
        (["prove", "syn/d.zkmlc", "--input", INPUT], 0,
         "... wrote syn/d.proof (hiding proof, 54779 bytes)"),
        (["prove", "syn/n.zkmlc", "--input", INPUT, "-o", "syn/n.proof"], 0,
         "... wrote syn/n.proof (non-hiding proof, 28723 bytes)"),
    ],
    "zkml prove MODEL.zkmlc --input INPUT.json --dry-run [--onnx MODEL.onnx]": [
        (["prove", f"{D}.zkmlc", "--input", INPUT, "--dry-run"], 0,
         "dry run: checked 8 example(s) in 0.1 s; no proof made, no file written"),
        (["prove", f"{D}.zkmlc", "--input", INPUT, "--dry-run", "--onnx", ONNX], 0,
         "float model (onnxruntime, artifacts/digits_mlp.onnx) against the quantized:"),
    ],
    "zkml verify PROOF --vk MODEL.vk [--input INPUT.json|.npy|.npz] [--input-digest HEX]": [
        (["verify", f"{D}.proof", "--vk", f"{D}.vk"], 0, "valid hiding inference proof ..."),
        (["verify", f"{D}.proof", "--model", f"{D}.zkmlc"], 0,
         "valid hiding inference proof ..."),
        (["verify", "syn/n.proof", "--vk", "syn/n.vk"], 0, "valid inference proof ..."),
        (["verify", f"{D}.tampered.proof", "--vk", f"{D}.vk"], 1, "error: invalid proof: ..."),
        (["verify", f"{D}.proof", "--vk", f"{D}.vk", "--input", INPUT], 0,
         "input: matches artifacts/digits_input.json (8 rows)"),
        (["verify", f"{D}.proof", "--vk", f"{D}.vk", "--input", "syn/eight.npy"], 0,
         "input: matches syn/eight.npy (8 rows)"),
        (["verify", f"{D}.proof", "--model", f"{D}.zkmlc", "--input", "syn/eight.npz"], 0,
         "input: matches syn/eight.npz (8 rows)"),
        (["verify", f"{D}.proof", "--vk", f"{D}.vk", "--input", "syn/two.npy"], 1,
         "error: the proof is about another input ..."),
        (["verify", f"{D}.proof", "--vk", f"{D}.vk", "--input-digest", DIGEST], 0,
         "valid hiding inference proof ..."),
    ],
    "zkml inspect FILE": [
        (["inspect", f"{D}.zkmlc"], 0, "compiled model (zkml-compiled-model)"),
        (["inspect", f"{D}.vk"], 0, "hiding verifying key (kind 6), 80951 bytes, digest ..."),
        (["inspect", f"{D}.proof"], 0, "hiding inference proof (kind 5), 54779 bytes"),
    ],
    "zkml demo": [
        (["demo", "--out", "syn/demo", "--quiet"], 0, "   8/8 correct"),
    ],
}


def test_every_synopsis_line_has_commands_here():
    assert sorted(synopsis_lines(TEXT)) == sorted(SYNOPSIS)


@pytest.mark.parametrize("line, case", [(line, k) for line, cases in SYNOPSIS.items()
                                        for k in range(len(cases))],
                         ids=lambda v: str(v).split(" [")[0] if isinstance(v, str) else str(v))
def test_synopsis_line_runs(synopsis_dir, capsys, monkeypatch, line, case):
    args, expected_code, printed = SYNOPSIS[line][case]
    digest = (synopsis_dir / "syn" / "digest.txt").read_text()
    args = [digest if a == DIGEST else a for a in args]
    code, out, err = _cli(args, synopsis_dir, capsys, monkeypatch)
    assert code == expected_code, f"zkml {shlex.join(args)}: exit {code}\n{out}\n{err}"
    assert not missing_lines([printed], out, err), f"zkml {shlex.join(args)}:\n{out}\n{err}"


# -- the matching itself can fail --------------------------------------------------------

def test_a_shown_line_matches_only_what_it_shows():
    pattern = shown_pattern("valid inference proof (28723 bytes, 0.130 s): batch 8")
    assert pattern.fullmatch("valid inference proof (28723 bytes, 12.5 s): batch 8")
    assert not pattern.fullmatch("valid inference proof (36338 bytes, 0.130 s): batch 8")
    json_line = shown_pattern('{"valid": true, "values": [[1, 2, ...], ...], '
                              '"timings": {"key": 0.26, "verify": 0.048}}')
    assert json_line.fullmatch('{"valid": true, "values": [[1, 2, 3], [4]], '
                               '"timings": {"key": 0.3, "verify": 1e-05}}')
    assert not json_line.fullmatch('{"valid": false, "values": [[1, 2, 3]], '
                                   '"timings": {"key": 0.3, "verify": 0.1}}')
    assert missing_lines(["a", "...", "c"], "a\nb\nc\n", "") == []
    assert missing_lines(["c", "a"], "a\nb\nc\n", "") == ["a"]  # order counts
    assert missing_lines(["error: x"], "", "error: x\n") == []


def test_reading_the_readme_catches_what_it_cannot_run():
    text = "Text\n\n    $ zkml verify p --vk k\n    valid\n    $ echo $?\n    0\n\n" \
           "```python\nimport zkml\n```\n\n    $ rm -rf demo-out\n"
    with pytest.raises(AssertionError, match="no test runs '\\$ rm -rf demo-out'"):
        examples(text)
    assert python_blocks(text)[0].text == "import zkml\n"
    assert synopsis_lines("\n    zkml inspect FILE   # what\n          [--json]\n") == \
        ["zkml inspect FILE [--json]"]
