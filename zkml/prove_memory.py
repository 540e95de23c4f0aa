"""How much memory proving a compiled model takes, estimated from its circuit, and the
refusal of a proof that cannot fit (before any witness is built).

The prover's peak grows with two sizes the circuit fixes: the model stack's `2^n`
entries (held as 32-byte field elements while it is opened) and the witness's limb
entries for the batch (`Circuit.witness_size`: each is a field element, a LogUp leaf
pair and its share of the fraction tree's layers). The per-entry costs below are fitted
to peak resident sizes measured with `/usr/bin/time -v` on models from a few thousand
to 33 million stack entries (benchmarks/RESULTS.md, "Memory"), rounded up so that the
estimate is an upper bound on every measured run.

The memory a proof may use is the environment variable `ZKML_PROVE_MEMORY` when set
(a byte count, or a number with a K, M or G suffix: powers of 1024), else the memory
the system reports available (`MemAvailable` of /proc/meminfo) capped by the process's
address-space limit (`ulimit -v`). Where neither is known nothing is refused.
"""

from __future__ import annotations

import os
import re
import resource
from pathlib import Path

from zkml.errors import ProveMemoryError, ProverError

__all__ = ["estimate_prove_bytes", "available_bytes", "check_prove_memory", "format_bytes",
           "ProveMemoryError", "MEMORY_ENV"]

#: The environment variable that sets the memory a proof may use.
MEMORY_ENV = "ZKML_PROVE_MEMORY"

#: Bytes for the interpreter, numpy, onnx and the native module, before any model.
BASE_BYTES = 400 << 20
#: Bytes per model-stack entry (the stack as int64 in Python and field elements in
#: Rust, the opening's row combinations).
MODEL_ENTRY_BYTES = 48
#: Bytes per witness limb entry (Python's limb columns, Rust's field elements, the
#: LogUp leaves and tree layers, the sumchecks' folded copies).
WITNESS_ENTRY_BYTES = 400

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def estimate_prove_bytes(circuit, batch: int = 1) -> int:
    """Estimated peak resident bytes of proving `batch` rows of `circuit`
    (a `zkml.compiler.circuit.Circuit`)."""
    model_entries = 1 << circuit.model_stack.num_vars
    witness_entries = circuit.witness_size(batch)
    return BASE_BYTES + MODEL_ENTRY_BYTES * model_entries + \
        WITNESS_ENTRY_BYTES * witness_entries


def parse_bytes(text: str) -> int:
    """`"12G"`, `"512M"`, `"1073741824"` -> bytes (powers of 1024); ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if m is None:
        raise ValueError(f"not a byte count: {text!r} (e.g. 8G, 512M, 1073741824)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def available_bytes() -> int | None:
    """The memory a proof may use: `ZKML_PROVE_MEMORY`, else the system's available
    memory capped by the address-space limit; None when unknown."""
    env = os.environ.get(MEMORY_ENV)
    if env is not None and env.strip():
        try:
            return parse_bytes(env)
        except ValueError as exc:
            raise ProverError(f"{MEMORY_ENV}: {exc}") from None
    limits = [v for v in (_mem_available(), _address_space_limit()) if v is not None]
    return min(limits) if limits else None


def _mem_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    m = re.search(r"^MemAvailable:\s+(\d+)\s+kB", text, re.MULTILINE)
    return int(m.group(1)) << 10 if m else None


def _address_space_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def format_bytes(n: int) -> str:
    """`1536 << 20` -> `"1.5 GB"` (powers of 1024, as `free -h`)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def check_prove_memory(circuit, batch: int, limit: int | None = None) -> int:
    """Refuse (ProveMemoryError, one line) a proof whose estimate exceeds `limit`
    (default `available_bytes()`); returns the estimate."""
    need = estimate_prove_bytes(circuit, batch)
    have = available_bytes() if limit is None else limit
    if have is not None and need > have:
        source = f"{MEMORY_ENV}" if limit is None and os.environ.get(MEMORY_ENV) else \
            "available"
        raise ProveMemoryError(
            f"proving {batch} row(s) needs about {format_bytes(need)} of memory, "
            f"{format_bytes(have)} {source}; free memory, prove fewer rows at once, or "
            f"prove anyway with --ignore-memory")
    return need
