"""Verifying many proofs: one process, threads on one Verifier, worker processes.

    .venv/bin/python benchmarks/verify_many.py                 # print the section
    .venv/bin/python benchmarks/run.py --section verify_many   # write it to RESULTS.md

The bundled digits model (artifacts/) is compiled, then N distinct proofs are made of
batch 1 (calibration rows 0..N-1) and N of batch 8 (eight consecutive rows each). Each
set is verified four ways, best of a few runs: sequentially by one `zkml.Verifier` built
beforehand; by 8 threads sharing that Verifier; by one `zkml.verify_many(workers=W)`
call, which checks the key, starts W worker processes, verifies and stops them; and by a
warm `zkml.VerifierPool(workers=W)`, started and used once before the timing, as a
service keeps it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "verify_many"
TITLE = "## Verifying many proofs: one process, threads, worker processes"


def make_proofs(n: int) -> tuple[bytes, dict[int, list[bytes]]]:
    """The digits model's verifying key and n proofs each of batch 1 and batch 8."""
    import numpy as np

    import zkml

    OUT.mkdir(parents=True, exist_ok=True)
    samples = np.load(ROOT / "artifacts" / "digits_calibration.npy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = zkml.compile(ROOT / "artifacts" / "digits_mlp.onnx", calibration=samples,
                                output_path=OUT / "digits.zkmlc", vk_path=OUT / "digits.vk",
                                overwrite=True)
    rows = len(samples)
    proofs = {
        1: [zkml.prove(compiled, samples[i % rows][None]).proof for i in range(n)],
        8: [zkml.prove(compiled, samples[[(8 * i + k) % rows for k in range(8)]]).proof
            for i in range(n)],
    }
    return compiled.verifying_key, proofs


def rounds(ways: dict[str, Callable[[], object]], repeat: int) -> list[dict[str, float]]:
    """Seconds of every way in each of `repeat` rounds, each round running every way once:
    within a round the ways meet about the same load of a shared machine."""
    out = []
    for _ in range(repeat):
        times = {}
        for name, fn in ways.items():
            start = time.perf_counter()
            fn()
            times[name] = time.perf_counter() - start
        out.append(times)
    return out


def best(measured: list[dict[str, float]]) -> dict[str, float]:
    """Each way's best seconds over the rounds: its least disturbed run. (A ratio within
    one round is no better: a burst of load during one way's run skews it either way.)"""
    return {name: min(r[name] for r in measured) for name in measured[0]}


def _all_valid(answers: list) -> None:
    from zkml.errors import VerificationError

    bad = [a for a in answers if isinstance(a, VerificationError)]
    if bad:
        raise SystemExit(f"benchmark proofs were rejected: {bad[0]}")


def _start_method() -> str:
    import multiprocessing

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def measure(vk: bytes, proofs: list[bytes], workers: int,
            repeat: int) -> list[dict[str, float]]:
    """Seconds for each way of verifying `proofs` in each of `repeat` rounds, and the
    machine's ceiling in the same rounds: `workers` pure-Python loops run one after the
    other ("spin") and in `workers` processes ("spin_pool")."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import zkml

    verifier = zkml.Verifier(vk)

    def sequential() -> None:
        _all_valid([verifier.verify(p) for p in proofs])

    def threads() -> None:
        with ThreadPoolExecutor(8) as pool:
            _all_valid(list(pool.map(verifier.verify, proofs)))

    def one_call() -> None:
        _all_valid(zkml.verify_many(proofs, vk, workers=workers))

    context = multiprocessing.get_context(_start_method())
    n = 4_000_000
    with zkml.VerifierPool(vk, workers=workers) as pool, \
            ProcessPoolExecutor(workers, mp_context=context) as spinners:
        pool.verify_many(proofs[: 2 * workers])  # start every worker
        list(spinners.map(spin, [1] * workers))
        return rounds({"sequential": sequential, "threads": threads,
                       "verify_many": one_call,
                       "pool": lambda: _all_valid(pool.verify_many(proofs)),
                       "spin": lambda: [spin(n) for _ in range(workers)],
                       "spin_pool": lambda: list(spinners.map(spin, [n] * workers))}, repeat)


def spin(n: int) -> int:
    """Pure-Python work without the verifier: what the machine's cores give any process."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def section(n: int = 64, workers: int = 2, repeat: int = 7) -> list[str]:
    """The RESULTS.md section: a table per batch size, seconds and proofs per second."""
    vk, proofs = make_proofs(n)
    load = _load()
    results = {batch: measure(vk, items, workers, repeat) for batch, items in proofs.items()}
    lines = [TITLE, "",
             f"{n} distinct proofs of the bundled digits MLP per batch size, verified on "
             f"{os.cpu_count()} cores (load average {load:.2f} before, {_load():.2f} after: "
             f"the machine is shared). Each of {repeat} rounds times every way once; shown is "
             "each way's best round. The last row is the machine's own ceiling in the same "
             f"rounds: {workers} pure-Python loops without the verifier, in {workers} processes "
             "against one after the other in one. The verifier is pure Python: threads take "
             "turns on the GIL. "
             "`verify_many` includes checking the key and starting and stopping its worker "
             "processes; the warm pool is a `VerifierPool` already started, as a service "
             "keeps one (`benchmarks/verify_many.py`).", ""]
    for batch, items in proofs.items():
        t = best(results[batch])
        base = t["sequential"]
        lines += [f"Batch {batch} ({len(items[0]) / 1024:.1f} KB per proof):", "",
                  "| way | seconds | proofs/s | speed-up |", "|---|---|---|---|"]
        for key, label in (("sequential", "one process, one Verifier"),
                           ("threads", "8 threads on one Verifier"),
                           ("verify_many", f"`verify_many`, {workers} workers (one call)"),
                           ("pool", f"`VerifierPool`, {workers} workers, warm")):
            lines.append(f"| {label} | {t[key]:.2f} | {len(items) / t[key]:.1f} "
                         f"| {base / t[key]:.2f}x |")
        lines.append(f"| ceiling: {workers} processes of a pure-Python loop | | "
                     f"| {t['spin'] / t['spin_pool']:.2f}x |")
        lines.append("")
    return lines[:-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=64, help="proofs per batch size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print("\n".join(section(args.n, args.workers, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
