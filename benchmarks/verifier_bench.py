"""Timings of the pure-Python verifier's hot paths, and an end-to-end kind-1 check.

    .venv/bin/python benchmarks/verifier_bench.py            # MSM + generators
    .venv/bin/python benchmarks/verifier_bench.py --e2e      # also fresh-process verify

The end-to-end mode builds valid kind-1 artifacts without the Rust prover: the stack
is a rank-one matrix M[i][j] = a_i * m_j, so its row commitments are multiples of one
MSM and its evaluations factor, while the verifier's work (full-size scalars E_hi and
w, 2^c generators, every check) is exactly that of any other stack of that shape.
Artifacts are cached in benchmarks/out/. The budgets are those of the verifier brief:
2^20 entries with 8 claims within 1.5 s, 2^18 within 1.0 s, in a fresh process.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zkml.verifier.encoding import enc_fr, enc_frs, enc_g1s, enc_u32  # noqa: E402
from zkml.verifier.field import R, eq_table  # noqa: E402
from zkml.verifier.generators import (  # noqa: E402
    DEFAULT_SEED,
    derive_generator,
    generators,
    seed_digest,
)
from zkml.verifier.msm import msm  # noqa: E402
from zkml.verifier.transcript import Transcript  # noqa: E402

OUT = ROOT / "benchmarks" / "out"


def best_of(fn, repeat: int = 3) -> tuple[float, float]:
    """(first run, best run) wall-clock seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times[0], min(times)


def bench_msm() -> None:
    rng = random.Random(1)
    digest = seed_digest(b"bench/points")
    pts = generators(digest, 2048)
    for n in (256, 512, 1024, 2048):
        scalars = [rng.randrange(R) for _ in range(n)]
        first, best = best_of(lambda n=n, s=scalars: msm(pts[:n], s))
        print(f"msm n={n:5d} full-size scalars: first {first:.3f} s, best {best:.3f} s")


def bench_generators() -> None:
    digest = seed_digest(b"bench/gens")
    for count in (512, 1024):
        t = time.perf_counter()
        for i in range(count):
            derive_generator(digest, i + 10_000 * count)
        print(f"derive {count} generators: {time.perf_counter() - t:.3f} s")


def _product_rounds(t: Transcript, a: list[int], b: list[int], n: int) -> tuple[bytes, list]:
    rounds, point = [], []
    for _ in range(n):
        a0, a1, b0, b1 = a[0::2], a[1::2], b[0::2], b[1::2]
        p0 = sum(x * y for x, y in zip(a0, b0, strict=True)) % R
        p1 = sum(x * y for x, y in zip(a1, b1, strict=True)) % R
        p2 = (
            sum(
                (2 * x1 - x0) * (2 * y1 - y0) for x0, x1, y0, y1 in zip(a0, a1, b0, b1, strict=True)
            )
            % R
        )
        e = [p0, p1, p2]
        t.absorb_frs("sumcheck-round", e)
        c = t.squeeze("sumcheck-challenge")
        rounds.append(e)
        point.append(c)
        a = [(x0 + c * (x1 - x0)) % R for x0, x1 in zip(a0, a1, strict=True)]
        b = [(y0 + c * (y1 - y0)) % R for y0, y1 in zip(b0, b1, strict=True)]
    body = enc_u32(n) + enc_u32(2) + b"".join(enc_frs(e)[4:] for e in rounds)
    return body, point


