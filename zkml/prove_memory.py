"""How much memory proving a compiled model takes, estimated from its circuit, and the
refusal of a proof that cannot fit (before any witness is built).

The prover's peak grows with two sizes the circuit fixes: the model stack's `M = 2^n`
entries and the witness's `W` limb entries for the batch (`Circuit.witness_size`). Both
are held throughout (the stack as int64 in Python and 32-byte field elements in Rust,
the limb columns likewise), and on top of that comes the larger of two phases: LogUp
over the witness's lookups (leaf pairs and the fraction tree's layers, per `W`) and the
model stack's hiding opening (two more field-element tables of the stack, per `M`).
The per-entry costs are fitted to peak resident sizes measured with `/usr/bin/time -v`
(benchmarks/RESULTS.md, "Memory": the digits MLP, a LeNet, ResNet-18 at 64x64 and
224x224), rounded up so that the estimate bounds every measured run from above.

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

#: Bytes for the interpreter, numpy and the native module, before any model.
BASE_BYTES = 100 << 20
#: Bytes per model-stack entry held throughout (int64 in Python, a field element in Rust,
#: the loaded file's copy).
MODEL_ENTRY_BYTES = 56
#: Bytes per witness limb entry held throughout (int64 columns, field elements).
WITNESS_ENTRY_BYTES = 48
#: The model stack's hiding opening: two more field-element tables of the stack.
OPENING_ENTRY_BYTES = 64
#: LogUp over the witness's lookups: leaf numerators and denominators (64 B) and the
#: fraction tree's layers, with the sumchecks' folded copies.
LOGUP_ENTRY_BYTES = 320

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def estimate_prove_bytes(circuit, batch: int = 1) -> int:
    """Estimated peak resident bytes of proving `batch` rows of `circuit`
    (a `zkml.compiler.circuit.Circuit`)."""
    model_entries = 1 << circuit.model_stack.num_vars
    witness_entries = circuit.witness_size(batch)
    held = MODEL_ENTRY_BYTES * model_entries + WITNESS_ENTRY_BYTES * witness_entries
    phase = max(OPENING_ENTRY_BYTES * model_entries, LOGUP_ENTRY_BYTES * witness_entries)
    return BASE_BYTES + held + phase


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
            "prove anyway (check_memory=False in Python, --ignore-memory on the command "
            "line)")
    return need
