"""Size limits of every file zkml reads (circuits/encoding.md, "Limits on files").

Each reader checks a file's size (and, for a zip, its directory and every entry's
declared and actual inflated size) against one of these limits before it allocates,
inflates or reads the whole file, so a forged or damaged file costs a stat and a few
bytes, not gigabytes. The defaults are generous for real models (compiled models of
about 100 MB, proofs and keys of tens of MB); a user who needs more sets the limit's
environment variable to a byte count, read when the file is opened:

    ZKML_MAX_PROOF_BYTES=1073741824 zkml verify big.proof --vk big.vk

The pure-Python verifier keeps its own limits (zkml/verifier/encoding.py): it shares
no code with this side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from zkml.errors import InputError

__all__ = [
    "Limit",
    "PROOF",
    "VERIFYING_KEY",
    "MODEL_FILE",
    "MODEL_ENTRIES",
    "MODEL_ENTRY",
    "MODEL_HEADER",
    "MODEL_INFLATED",
    "ARRAY_FILE",
    "ARRAY_ENTRIES",
    "JSON_FILE",
    "ZIP_DIRECTORY",
    "NPY_HEADER",
    "ALL",
    "ZipLimits",
    "MODEL_ZIP",
]

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limit:
    """One named limit: a default and the environment variable that overrides it."""

    what: str
    env: str
    default: int
    unit: str = "bytes"

    def value(self) -> int:
        """The limit in force: the environment variable if set, else the default.

        Raises InputError for a value that is not a positive integer (a typo must not
        silently lift or zero a limit)."""
        raw = os.environ.get(self.env)
        if raw is None or raw.strip() == "":
            return self.default
        try:
            n = int(raw.strip(), 10)
        except ValueError:
            raise InputError(f"{self.env}={raw!r} is not a whole number of bytes") from None
        if n <= 0:
            raise InputError(f"{self.env}={raw!r} must be positive")
        return n

    def refuse(self, size: int | None, path: object = None) -> str:
        """The one-line message for `size` (None: unknown, more than the limit) over this
        limit; it names the environment variable that raises it."""
        where = f"{path}: " if path is not None else ""
        amount = f"more than {self.value()}" if size is None else str(size)
        return (f"{where}{self.what} of {amount} {self.unit} exceeds the limit of "
                f"{self.value()} {self.unit} (set {self.env} to raise it)")


#: A proof file (kind 3, or the foundation's kinds 1 and 2).
PROOF = Limit("proof file", "ZKML_MAX_PROOF_BYTES", 256 * MiB)
#: A verifying-key file (kind 4), on disk or inside a compiled model.
#: (A key is its circuit JSON, at most 32 MiB by the verifier's own limit, and a few
#: commitments: a few MB for the largest models.)
VERIFYING_KEY = Limit("verifying key", "ZKML_MAX_KEY_BYTES", 64 * MiB)
#: A compiled-model file (a zip) on disk.
MODEL_FILE = Limit("compiled model file", "ZKML_MAX_MODEL_BYTES", 1 * GiB)
#: Entries of a compiled model's zip (one per weight tensor and a few more).
MODEL_ENTRIES = Limit("compiled model", "ZKML_MAX_MODEL_ENTRIES", 1 << 16, "entries")
#: One inflated entry of a compiled model (the largest is the model stack's .npy).
MODEL_ENTRY = Limit("compiled-model entry", "ZKML_MAX_MODEL_ENTRY_BYTES", 1 * GiB)
#: The compiled model's header.json (a SHA-256 per entry), inflated.
MODEL_HEADER = Limit("compiled-model header", "ZKML_MAX_MODEL_HEADER_BYTES", 64 * MiB)
#: All entries of a compiled model together, inflated.
MODEL_INFLATED = Limit("inflated compiled model", "ZKML_MAX_MODEL_INFLATED_BYTES", 4 * GiB)
#: An input or calibration array file (.npy, .npz): the file and, for .npz, its
#: entries inflated together.
ARRAY_FILE = Limit("array file", "ZKML_MAX_ARRAY_BYTES", 1 * GiB)
#: Arrays in one .npz (one per model input).
ARRAY_ENTRIES = Limit(".npz archive", "ZKML_MAX_ARRAY_ENTRIES", 4096, "arrays")
#: An input or calibration JSON file (parsing costs several times its size in memory).
JSON_FILE = Limit("JSON file", "ZKML_MAX_JSON_BYTES", 256 * MiB)
#: A zip's central directory (names and sizes of the entries), read before any entry.
ZIP_DIRECTORY = Limit("zip directory", "ZKML_MAX_ZIP_DIRECTORY_BYTES", 16 * MiB)
#: A .npy header (a short Python-literal dict; numpy's own default bound is 10,000).
NPY_HEADER = Limit(".npy header", "ZKML_MAX_NPY_HEADER_BYTES", 64 * KiB)

#: Every limit, for documentation and tests.
ALL: tuple[Limit, ...] = (PROOF, VERIFYING_KEY, MODEL_FILE, MODEL_ENTRIES, MODEL_ENTRY,
                          MODEL_HEADER, MODEL_INFLATED, ARRAY_FILE, ARRAY_ENTRIES, JSON_FILE,
                          ZIP_DIRECTORY, NPY_HEADER)


@dataclass(frozen=True)
class ZipLimits:
    """The limits a zip is read under: the file, its entry count, one inflated entry and
    all inflated entries together (`zkml.fileio.BoundedZip`)."""

    file: Limit
    entries: Limit
    entry: Limit
    total: Limit


#: A compiled-model file (zkml/quant/container.py).
MODEL_ZIP = ZipLimits(file=MODEL_FILE, entries=MODEL_ENTRIES, entry=MODEL_ENTRY,
                      total=MODEL_INFLATED)
