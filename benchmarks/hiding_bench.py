"""Hiding (kind 5) against non-hiding (kind 3) proofs of one model, in process.

    .venv/bin/python benchmarks/hiding_bench.py [MODEL.onnx CALIBRATION.npy INPUT.json]

Compiles the model twice through the API (`hiding=False`: kind-4 key; `hiding=True`:
kind-6 key, circuits/zk_inference.md), then for batch 1 and 8 proves (best of 3, the
`prove` stage only) and verifies (best of 3, pure Python, key loaded once) each kind,
and prints a markdown table for `benchmarks/RESULTS.md`. Defaults to the bundled digits
MLP (`artifacts/`).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ART = ROOT / "artifacts"


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(model: Path, calibration: Path, input_json: Path) -> list[dict]:
    """One row per (kind, batch): compile, key, prove, verify, sizes."""
    import zkml

    warnings.simplefilter("ignore")
    cal = np.load(calibration)
    x = np.asarray(json.loads(input_json.read_text())["input_data"], dtype=np.float64)
    x = x.reshape(len(x), -1)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for hiding in (False, True):
            t0 = time.perf_counter()
            cm = zkml.compile(model, calibration=cal, output_path=Path(d) / f"{hiding}.zkmlc",
                              vk_path=Path(d) / f"{hiding}.vk", hiding=hiding)
            compile_s = time.perf_counter() - t0
            verifier = zkml.Verifier(cm.verifying_key)
            for batch in (1, 8):
                xb = np.resize(x, (batch, x.shape[1]))
                prove_s = min(zkml.prove(cm, xb).timings["prove"] for _ in range(3))
                proof = zkml.prove(cm, xb).proof
                verify_s, st = _best(lambda p=proof, v=verifier: v.verify(p))
                assert st.hiding == hiding
                rows.append({"kind": 5 if hiding else 3, "batch": batch, "compile": compile_s,
                             "key": len(cm.verifying_key), "prove": prove_s,
                             "verify": verify_s, "proof": len(proof)})
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a markdown table with hiding/non-hiding ratios."""
    base = {r["batch"]: r for r in rows if r["kind"] == 3}
    lines = ["| proof | batch | compile (s) | key (B) | prove (s) | verify (s) | proof (B) | "
             "prove / verify / size vs kind 3 |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = base[r["batch"]]
        ratio = "" if r["kind"] == 3 else (f"{r['prove'] / b['prove']:.1f}x / "
                                           f"{r['verify'] / b['verify']:.1f}x / "
                                           f"{r['proof'] / b['proof']:.1f}x")
        name = "kind 5 (hiding)" if r["kind"] == 5 else "kind 3 (not hiding)"
        lines.append(f"| {name} | {r['batch']} | {r['compile']:.2f} | {r['key']:,} | "
                     f"{r['prove']:.3f} | {r['verify']:.3f} | {r['proof']:,} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    args = [Path(a) for a in sys.argv[1:]]
    if args and len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    model, cal, inp = args or (ART / "digits_mlp.onnx", ART / "digits_calibration.npy",
                              ART / "digits_input.json")
    print(table(measure(model, cal, inp)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
