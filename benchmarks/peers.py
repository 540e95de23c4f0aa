"""Run the peer provers (EZKL, JSTprove) on one ONNX model, stage by stage.

    bash benchmarks/install_peers.sh                       # once: peers venv + OpenMPI + time
    .venv/bin/python benchmarks/peers.py mlp lenet_avg     # names from benchmarks/models.py
    .venv/bin/python benchmarks/peers.py mlp --peers jstprove --timeout 600

Every stage runs in its own subprocess under `/usr/bin/time -v` with the peers venv's
python (benchmarks/out/venv-peers, see install_peers.sh), so the project venv needs
nothing but the standard library to call `run_peers`. Per stage we record wall seconds
(whole process: interpreter start and imports included), peak RSS (the largest single
process of the stage, as reported by time -v), exit status, the load average at start,
and for EZKL the seconds spent inside the ezkl call. A stage that fails or exceeds its
timeout is recorded and the peer's later stages are skipped; it never raises.

Results go to benchmarks/out/peers-<model>.json; artifacts to
benchmarks/out/peers/<model>/<peer>/ (wiped at the start of each run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
PEERS_VENV = Path(os.environ.get("PEERS_VENV", OUT / "venv-peers"))
TIME_BIN = "/usr/bin/time"
DEFAULT_TIMEOUT = 30 * 60
# How allocation failures under the cap show up in the peers' logs (Rust, Go, Python).
OOM_PATTERN = (
    r"memory allocation of \d+ bytes failed|out of memory|MemoryError|cannot allocate memory"
)
# Address-space cap per stage, so that a peer that outgrows the machine fails alone
# instead of waking the OOM killer for everyone's processes.
DEFAULT_MEM_LIMIT_GB = 20.0
PEERS = ("ezkl", "jstprove")

# One EZKL call in a fresh process: python -c EZKL_STAGE <function> <json kwargs>.
# Prints the seconds spent inside the call; exits non-zero when ezkl reports failure.
EZKL_STAGE = """
import asyncio, json, sys, time
import ezkl
fn, kwargs = sys.argv[1], json.loads(sys.argv[2])
t0 = time.perf_counter()
res = getattr(ezkl, fn)(**kwargs)
if asyncio.iscoroutine(res):
    res = asyncio.run(res)
