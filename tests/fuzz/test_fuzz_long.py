"""The longer, coverage-guided fuzz run (marker `slow`: `make test-all`, not `make test`).

atheris (libFuzzer for Python) drives tests/fuzz/atheris_target.py in a subprocess for
ZKML_FUZZ_SECONDS (default 120) over every corpus model: proofs of batch 1 and 2 against
their good key, the key alone, and the key loaded as trusted with a relabelled proof.
libFuzzer keeps the inputs that reach new code of zkml/verifier, zkml/api and
zkml/artifacts; the verdict is the same as in test_fuzz_verifier.py (oracle.py). Before a
release run it for an hour (README.md beside this file):

    ZKML_FUZZ_SECONDS=3600 .venv/bin/python -m pytest -q -m slow tests/fuzz

ZKML_FUZZ_CORPUS=DIR keeps libFuzzer's corpus between runs (a later run starts from the
coverage an earlier one reached). The run is not deterministic (libFuzzer's schedule
depends on time); every finding is saved as a crash file that replays alone:
`python tests/fuzz/atheris_target.py WORKDIR CRASH_FILE`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import BATCHES

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow


def _write_targets(corpus, work: Path) -> tuple[Path, int]:
    """The artifacts, targets.json and one seed file per target (selector byte, bytes).
    Returns the seed directory and the largest seed's size."""
    seeds = work / "seeds"
    seeds.mkdir(parents=True)
    targets, biggest = [], 0
    for m in corpus:
        for a in m.artifacts:
            (work / a.name).write_bytes(a.data)
        first = m.proofs[BATCHES[0]].name
        rows = [("proof", m.proofs[b].name, m.proofs[b]) for b in BATCHES]
        rows += [("key", first, m.key), ("trusted", first, m.key)]
        for kind, proof, seed in rows:
            i = len(targets)
            targets.append({"kind": kind, "name": f"{seed.name}:{kind}", "key": m.key.name,
                            "proof": proof})
            (seeds / f"seed-{i:03d}").write_bytes(bytes([i]) + seed.data)
            biggest = max(biggest, len(seed.data) + 1)
    (work / "targets.json").write_text(json.dumps({"targets": targets}, indent=1))
    return seeds, biggest


def _last(pattern: str, text: str) -> str | None:
    found = re.findall(pattern, text)
    return found[-1] if found else None


def test_coverage_guided_run(corpus, tmp_path, fuzz_stats):
    """No input the fuzzer builds in the time given gets a verdict other than rejection."""
    pytest.importorskip("atheris")
    seconds = int(os.environ.get("ZKML_FUZZ_SECONDS", "120"))
    work = tmp_path / "work"
    seeds, biggest = _write_targets(corpus, work)
    kept = Path(os.environ.get("ZKML_FUZZ_CORPUS") or tmp_path / "corpus")
    kept.mkdir(parents=True, exist_ok=True)
    crashes = tmp_path / "crashes"
    crashes.mkdir()
    cmd = [sys.executable, str(HERE / "atheris_target.py"), str(work),
           f"-max_total_time={seconds}", f"-max_len={biggest + 4096}", "-rss_limit_mb=2048",
           "-timeout=60", f"-artifact_prefix={crashes}/", "-print_final_stats=1",
           "-seed=1", str(kept), str(seeds)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE,
                          timeout=seconds + 900)
    log = proc.stdout + proc.stderr
    (tmp_path / "fuzz.log").write_text(log)
    runs = _last(r"stat::number_of_executed_units: (\d+)", log)
    cov = _last(r"cov: (\d+) ft: (\d+)", log)
    fuzz_stats.long_run = (f"{runs} inputs in {seconds} s, coverage {cov and cov[0]} edges, "
                           f"{cov and cov[1]} features, corpus {len(list(kept.iterdir()))}")
    found = sorted(p.name for p in crashes.iterdir())
    assert proc.returncode == 0 and not found and runs, (
        f"exit {proc.returncode}, findings {found} in {crashes}; log {tmp_path / 'fuzz.log'}:\n"
        + "\n".join(log.splitlines()[-60:]))
