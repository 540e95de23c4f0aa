"""Reproducible benchmarks; writes benchmarks/RESULTS.md.

    make bench                      # or: .venv/bin/python benchmarks/run.py

Sections:
  foundation  prover micro-benchmarks (Rust, in process) and fresh-process
              pure-Python verification of native-prover artifacts (issue P1 targets)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PY = sys.executable

# Fresh process: interpreter start, imports, generator derivation and verification.
VERIFY_SNIPPET = """
import sys, time
t0 = time.perf_counter()
from zkml.verifier import verify_artifact
data = open(sys.argv[1], 'rb').read()
st = verify_artifact(data)
print(time.perf_counter() - t0)
"""


def rust_core_bench() -> dict:
    """Prover figures from the Rust example binary (release build)."""
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "zkml-core", "--example", "bench_core"],
        cwd=ROOT / "rust",
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_artifact(log_size: int, claims: int) -> Path:
    """A kind-1 artifact from the native prover: one 8-bit stack, `claims` random points."""
    import numpy as np

    from zkml import prover
    from zkml.verifier.field import R

    rng = np.random.default_rng(log_size)
    prng = random.Random(log_size)
    table = rng.integers(-128, 128, size=1 << log_size, dtype=np.int64)
    points = [[prng.randrange(R) for _ in range(log_size)] for _ in range(claims)]
    path = OUT / f"batch-open-2^{log_size}-{claims}claims.zkml"
    path.write_bytes(prover.prove_batch_opening([(table, None, points)]))
    return path


def fresh_verify(path: Path, repeat: int = 3) -> tuple[float, float]:
    """(best in-process seconds incl. imports, best whole-process wall seconds)."""
    inner, outer = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        res = subprocess.run(
            [PY, "-c", VERIFY_SNIPPET, str(path)], check=True, capture_output=True, text=True
        )
        outer.append(time.perf_counter() - t)
        inner.append(float(res.stdout.strip()))
    return min(inner), min(outer)


def foundation() -> list[str]:
    core = rust_core_bench()
    lines = ["## Foundation (issue P1): prover core and pure-Python verifier", ""]
    lines += [
        f"Prover threads: {core['threads']}. Times are the best of several runs, in process.",
        "",
    ]
    lines += ["| prover operation | size | seconds | target |", "|---|---|---|---|"]
    targets = {("8-bit", 20): "<= 1.0", ("16-bit", 20): "<= 2.0"}
    for c in core["commit"]:
        t = targets.get((c["values"], c["log_size"]), "")
        lines.append(
            f"| commit {c['values']} values | 2^{c['log_size']} | {c['seconds']:.3f} | {t} |"
        )
    ps = core["product_sumcheck"]
    lines.append(
        f"| product sumcheck (degree 2) | 2^{ps['log_size']} | {ps['seconds']:.3f} | <= 0.15 |"
    )
    bo = core["batched_opening"]
    lines.append(
        f"| batched opening, {bo['claims']} claims, batching sumcheck included | 2^{bo['log_size']}"
        f" | {bo['seconds']:.3f} | <= 0.25 |"
    )
    lines += [
        "",
        "| pure-Python verification (fresh process) | artifact"
        " | in process, imports included | whole process | target |",
        "|---|---|---|---|---|",
    ]
    for log_size, target in ((18, "<= 1.0"), (20, "<= 1.5")):
        path = make_artifact(log_size, 8)
        inner, outer = fresh_verify(path)
        kb = path.stat().st_size / 1024
        lines.append(
            f"| 2^{log_size}-entry stack, 8 claims | {kb:.1f} KB | {inner:.3f} s"
            f" | {outer:.3f} s | {target} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["foundation", "all"], default="all")
    parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    header = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`.venv/bin/python benchmarks/run.py`)"
        f" on {time.strftime('%Y-%m-%d')},",
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}.",
        "",
    ]
    body = foundation()
    text = "\n".join(header + body) + "\n"
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(RESULTS)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
