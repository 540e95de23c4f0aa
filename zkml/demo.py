"""`make demo`: prove with the Rust prover, verify with the pure-Python verifier.

The inference pipeline (compile, prove and verify an ONNX model) is not built yet;
this demo exercises the foundation it will stand on: a product sumcheck over two
committed tables, and a batched Hyrax opening of two stacks with several claims each.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

from zkml import prover
from zkml.errors import VerificationError
from zkml.fileio import write_atomic
from zkml.verifier import Verifier
from zkml.verifier.field import R


def _timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def run(out_dir: Path) -> int:
    """Run the demo, writing the artifacts to `out_dir`; returns a process exit code."""
    rng = np.random.default_rng(7)
    prng = random.Random(7)
    verifier = Verifier()
    print("zkml foundation demo")
    print("  (ONNX inference proofs are not built yet: this proves and verifies a sumcheck")
    print("   and a batched polynomial-commitment opening, the pieces they will use)")

    n = 16
    f = rng.integers(-128, 128, size=1 << n, dtype=np.int64)
    g = rng.integers(-128, 128, size=1 << n, dtype=np.int64)
    artifact, t_prove = _timed(prover.prove_product_sumcheck, f, g)
    path = write_atomic(out_dir / "product-sumcheck.zkml", artifact, overwrite=True)
    statement, t_verify = _timed(verifier.verify, artifact)
    expected = int(np.dot(f, g)) % R
    print(f"\n1. product sumcheck: sum_x f(x) g(x) over 2^{n} committed 8-bit entries")
    print(f"   prove {t_prove:.3f} s, proof {len(artifact) / 1024:.1f} KB -> {path}")
    signed = statement.claimed_sum - R if statement.claimed_sum > R // 2 else statement.claimed_sum
    print(f"   verify (pure Python) {t_verify:.3f} s: accepted, sum = {signed}")
    if statement.claimed_sum != expected:
        print("   ERROR: verified sum differs from numpy's", file=sys.stderr)
        return 1

    big, small = 18, 10
    stack0 = rng.integers(-128, 128, size=1 << big, dtype=np.int64)
    stack1 = [prng.randrange(R) for _ in range(1 << small)]
    points0 = [[prng.randrange(R) for _ in range(big)] for _ in range(6)]
    # Two claims on a tensor in the stack's upper-half slot: fixed selector bits.
    points0 += [[prng.randrange(R) for _ in range(big - 1)] + [1] for _ in range(2)]
    points1 = [[prng.randrange(R) for _ in range(small)] for _ in range(2)]
    artifact, t_prove = _timed(
        prover.prove_batch_opening, [(stack0, None, points0), (stack1, None, points1)]
    )
    path = write_atomic(out_dir / "batch-opening.zkml", artifact, overwrite=True)
    statement, t_verify = _timed(verifier.verify, artifact)
    print(f"\n2. batched opening: a 2^{big}-entry stack with 8 claims and a 2^{small}-entry")
    print("   full-field stack with 2 claims, one opening each, one merged MSM")
    print(f"   prove {t_prove:.3f} s (commitments included), proof {len(artifact) / 1024:.1f} KB")
    print(f"   -> {path}")
    print(f"   verify (pure Python) {t_verify:.3f} s: accepted, {len(statement.stacks)} stacks")

    tampered = bytearray(artifact)
    tampered[-40] ^= 1
    try:
        verifier.verify(bytes(tampered))
    except VerificationError as exc:
        print(f"\n3. one flipped bit in the proof: rejected ({exc})")
    else:
        print("   ERROR: a tampered proof was accepted", file=sys.stderr)
        return 1
    print("\ndemo finished: both proofs verified, the tampered one was rejected")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: `python -m zkml.demo [--out DIR]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo-out", help="directory for the artifacts")
    args = parser.parse_args(argv)
    return run(Path(args.out))


if __name__ == "__main__":
    sys.exit(main())
