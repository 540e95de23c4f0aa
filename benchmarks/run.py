"""Reproducible benchmarks; writes benchmarks/RESULTS.md.

    make bench                      # or: .venv/bin/python benchmarks/run.py

Sections:
  foundation  prover micro-benchmarks (Rust, in process) and fresh-process
              pure-Python verification of native-prover artifacts (issue P1 targets)
  inference   zkml, EZKL and JSTprove side by side on the same ONNX files
              (benchmarks/models.py); the peers run with --peers (they take many
              minutes; install them with `bash benchmarks/install_peers.sh`),
              otherwise their last saved results (benchmarks/out/peers-*.json) are used
  verify_many 64 proofs of the digits model verified in one process, by threads and by
              worker processes (zkml.verify_many, benchmarks/verify_many.py)
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


MODELS = ("mlp", "lenet_avg", "lenet_max", "cnn1m")


def _sec(rec: dict | None) -> float | None:
    return rec["seconds"] if rec and rec.get("status") == "ok" else None


def _unfinished(peer: dict) -> list[str]:
    """One line per peer whose run stopped: the first stage that failed or timed out."""
    out = []
    budget = peer.get("peer_budget_seconds") or peer.get("timeout_seconds")
    for name, label in (("ezkl", "EZKL"), ("jstprove", "JSTprove")):
        stages = peer.get("peers", {}).get(name, {}).get("stages", {})
        for stage, rec in stages.items():
            if rec.get("status") in ("failed", "timeout"):
                spent = sum(r.get("seconds") or 0 for r in stages.values())
                how = "timed out" if rec["status"] == "timeout" else "failed"
                limit = f" (budget {budget / 60:.0f} min)" if budget else ""
                out.append(f"{label} did not finish: its `{stage}` stage {how} after "
                           f"{spent / 60:.1f} min in all{limit}; see benchmarks/PEERS.md.")
                break
    return out


def _sum(stages: dict, names: tuple[str, ...]) -> float | None:
    vals = [_sec(stages.get(n)) for n in names]
    return None if any(v is None for v in vals) else sum(vals)


def _fmt(v: float | None, unit: str = "s") -> str:
    if v is None:
        return "-"
    return f"{v:.2f} {unit}" if unit == "s" else f"{v:.0f} {unit}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def inference(run_peer_provers: bool, models: tuple[str, ...] = MODELS,
              peer_names: tuple[str, ...] | None = None) -> list[str]:
    """zkml vs EZKL vs JSTprove on the benchmark models (issue P3/P4 targets)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import models as bench_models
    import peers as bench_peers
    from zkml_bench import run_zkml

    bench_models.build_all()
    lines = ["## Inference proofs: zkml, EZKL and JSTprove on the same ONNX files", ""]
    lines += [
        "Whole commands in fresh processes (start-up included), peak RSS of the largest",
        "process of a stage. EZKL setup = settings + calibration + compile + SRS generation",
        "+ key setup; its prove includes witness generation. JSTprove's `expander-exec`",
        "rows are its prover and verifier binaries alone (the verifier needs the witness).",
        "",
    ]
    kept = _previous_model_blocks()
    for name in MODELS:
        if name not in models:  # not rerun: its block stays as the last run wrote it
            lines += kept.get(name, [])
            continue
        model = OUT / "models" / f"{name}.onnx"
        data = OUT / "models" / f"{name}.input.json"
        if not model.exists():
            continue
        z = run_zkml(model, data, name)
        (OUT / f"zkml-{name}.json").write_text(json.dumps(z, indent=2))
        zn = run_zkml(model, data, name, hiding=False)  # the named non-hiding mode
        (OUT / f"zkml-{name}-non-hiding.json").write_text(json.dumps(zn, indent=2))
        peers_path = OUT / f"peers-{name}.json"
        if run_peer_provers:
            peer = bench_peers.run_peers(model, data, name=name,
                                         **({"peers": peer_names} if peer_names else {}))
        elif peers_path.exists():
            peer = json.loads(peers_path.read_text())
        else:
            peer = {"peers": {}, "date": "never"}
        zs, zns = z["stages"], zn["stages"]
        ez = peer["peers"].get("ezkl", {}).get("stages", {})
        js = peer["peers"].get("jstprove", {}).get("stages", {})
        setup_stages = ("gen_settings", "calibrate_settings", "compile_circuit", "gen_srs", "setup")
        ez_setup = _sum(ez, setup_stages)
        ez_prove = _sum(ez, ("gen_witness", "prove"))
        js_prove = _sum(js, ("witness", "prove"))
        core = z.get("core_prove_seconds", {})
        core_n = zn.get("core_prove_seconds", {})
        lines += [f"### {name}", ""]
        if zs["compile"]["status"] != "ok":
            err = zs["compile"].get("error", "").strip().splitlines()
            lines += [f"zkml: not provable yet ({err[-1] if err else 'compile failed'})", ""]
        lines += [
            f"Peers' results from {peer.get('date', '-')}"
            f" ({'this run' if run_peer_provers else 'saved run'}).",
            *_unfinished(peer),
            "",
            "zkml is hiding (the default: kinds 6 and 5); \"non-hiding\" is `zkml compile",
            "--non-hiding` (kinds 4 and 3), measured in the same run.",
            "",
            "| | zkml | zkml non-hiding | EZKL | JSTprove | hiding / non-hiding"
            " | EZKL / zkml | EZKL / zkml non-hiding | JSTprove / zkml |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        zc, zp, zv = _sec(zs["compile"]), _sec(zs.get("prove")), _sec(zs.get("verify"))
        znc, znp, znv = (_sec(zns["compile"]), _sec(zns.get("prove")),
                         _sec(zns.get("verify")))
        jc = _sec(js.get("compile"))
        je = _sec(js.get("expander_prove"))
        rows = [
            ("compile / setup", zc, znc, ez_setup, jc),
            ("prove (whole command)", zp, znp, ez_prove, js_prove),
            ("prove (JSTprove: expander-exec alone)", zp, znp, None, je),
            ("prove (zkml: core, in process)", (core or {}).get("1"),
             (core_n or {}).get("1"), None, je),
            ("verify (whole command)", zv, znv, _sec(ez.get("verify")),
             _sec(js.get("verify"))),
        ]
        for label, a, an, b, c in rows:
            lines.append(
                f"| {label} | {_fmt(a)} | {_fmt(an)} | {_fmt(b)} | {_fmt(c)} | {_ratio(a, an)}"
                f" | {_ratio(b, a)} | {_ratio(b, an)} | {_ratio(c, a)} |"
            )
        def rss(stages: dict, names: tuple[str, ...]) -> float | None:
            vals = [stages[n].get("peak_rss_mb") for n in names if n in stages]
            ok = all(stages[n].get("status") == "ok" for n in names if n in stages)
            return max((v for v in vals if v), default=None) if ok and vals else None

        for label, zn_, en, jn in (
            ("peak RSS, compile / setup", ("compile",), setup_stages, ("compile",)),
            ("peak RSS, prove", ("prove",), ("gen_witness", "prove"), ("witness", "prove")),
        ):
            zm, znm, em, jm = rss(zs, zn_), rss(zns, zn_), rss(ez, en), rss(js, jn)
            lines.append(
                f"| {label} | {_fmt(zm, 'MB')} | {_fmt(znm, 'MB')} | {_fmt(em, 'MB')}"
                f" | {_fmt(jm, 'MB')} | {_ratio(zm, znm)} | {_ratio(em, zm)} | {_ratio(em, znm)}"
                f" | {_ratio(jm, zm)} |"
            )
        zsz = z["sizes"].get("proof_bytes")
        znsz = zn["sizes"].get("proof_bytes")
        esz = peer["peers"].get("ezkl", {}).get("sizes", {}).get("proof_bytes")
        jsz = peer["peers"].get("jstprove", {}).get("sizes", {}).get("proof_bytes")
        kb = [None if v is None else v / 1024 for v in (zsz, znsz, esz, jsz)]
        lines.append(
            f"| proof | {_fmt(kb[0], 'KB')} | {_fmt(kb[1], 'KB')} | {_fmt(kb[2], 'KB')}"
            f" | {_fmt(kb[3], 'KB')} | {_ratio(zsz, znsz)} | | | |"
        )
        if zp and znp and ez_prove:
            share = (ez_prove / zp) / (ez_prove / znp)
            lines += ["", f"Hiding keeps {share:.0%} of the non-hiding prove-command speed ratio"
                      f" against EZKL ({ez_prove / zp:.0f}x against {ez_prove / znp:.0f}x;"
                      " target at least 67%)."]
        if core:
            one, many = core.get("1"), core.get("16")
            extra = (many - one) / 15 / one * 100 if one and many else None
            lines += [
                "",
                f"zkml core proving time (in process): {one:.3f} s for one input, {many:.3f} s"
                f" for a batch of 16 (each extra input {extra:.0f}% of a single proof);"
                f" verifying key {z['sizes']['vk_bytes'] / 1024:.0f} KB.",
            ]
        lines.append("")
    return lines


_SECTION_TITLES = {
    "## Foundation": "foundation",
    "## Inference proofs": "inference",
    "## Verifying many proofs": "verify_many",
}


def verify_many() -> list[str]:
    """Many proofs on several cores (benchmarks/verify_many.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import verify_many as bench_verify_many

    return bench_verify_many.section()


def _previous_model_blocks() -> dict[str, list[str]]:
    """The `### <model>` blocks of the previous inference section, by model name."""
    out: dict[str, list[str]] = {}
    current = None
    for line in _previous_sections().get("inference", []):
        if line.startswith("### "):
            current = line[4:].strip()
        if current is not None:
            out.setdefault(current, []).append(line)
    return out


def _previous_sections() -> dict[str, list[str]]:
    """The sections of the existing RESULTS.md: the generated ones by name, every other
    `## ` section (written by other benchmark scripts and by hand) by its title line, in
    file order, so that a run keeps them."""
    if not RESULTS.exists():
        return {}
    out: dict[str, list[str]] = {}
    current = None
    for line in RESULTS.read_text().splitlines():
        if line.startswith("## "):
            current = next((v for k, v in _SECTION_TITLES.items() if line.startswith(k)), line)
        if current is not None:
            out.setdefault(current, []).append(line)
    return {k: v[:-1] if v and not v[-1] else v for k, v in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=["foundation", "inference", "verify_many", "all"],
                        default="all")
    parser.add_argument("--peers", action="store_true", help="run EZKL and JSTprove now")
    parser.add_argument("--peer-names", default=None,
                        help="with --peers: which peers, comma-separated (default all)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"inference models, comma-separated (default {','.join(MODELS)})")
    args = parser.parse_args()
    models = tuple(m for m in args.models.split(",") if m)
    peer_names = tuple(args.peer_names.split(",")) if args.peer_names else None
    OUT.mkdir(parents=True, exist_ok=True)
    header = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`.venv/bin/python benchmarks/run.py`)"
        f" on {time.strftime('%Y-%m-%d')},",
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}.",
        "",
    ]
    # A section that is not rerun keeps its text from the previous RESULTS.md.
    old = _previous_sections()
    sections = {
        "foundation": foundation() if args.section in ("foundation", "all") else None,
        "inference": (inference(args.peers, models, peer_names)
                      if args.section in ("inference", "all") else None),
        "verify_many": verify_many() if args.section in ("verify_many", "all") else None,
    }
    body: list[str] = []
    for name, lines in sections.items():
        if lines is None:
            lines = old.get(name, [])
        body += [*lines, ""] if lines else []
    for name, lines in old.items():  # the sections this script does not write
        if name not in sections:
            body += [*lines, ""]
    text = "\n".join(header + body).rstrip() + "\n"
    tmp = RESULTS.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(RESULTS)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
