"""The coverage-guided fuzz target (atheris / libFuzzer) over the pure-Python verifier.

Run by tests/fuzz/test_fuzz_long.py, or by hand (README.md beside this file):

    python tests/fuzz/atheris_target.py WORKDIR [libFuzzer flags] [CORPUS_DIR ...]

WORKDIR holds what the test wrote: `targets.json` (for each target its kind, "proof",
"key" or "trusted", and the key and proof files it uses) and the artifacts. An input is
one selector byte (which target) then the artifact bytes. The verifier's modules are
instrumented, so libFuzzer keeps inputs that reach new code; its mutations (with
comparison feedback: it learns digests and counts the parser compares) are mixed with
the structure-aware ones of mutate.py and circuit_mutate.py. A finding (an outcome other
than a plain rejection, see oracle.py) raises, and libFuzzer saves the input as a crash
file; libFuzzer's -rss_limit_mb and -timeout catch huge allocations and hangs.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["zkml.verifier", "zkml.artifacts", "zkml.api"]):
    import zkml.api  # noqa: F401 - imported under instrumentation
    import zkml.artifacts  # noqa: F401
    import zkml.verifier  # noqa: F401

from circuit_mutate import CircuitMutator  # noqa: E402 - after the instrumented imports
from mutate import Artifact, Mutator, trace_fields  # noqa: E402
from oracle import circuit_target, judge, key_target, proof_target  # noqa: E402

from zkml.verifier import VerifyingKey  # noqa: E402


class FindingError(Exception):
    """An outcome other than a plain rejection (libFuzzer saves the input)."""


def _load(workdir: Path):
    """The targets' calls, their seed artifacts (fields traced) and every valid artifact."""
    spec = json.loads((workdir / "targets.json").read_text())
    calls, seeds, valid = [], [], set()
    for t in spec["targets"]:
        key = (workdir / t["key"]).read_bytes()
        proof = (workdir / t["proof"]).read_bytes()
        valid |= {key, proof}
        if t["kind"] == "proof":
            calls.append(proof_target(key))
            seeds.append(Artifact(t["name"], proof, trace_fields(proof, calls[-1])))
        else:
            calls.append(key_target if t["kind"] == "key" else circuit_target(proof))
            seeds.append(Artifact(t["name"], key, trace_fields(key, VerifyingKey.from_bytes)))
    return calls, seeds, valid


WORKDIR = Path(sys.argv[1]).resolve()
CALLS, SEEDS, VALID = _load(WORKDIR)
_BY_SEED = {s.data: s for s in SEEDS}
_JSON: dict[bytes, CircuitMutator] = {}


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    payload = data[1:]
    if payload in VALID:
        return
    outcome = judge(CALLS[data[0] % len(CALLS)], payload)
    if not outcome.ok:
        raise FindingError(outcome.describe())


def _structured(data: bytes, rng: random.Random) -> bytes:
    """A mutate.py operator on the current input (the selector's seed's fields, where they
    still lie inside it, and every seed as a splice partner), or a circuit-JSON edit of
    the selector's seed key."""
    sel, payload = data[0], data[1:]
    seed = SEEDS[sel % len(SEEDS)]
    if seed.data[6:7] == b"\x04" and rng.random() < 0.3:
        cm = _JSON.get(seed.data)
        if cm is None:
            cm = _JSON[seed.data] = CircuitMutator(seed)
        return bytes([sel]) + cm.mutant(rng.randrange(1 << 30), rng.randrange(1 << 30)).data
    fields = tuple(f for f in seed.fields if f.end <= len(payload))
    return bytes([sel]) + Mutator(Artifact(seed.name, payload, fields), SEEDS).apply(rng).data


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    if len(data) < 2 or rng.random() < 0.6:
        return atheris.Mutate(data, max_size)
    return _structured(data, rng)[:max_size]


def main() -> None:
    # a stable hash of the target list, so a saved corpus is only reused with its targets
    print(f"fuzz targets: {len(CALLS)} "
          f"({hashlib.sha256((WORKDIR / 'targets.json').read_bytes()).hexdigest()[:12]})",
          flush=True)
    atheris.Setup([sys.argv[0], *sys.argv[2:]], test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