dt = time.perf_counter() - t0
print("EZKL_STAGE_SECONDS", dt)
sys.exit(1 if res is False else 0)
"""

# Settings fields worth reporting (the rest is in the settings file itself).
EZKL_SETTING_KEYS = (
    "logrows", "input_visibility", "output_visibility", "param_visibility",
    "input_scale", "param_scale", "scale_rebase_multiplier", "lookup_range",
    "num_inner_cols", "check_mode", "decomp_base", "decomp_legs",
)  # fmt: skip


def peer_python(venv: Path = PEERS_VENV) -> Path:
    return venv / "bin" / "python"


def peer_versions(venv: Path = PEERS_VENV) -> dict:
    code = (
        "import importlib.metadata as m, json\n"
        "v = {}\n"
        "for p in ('ezkl', 'jstprove'):\n"
        "    try: v[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: v[p] = None\n"
        "print(json.dumps(v))\n"
    )
    try:
        out = subprocess.run(
            [str(peer_python(venv)), "-c", code], capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout)
    except (OSError, subprocess.CalledProcessError, json.JSONDecodeError) as e:
        return {"error": str(e)}


def parse_time_v(text: str) -> dict:
    """Peak RSS and CPU seconds from GNU time -v output."""
    out = {}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["peak_rss_mb"] = round(int(m.group(1)) / 1024, 1)
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    if user and system:
        out["cpu_seconds"] = round(float(user.group(1)) + float(system.group(1)), 2)
    return out


@dataclass(frozen=True)
class Limits:
    timeout: float = DEFAULT_TIMEOUT  # seconds, per stage
    mem_gb: float = DEFAULT_MEM_LIMIT_GB  # address space, per stage
    peer_budget: float | None = None  # seconds for all stages of one peer
    deadline: float | None = None  # time.perf_counter() value, set from peer_budget


def _limit_memory(gb: float):
    def apply() -> None:
        n = int(gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (n, n))

    return apply


def run_stage(name: str, cmd: list[str], cwd: Path, lim: Limits, env: dict) -> dict:
    """Run one stage under /usr/bin/time -v; never raises on failure or timeout."""
    time_file = cwd / f"{name}.time"
    log_file = cwd / f"{name}.log"
    full = [TIME_BIN, "-v", "-o", str(time_file), *cmd]
    rec: dict = {"command": " ".join(cmd), "load_avg_1m": round(os.getloadavg()[0], 2)}
    t0 = time.perf_counter()
    timeout = lim.timeout
    if lim.deadline is not None:
        timeout = max(1.0, min(timeout, lim.deadline - t0))
    with open(log_file, "w") as log:
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limit_memory(lim.mem_gb),
        )
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the stage's own process group only
            proc.wait()
            rc = None
    rec["seconds"] = round(time.perf_counter() - t0, 3)
    if time_file.exists():
        rec.update(parse_time_v(time_file.read_text()))
    log_text = log_file.read_text(errors="replace")
    m = re.search(r"EZKL_STAGE_SECONDS ([\d.eE+-]+)", log_text)
    if m:
        rec["in_process_seconds"] = round(float(m.group(1)), 3)
    if rc is None:
        rec["status"] = "timeout"
        rec["error"] = f"killed after {timeout:.0f} s (stage timeout or peer budget)"
    elif rc != 0:
        rec["status"] = "failed"
        rec["error"] = "\n".join(log_text.strip().splitlines()[-8:])
        oom = re.search(OOM_PATTERN, log_text)
        if oom:
            rec["status"] = "out_of_memory"
            rec["error"] = f"{oom.group(0)} (address-space cap {lim.mem_gb:g} GB)"
    else:
        rec["status"] = "ok"
    rec["log"] = str(log_file)
    print(
        f"  {name:18s} {rec['status']:8s} {rec['seconds']:9.2f} s"
        f"  {rec.get('peak_rss_mb', 0):9.1f} MB",
        flush=True,
    )
    return rec


def file_size(path: Path) -> int | None:
    return path.stat().st_size if path.exists() else None


def run_stages(stages: list[tuple[str, list[str]]], cwd: Path, lim: Limits, env: dict) -> dict:
    """Run stages in order; after the first failure the rest are marked skipped.

    Every tool runs as a user's install would: with Python's bytecode cache on (a
    sandbox's PYTHONDONTWRITEBYTECODE would make each fresh process recompile every
    module it imports, a start-up cost no installed package pays)."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    results: dict = {}
    failed = None
    for name, cmd in stages:
        if failed:
            results[name] = {"status": "skipped", "error": f"after {failed} did not finish"}
            continue
        results[name] = run_stage(name, cmd, cwd, lim, env)
        if results[name]["status"] != "ok":
            failed = name
    return results


def ezkl_stage(fn: str, venv: Path, **kwargs) -> list[str]:
    return [str(peer_python(venv)), "-c", EZKL_STAGE, fn, json.dumps(kwargs)]


def run_ezkl(model: Path, data: Path, work: Path, lim: Limits, venv: Path) -> dict:
    """EZKL 23: settings, calibration, compile, local SRS, setup, witness, prove, verify."""
    p = {
        "settings": work / "settings.json",
        "compiled": work / "model.compiled",
        "srs": work / "kzg.srs",
        "vk": work / "vk.key",
        "pk": work / "pk.key",
        "witness": work / "witness.json",
        "proof": work / "proof.json",
    }
    s = {k: str(v) for k, v in p.items()}
    env = dict(os.environ)
    res: dict = {"workdir": str(work)}

    # Settings first: the SRS size depends on the logrows that calibration picks.
    first = [
        ("gen_settings", ezkl_stage("gen_settings", venv, model=str(model), output=s["settings"])),
        (
            "calibrate_settings",
            ezkl_stage(
                "calibrate_settings", venv,
                data=str(data), model=str(model), settings=s["settings"], target="resources",
            ),
        ),
        (
            "compile_circuit",
            ezkl_stage(
                "compile_circuit", venv,
                model=str(model), compiled_circuit=s["compiled"], settings_path=s["settings"],
            ),
        ),
    ]  # fmt: skip
    stages = run_stages(first, work, lim, env)
    res["stages"] = stages
    if any(r["status"] != "ok" for r in stages.values()):
        return res

    settings = json.loads(p["settings"].read_text())
    run_args = settings.get("run_args", {})
    res["settings"] = {k: run_args.get(k) for k in EZKL_SETTING_KEYS if k in run_args}
    res["settings"]["num_rows"] = settings.get("num_rows")
    res["settings"]["total_assignments"] = settings.get("total_assignments")
    logrows = int(run_args["logrows"])

    rest = [
        ("gen_srs", ezkl_stage("gen_srs", venv, srs_path=s["srs"], logrows=logrows)),
        (
            "setup",
            ezkl_stage(
                "setup", venv,
                model=s["compiled"], vk_path=s["vk"], pk_path=s["pk"], srs_path=s["srs"],
            ),
        ),
        (
            "gen_witness",
            ezkl_stage(
                "gen_witness", venv, data=str(data), model=s["compiled"], output=s["witness"],
            ),
        ),
        (
            "prove",
            ezkl_stage(
                "prove", venv,
                witness=s["witness"], model=s["compiled"], pk_path=s["pk"],
                proof_path=s["proof"], srs_path=s["srs"],
            ),
        ),
        (
            "verify",
            ezkl_stage(
                "verify", venv,
                proof_path=s["proof"], settings_path=s["settings"], vk_path=s["vk"],
                srs_path=s["srs"],
            ),
        ),
    ]  # fmt: skip
    stages.update(run_stages(rest, work, lim, env))
    res["sizes"] = {
        "proof_bytes": file_size(p["proof"]),
        "pk_bytes": file_size(p["pk"]),
        "vk_bytes": file_size(p["vk"]),
        "srs_bytes": file_size(p["srs"]),
        "compiled_bytes": file_size(p["compiled"]),
        "witness_bytes": file_size(p["witness"]),
    }
    return res


