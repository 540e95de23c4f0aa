"""zkml on a benchmark ONNX model, stage by stage, measured like the peers.

    .venv/bin/python benchmarks/zkml_bench.py mlp [--non-hiding]

Each CLI stage (`zkml compile`, `zkml prove`, `zkml verify`) runs in its own process
under `/usr/bin/time -v` (benchmarks/peers.py's `run_stages`), so wall time includes
interpreter start-up and imports, and peak RSS is the process's. The core proving
time is measured in process through the API (start-up excluded), best of several
runs, for batch 1 and a batch of 16.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import Limits, run_stages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
ZKML = ROOT / ".venv" / "bin" / "zkml"

CORE_SNIPPET = """
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
import zkml
compiled = zkml.load(sys.argv[1])
x = np.asarray(json.load(open(sys.argv[2]))["input_data"], dtype=np.float64)
out = {}
for batch in (1, 16):
    noise = np.random.default_rng(batch).normal(0, 0.01, (batch, x.shape[1]))
    xb = np.repeat(x[:1], batch, axis=0) + noise
    best = min(zkml.prove(compiled, xb).timings["prove"] for _ in range(5))
    out[str(batch)] = best
print(json.dumps(out))
"""


def _input_array(input_json: Path, model: Path) -> np.ndarray:
    """The EZKL-style input as one calibration sample of the model's input shape."""
    import onnx

    flat = np.asarray(json.loads(input_json.read_text())["input_data"], dtype=np.float64)
    dims = onnx.load(str(model)).graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value or 1 for d in dims]
    return flat.reshape([1, *shape])


def run_zkml(model: Path, input_json: Path, name: str, hiding: bool = True) -> dict:
    """Compile, prove and verify `model` with the zkml CLI; returns stage records.

    `hiding` (the default, as for the CLI) makes a hiding key and proof (kinds 6 and 5);
    False compiles with `--non-hiding` (kinds 4 and 3), the mode asked for by name."""
    work = OUT / "zkml" / (name if hiding else f"{name}-non-hiding")
    work.mkdir(parents=True, exist_ok=True)
    for f in work.iterdir():
        f.unlink()
    calib = work / "calibration.npy"
    np.save(calib, _input_array(input_json, model))
    zkmlc, vk, proof = work / "model.zkmlc", work / "model.vk", work / "model.proof"
    env = dict(os.environ)
    stages = [
        ("compile", [str(ZKML), "compile", str(model), "--calibration", str(calib),
                     "-o", str(zkmlc), "--vk", str(vk)] + ([] if hiding else ["--non-hiding"])),
        ("prove", [str(ZKML), "prove", str(zkmlc), "--input", str(input_json), "-o", str(proof)]),
        ("verify", [str(ZKML), "verify", str(proof), "--vk", str(vk)]),
    ]
    rec = {"stages": run_stages(stages, work, Limits(timeout=600), env)}
    rec["sizes"] = {
        "proof_bytes": proof.stat().st_size if proof.exists() else None,
        "vk_bytes": vk.stat().st_size if vk.exists() else None,
        "compiled_bytes": zkmlc.stat().st_size if zkmlc.exists() else None,
    }
    if rec["stages"]["prove"]["status"] == "ok":
        res = subprocess.run(
            [sys.executable, "-c", CORE_SNIPPET, str(zkmlc), str(input_json)],
            check=True, capture_output=True, text=True,
        )
        rec["core_prove_seconds"] = json.loads(res.stdout.strip().splitlines()[-1])
    return rec


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--non-hiding"]
    hiding = "--non-hiding" not in sys.argv[1:]
    name = args[0] if args else "mlp"
    models = OUT / "models"
    rec = run_zkml(models / f"{name}.onnx", models / f"{name}.input.json", name, hiding)
    path = OUT / f"zkml-{name}{'' if hiding else '-non-hiding'}.json"
    path.write_text(json.dumps(rec, indent=2))
    print(json.dumps(rec, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
