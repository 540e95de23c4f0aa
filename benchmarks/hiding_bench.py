"""Hiding (kind 5) against non-hiding (kind 3) proofs of one model, in process.

    .venv/bin/python benchmarks/hiding_bench.py [MODEL.onnx CALIBRATION.npy INPUT.json]
    .venv/bin/python benchmarks/hiding_bench.py NAME     # mlp, lenet_avg, lenet_max, cnn1m
    (add --profile to print where one batch-1 verification of each kind spends its time)

Compiles the model twice through the API (`hiding=False`: kind-4 key; `hiding=True`:
kind-6 key, circuits/zk_inference.md), then for batch 1 and 8 proves (best of 3, the
`prove` stage only, wall time) and verifies (best of 5, pure Python, key loaded once,
CPU time of the process) each kind, counts the points of the one merged MSM of a
kind-5 verification (distinct bases, after the verifier merges repeated ones), and
prints a markdown table for `benchmarks/RESULTS.md`. Defaults to the bundled digits
MLP (`artifacts/`); NAME is a model of `benchmarks/models.py`, built into
`benchmarks/out/models/` with its sample input as the one calibration row.
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


def _best(fn, repeat: int = 5, clock=time.process_time) -> tuple[float, object]:
    """Best of `repeat` runs of `fn` by `clock` (CPU time of this process by default: the
    verifier is one pure-Python thread, and CPU time is less disturbed by a loaded
    machine than wall time)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = clock()
        out = fn()
        best = min(best, clock() - t0)
    return best, out


def profile(verify, proof: bytes, top: int = 14) -> str:
    """cProfile of one `verify(proof)`: the `top` functions by own time."""
    import cProfile
    import io
    import pstats

    prof = cProfile.Profile()
    prof.runcall(verify, proof)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def msm_points(verify, proof: bytes) -> int:
    """Distinct bases of the largest MSM one `verify(proof)` runs (a kind-5 proof's one
    merged check; kind 3 runs several smaller ones)."""
    import zkml.verifier.zk.sigma as sigma

    real, sizes = sigma.msm, [0]

    def counting(points, scalars):
        sizes.append(len(set(points)))
        return real(points, scalars)

    sigma.msm = counting
    try:
        verify(proof)
    finally:
        sigma.msm = real
    return max(sizes)


def measure(model: Path, calibration: Path, input_json: Path, show_profile: bool = False
            ) -> list[dict]:
    """One row per (kind, batch): compile, key, prove, verify, sizes; with `show_profile`,
    prints the profile of each kind's batch-1 verification."""
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
                if show_profile and batch == 1:
                    print(f"kind {5 if hiding else 3}, batch 1:", profile(verifier.verify, proof))
                rows.append({"kind": 5 if hiding else 3, "batch": batch, "compile": compile_s,
                             "key": len(cm.verifying_key), "prove": prove_s,
                             "verify": verify_s, "proof": len(proof),
                             "msm": msm_points(verifier.verify, proof) if hiding else 0})
    return rows


def table(rows: list[dict]) -> str:
    """The rows as a markdown table with hiding/non-hiding ratios."""
    base = {r["batch"]: r for r in rows if r["kind"] == 3}
    lines = ["| proof | batch | compile (s) | key (B) | prove (s) | verify (s) | proof (B) | "
             "merged MSM points | prove / verify / size vs kind 3 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b = base[r["batch"]]
        ratio = "" if r["kind"] == 3 else (f"{r['prove'] / b['prove']:.1f}x / "
                                           f"{r['verify'] / b['verify']:.1f}x / "
                                           f"{r['proof'] / b['proof']:.1f}x")
        name = "kind 5 (hiding)" if r["kind"] == 5 else "kind 3 (not hiding)"
        lines.append(f"| {name} | {r['batch']} | {r['compile']:.2f} | {r['key']:,} | "
                     f"{r['prove']:.3f} | {r['verify']:.3f} | {r['proof']:,} | "
                     f"{r['msm'] or ''} | {ratio} |")
    return "\n".join(lines)


def named_model(name: str) -> tuple[Path, Path, Path]:
    """`benchmarks/models.py`'s model `name`: (model, calibration, input), the calibration
    its sample input shaped as the model's input (one row), written beside the model."""
    import onnx

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from models import build

    model, inp = build(name)
    dims = onnx.load(str(model)).graph.input[0].type.tensor_type.shape.dim
    flat = np.asarray(json.loads(inp.read_text())["input_data"], dtype=np.float64)
    cal = model.with_suffix(".calibration.npy")
    np.save(cal, flat.reshape([1, *(d.dim_value or 1 for d in dims)]))
    return model, cal, inp


def main() -> int:
    argv = [a for a in sys.argv[1:] if a != "--profile"]
    if len(argv) not in (0, 1, 3):
        print(__doc__, file=sys.stderr)
        return 2
    if len(argv) == 1:
        model, cal, inp = named_model(argv[0])
    else:
        model, cal, inp = [Path(a) for a in argv] or (
            ART / "digits_mlp.onnx", ART / "digits_calibration.npy", ART / "digits_input.json")
    print(table(measure(model, cal, inp, "--profile" in sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