def find_expander_exec(venv: Path) -> Path | None:
    """The expander-exec binary shipped inside the jstprove wheel."""
    hits = sorted(venv.glob("lib/python3*/site-packages/python/core/binaries/expander-exec"))
    return hits[0] if hits else None


def run_jstprove(model: Path, data: Path, work: Path, lim: Limits, venv: Path) -> dict:
    """JSTprove CLI compile/witness/prove/verify, then expander-exec prove/verify alone."""
    # The CLI resolves its side files relative to the circuit path and writes
    # <input>_adjusted.json next to the input: absolute paths, input copied into work/.
    p = {
        "model": work / "model.onnx",
        "input": work / "input.json",
        "circuit": work / "circuit.txt",
        "output": work / "output.json",
        "witness": work / "witness.bin",
        "proof": work / "proof.bin",
        "proof_raw": work / "proof_expander.bin",
    }
    shutil.copyfile(model, p["model"])
    shutil.copyfile(data, p["input"])
    s = {k: str(v) for k, v in p.items()}
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    jst = [str(venv / "bin" / "jst"), "--no-banner"]
    stages = [
        ("compile", [*jst, "compile", "-m", s["model"], "-c", s["circuit"]]),
        (
            "witness",
            [*jst, "witness", "-c", s["circuit"], "-i", s["input"], "-o", s["output"],
             "-w", s["witness"]],
        ),
        ("prove", [*jst, "prove", "-c", s["circuit"], "-w", s["witness"], "-p", s["proof"]]),
        (
            "verify",
            [*jst, "verify", "-c", s["circuit"], "-i", s["input"], "-o", s["output"],
             "-w", s["witness"], "-p", s["proof"]],
        ),
    ]  # fmt: skip
    expander = find_expander_exec(venv)
    if expander is not None:
        exe = [str(expander), "-p", "Hyrax"]
        stages += [
            (
                "expander_prove",
                [*exe, "prove", "-c", s["circuit"], "-w", s["witness"], "-o", s["proof_raw"]],
            ),
            (
                "expander_verify",
                [*exe, "verify", "-c", s["circuit"], "-w", s["witness"], "-i", s["proof_raw"]],
            ),
        ]
    res: dict = {"workdir": str(work), "expander_exec": str(expander) if expander else None}
    res["stages"] = run_stages(stages, work, lim, env)
    res["sizes"] = {
        "proof_bytes": file_size(p["proof"]),
        "expander_proof_bytes": file_size(p["proof_raw"]),
        "circuit_bytes": file_size(p["circuit"]),
        "witness_solver_bytes": file_size(work / "circuit_witness_solver.txt"),
        "witness_bytes": file_size(p["witness"]),
        "quantized_model_bytes": file_size(work / "circuit_quantized_model.onnx"),
    }
    return res


RUNNERS = {"ezkl": run_ezkl, "jstprove": run_jstprove}