def build_rank1_kind1(n: int, c: int, num_claims: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    rows, cols = 1 << (n - c), 1 << c
    digest = seed_digest(DEFAULT_SEED)
    gens = generators(digest, cols)
    a = [rng.randrange(R) for _ in range(rows)]
    m = [rng.randrange(R) for _ in range(cols)]
    base = msm(gens, m)
    com = [msm([base], [ai]) for ai in a]

    def split_eval(z):  # f(z) = <a, E_hi(z)> * <m, E_lo(z)> for the rank-one table
        lo = sum(x * y for x, y in zip(m, eq_table(z[:c]), strict=True))
        hi = sum(x * y for x, y in zip(a, eq_table(z[c:]), strict=True))
        return lo % R, hi % R

    points = [[rng.randrange(R) for _ in range(n)] for _ in range(num_claims)]
    values = [lo * hi % R for lo, hi in map(split_eval, points)]
    t = Transcript("zkml/pcs-batch-opening")
    t.absorb_u32("version", 1)
    t.absorb_bytes("generators", digest)
    t.absorb_u32("stacks", 1)
    t.absorb_u32("num-vars", n)
    t.absorb_u32("log-cols", c)
    t.absorb_points("commitment", com)
    body = [digest, enc_u32(1), enc_u32(n), enc_u32(c), enc_g1s(com), enc_u32(num_claims)]
    t.absorb_u32("claims", num_claims)
    for z, v in zip(points, values, strict=True):
        t.absorb_frs("claim-point", z)
        t.absorb_fr("claim-value", v)
        body += [enc_frs(z), enc_fr(v)]
    alpha = t.squeeze("batch-alpha")
    # E(x) = sum_k alpha^k eq(z_k, x), built row by row from the split eq tables
    e_rows = []
    ak = 1
    his = []
    for z in points:
        lo = eq_table(z[:c])
        his.append(eq_table(z[c:]))
        e_rows.append([ak * x % R for x in lo])
        ak = ak * alpha % R
    e_tab, p_tab = [], []
    for i in range(rows):
        row = [0] * cols
        for k in range(num_claims):
            h = his[k][i]
            row = [(x + h * y) % R for x, y in zip(row, e_rows[k], strict=True)]
        e_tab += row
        p_tab += [a[i] * mj % R for mj in m]
    claim = sum(pow(alpha, k, R) * v for k, v in enumerate(values)) % R
    t.absorb_u32("sumcheck-vars", n)
    t.absorb_u32("sumcheck-degree", 2)
    t.absorb_fr("sumcheck-claim", claim)
    sc, r = _product_rounds(t, p_tab, e_tab, n)
    lo, hi = split_eval(r)
    e = lo * hi % R
    t.absorb_fr("stack-eval", e)
    w = [hi * mj % R for mj in m]
    body += [sc, enc_fr(e), enc_frs(w)]
    return b"ZKML\x00\x01\x01" + b"".join(body)


VERIFY_CODE = """
import sys, time
t0 = time.perf_counter()
import zkml.verifier as zv
t1 = time.perf_counter()
data = open(sys.argv[1], 'rb').read()
st = zv.verify_artifact(data)
t2 = time.perf_counter()
print(f"import {t1 - t0:.3f} s, verify {t2 - t1:.3f} s ({st.kind_name})")
"""


def _check_rejects_tampering(data: bytes) -> None:
    # guard against timing a verifier that accepts everything: change the last w_j
    from zkml.errors import VerificationError
    from zkml.verifier import verify_artifact

    bad = data[:-1] + bytes([data[-1] ^ 1])
    try:
        verify_artifact(bad)
    except VerificationError:
        return
    raise SystemExit("tampered artifact was accepted")


def bench_e2e() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for n, c, budget in ((18, 9, 1.0), (20, 10, 1.5)):
        path = OUT / f"kind1_rank1_n{n}_c{c}_k8.zkml"
        if not path.exists():
            t = time.perf_counter()
            path.write_bytes(build_rank1_kind1(n, c, 8))
            print(f"built {path.name} in {time.perf_counter() - t:.1f} s")
        _check_rejects_tampering(path.read_bytes())
        for _ in range(2):
            t = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", VERIFY_CODE, str(path)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            wall = time.perf_counter() - t
            verdict = "ok" if wall <= budget else "OVER BUDGET"
            print(
                f"fresh process, 2^{n} stack, 8 claims: {wall:.3f} s wall "
                f"[{out.stdout.strip()}] budget {budget} s: {verdict}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--e2e", action="store_true", help="also build and verify kind-1 artifacts")
    args = ap.parse_args()
    bench_generators()
    bench_msm()
    if args.e2e:
        bench_e2e()


if __name__ == "__main__":
    main()
