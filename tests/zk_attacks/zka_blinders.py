"""Blinders never repeat: every point and scalar of many kind-5 proofs, from this process
and from two processes proving at once with one compiled model file, is distinct."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from zka_elements import statement_end, walk_points

import zkml
from zkml.compiled_model import CompiledModel
from zkml.verifier.model_key import VerifyingKey
from zkml.verifier.proofs import read_header
from zkml.verifier.zk_inference import parse_hiding_inference

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def elements(vk: VerifyingKey, proof: bytes) -> list[bytes]:
    """Every 32-byte element a kind-5 proof sends after its statement: each point's two
    coordinates (the commitments, the opening's, the products, the sigma first messages)
    and each scalar (`tau`, the sigma responses). Parsed up to the tail (`V_x`, `V_y`,
    `tau`, the sigma batch), which has no counts: its bytes are points and scalars, 32
    bytes at a time."""
    _, rd = read_header(proof)
    p = parse_hiding_inference(rd, vk, 1 << 20)
    pts: list = []
    for name in ("c_w", "leaf_evals", "acc_evals", "extra", "argmax_evals", "sumcheck",
                 "sc_evals", "products"):
        walk_points(getattr(p, name), pts)
    walk_points([(t.root, t.layers) for t in p.logup], pts)
    while p.opening.remaining:
        pts.append(p.opening.g1())
    out = [c.to_bytes(32, "big") for q in pts for c in (q if q else (0, 0))]
    rest = p.tail.raw(p.tail.remaining)
    out += [rest[i:i + 32] for i in range(0, len(rest), 32)]
    return out


def prove_in_processes(cm: CompiledModel, x: np.ndarray, tmp: Path, n: int,
                       procs: int = 2) -> list[bytes]:
    """`procs` processes started together, each loading the same compiled model file and
    proving `x` `n` times; their proofs."""
    model = tmp / "model.zkmlc"
    if not model.exists():
        cm.save(model)
    np.save(tmp / "x.npy", x)
    out = tmp / "proofs"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, str(HERE / "zka_worker.py"), str(model), str(tmp / "x.npy"),
           str(out), str(n)]
    running = [subprocess.Popen(cmd, env=env) for _ in range(procs)]
    assert all(p.wait(timeout=600) == 0 for p in running)
    return [f.read_bytes() for f in sorted(out.glob("*.proof"))]


def repeats(vk: VerifyingKey, proofs: list[bytes]) -> tuple[int, int]:
    """(elements seen, elements seen more than once) over all `proofs`."""
    seen: set[bytes] = set()
    total = dup = 0
    for proof in proofs:
        for e in elements(vk, proof):
            total += 1
            dup += e in seen
            seen.add(e)
    return total, dup


def local_proofs(cm: CompiledModel, x: np.ndarray, n: int) -> list[bytes]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [zkml.prove(cm, x).proof for _ in range(n)]


def same_statement(vk: VerifyingKey, proofs: list[bytes]) -> bool:
    """Every proof states the same thing (identical bytes up to the statement's end)."""
    ends = {proof[:statement_end(vk, proof)] for proof in proofs}
    return len(ends) == 1


def shared_runs(vk: VerifyingKey, proofs: list[bytes], width: int = 16) -> int:
    """How many `width`-byte runs past the statement of a proof also occur past the
    statement of an earlier one (tests/test_hiding_end_to_end.py checks one pair of
    digits proofs; this checks every pair of many, across processes)."""
    seen: set[bytes] = set()
    shared = 0
    for proof in proofs:
        start = statement_end(vk, proof)
        runs = {proof[i:i + width] for i in range(start, len(proof) - width + 1)}
        shared += len(runs & seen)
        seen |= runs
    return shared
