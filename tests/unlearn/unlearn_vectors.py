"""`circuits/vectors/unlearning.json`: byte-level vectors of circuits/unlearning.md (a
small request and its C_req, malformed requests, lineage heads, the C_D digest, the
bounds of section 4), for the future prover and verifier to check against.

    .venv/bin/python tests/unlearn/unlearn_vectors.py      # rewrites the file

Deterministic; `tests/unlearn/test_unlearn_vectors.py` fails when the file differs from this
generator's output.
"""

from __future__ import annotations

import dataclasses
import json
import struct
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "circuits" / "vectors" / "unlearning.json"
sys.path.insert(0, str(ROOT))

from zkml.unlearn.lineage import Lineage, Record  # noqa: E402
from zkml.unlearn.params import Formats, bounds  # noqa: E402
from zkml.unlearn.register import c_d_of  # noqa: E402
from zkml.unlearn.request import Request  # noqa: E402


def small_request() -> Request:
    """2 x 19 weights, blocks of 16 (two per row, the second padded), rank 2."""
    mask = np.zeros((2, 19), dtype=bool)
    mask[0, [1, 17]] = True
    mask[1, 5] = True
    req = Request("fc1", "fc1.weight", 2, 19, 16, 2, 16, 14, Fraction(1, 8),
                  Fraction(1, 1 << 18), Fraction(32), 8, 3, 100000, mask,
                  np.zeros((3, 16, 2), dtype=np.int64))
    u = np.zeros((3, 16, 2), dtype=np.int64)
    for b, (o, j) in enumerate(req.affected()):
        free = ~req.block_mask(o, j) & (np.arange(16) + 16 * j < 19)
        idx = np.nonzero(free)[0]
        u[b, idx[0], 0], u[b, idx[1], 1] = 1 << 14, -(1 << 13)
    return dataclasses.replace(req, u=u)


def _bad(data: bytes) -> list[dict]:
    u_at = len(data) - 3 * 16 * 2 * 2          # three blocks of 16 x 2 int16
    last_mask = u_at - 4 - 1                    # the mask's fifth byte: bits 32..39
    masked_u = u_at + (1 * 2 + 0) * 2           # block (0, 0), coordinate 1 (masked), column 0
    cases = [("bad magic", b"X" + data[1:]),
             ("version 2", data[:8] + struct.pack("<I", 2) + data[12:]),
             ("truncated", data[:-1]), ("trailing byte", data + b"\0"),
             ("mask bit past the layer (bit 39 of 38)",
              data[:last_mask] + bytes([data[last_mask] | 0x80]) + data[last_mask + 1:]),
             ("U on a masked coordinate",
              data[:masked_u] + struct.pack("<h", 5) + data[masked_u + 2:])]
    return [{"why": why, "hex": b.hex()} for why, b in cases]


def generate() -> dict:
    req = small_request()
    data = req.to_bytes()
    reg = Record.registration(bytes(range(32)), bytes(range(32, 64)), bytes(range(64, 96)),
                              500)
    vals = dict(prev=reg.head, vk=reg.vk, vk_new="ab" * 32, model_commitment="cd" * 32,
                c_req=req.c_req.hex(), c_d=reg.c_d, proof="12" * 32)
    upd = Record(1, "update", n=500, head=Record.head_of(**vals), **vals)
    fms = {"digits 64x32": Formats(16, 14, 12, 11, 500, 64, 4, 16, 14),
           "784x256": Formats(16, 14, 12, 12, 128, 64, 4, 16, 14)}
    return {
        "request": {"hex": data.hex(), "c_req": req.c_req.hex(), "id": req.request_id,
                    "affected": req.affected()},
        "request_invalid": _bad(data),
        "lineage": json.loads(Lineage((reg, upd)).to_bytes()),
        "c_d": {"n": 500, "label_kind": 0, "c_x": "01" * 40, "c_y": "02" * 40,
                "digest": c_d_of(500, 0, b"\1" * 40, b"\2" * 40).hex()},
        "bounds": [{"name": k, "formats": dataclasses.asdict(fm), "lambda": "1/8",
                    "tau": "1/262144", "mu_max": "16",
                    "bounds": dataclasses.asdict(bounds(fm, Fraction(1, 8),
                                                        Fraction(1, 1 << 18), Fraction(16)))}
                   for k, fm in fms.items()],
    }


def text() -> str:
    return json.dumps(generate(), indent=1) + "\n"


if __name__ == "__main__":
    OUT.write_text(text())
    print(f"wrote {OUT}")