def run_peers(
    model_path: str | Path,
    input_path: str | Path,
    peers: tuple[str, ...] | list[str] = PEERS,
    timeout: float = DEFAULT_TIMEOUT,
    mem_limit_gb: float = DEFAULT_MEM_LIMIT_GB,
    peer_budget: float | None = None,
    out_dir: str | Path = OUT,
    venv: str | Path = PEERS_VENV,
    name: str | None = None,
) -> dict:
    """Run each peer on the model; write and return out_dir/peers-<name>.json.

    `timeout` (seconds) and `mem_limit_gb` (address space) apply to each stage separately;
    `peer_budget` (seconds), if given, caps all stages of one peer together.
    Missing peers, failures and timeouts are recorded in the result (status per stage),
    never raised.
    """
    model_path, input_path = Path(model_path).resolve(), Path(input_path).resolve()
    out_dir, venv = Path(out_dir), Path(venv)
    name = name or model_path.stem
    lim = Limits(timeout, mem_limit_gb, peer_budget)
    result: dict = {
        "model": name,
        "model_path": str(model_path),
        "input_path": str(input_path),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cores": os.cpu_count(),
            "arch": platform.machine(),
            "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "timeout_seconds": timeout,
        "mem_limit_gb": mem_limit_gb,
        "peer_budget_seconds": peer_budget,
        "versions": peer_versions(venv),
        "peers": {},
    }
    for peer in peers:
        print(f"{peer} on {name}:", flush=True)
        if not peer_python(venv).exists() or not Path(TIME_BIN).exists():
            result["peers"][peer] = {
                "error": f"{peer_python(venv)} or {TIME_BIN} missing:"
                " run bash benchmarks/install_peers.sh"
            }
            continue
        work = out_dir / "peers" / name / peer
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        plim = lim
        if lim.peer_budget is not None:
            plim = replace(lim, deadline=time.perf_counter() + lim.peer_budget)
        result["peers"][peer] = RUNNERS[peer](model_path, input_path, work, plim, venv)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"peers-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _fmt_s(rec: dict | None) -> str:
    if not rec:
        return "-"
    if rec.get("status") != "ok":
        return rec.get("status", "-")
    return f"{rec['seconds']:.2f} s"


def _fmt_kb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:.0f} KB"


def _fmt_mb(n: int | None) -> str:
    return "-" if n is None else f"{n / 2**20:.1f} MB"


def summary(result: dict) -> str:
    """Markdown tables of one run_peers result: seconds and peak RSS per stage, sizes."""
    lines = [f"### {result['model']} ({result['date']})", ""]
    for peer, res in result["peers"].items():
        version = result["versions"].get(peer)
        lines.append(f"{peer} {version}:")
        lines.append("")
        if "stages" not in res:
            lines += [f"not run: {res.get('error')}", ""]
            continue
        lines += [
            "| stage | wall | in process | CPU | peak RSS | load |",
            "|---|---|---|---|---|---|",
        ]
        for stage, rec in res["stages"].items():
            inner = rec.get("in_process_seconds")
            cpu = rec.get("cpu_seconds")
            rss = rec.get("peak_rss_mb")
            lines.append(
                f"| {stage} | {_fmt_s(rec)} | {'-' if inner is None else f'{inner:.2f} s'}"
                f" | {'-' if cpu is None else f'{cpu:.1f} s'}"
                f" | {'-' if rss is None else f'{rss:.0f} MB'} | {rec.get('load_avg_1m', '-')} |"
            )
        sizes = res.get("sizes", {})
        parts = []
        for key, val in sizes.items():
            label = key.removesuffix("_bytes")
            small = key in ("proof_bytes", "vk_bytes", "expander_proof_bytes")
            parts.append(f"{label} {_fmt_kb(val) if small else _fmt_mb(val)}")
        lines += ["", "sizes: " + ", ".join(parts)]
        if "settings" in res:
            lines.append("settings: " + json.dumps(res["settings"]))
        lines.append("")
    return "\n".join(lines)


def summary_file(path: str | Path) -> str:
    """summary() of a saved peers-<model>.json."""
    return summary(json.loads(Path(path).read_text()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="benchmark model names (benchmarks/models.py)")
    parser.add_argument("--peers", default=",".join(PEERS), help="comma-separated: ezkl,jstprove")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per stage")
    parser.add_argument(
        "--mem-limit-gb", type=float, default=DEFAULT_MEM_LIMIT_GB, help="address space per stage"
    )
    parser.add_argument(
        "--peer-budget", type=float, default=None, help="seconds for all stages of one peer"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import models  # benchmarks/models.py; needs onnx, so imported only here

    peers = [p for p in args.peers.split(",") if p]
    for p in peers:
        if p not in RUNNERS:
            parser.error(f"unknown peer {p!r}")
    for name in args.models:
        model_path, input_path = models.build(name)
        result = run_peers(
            model_path,
            input_path,
            peers=peers,
            timeout=args.timeout,
            mem_limit_gb=args.mem_limit_gb,
            peer_budget=args.peer_budget,
            name=name,
        )
        print(summary(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
