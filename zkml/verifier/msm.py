"""Multi-scalar multiplication on BN254 G1 over raw Python ints.

Pippenger's bucket method with signed-digit windows, where the bucket work runs in
affine coordinates with *batch-affine* additions: all additions of one step are
independent, so their slope denominators share one modular inverse (Montgomery's
trick) and each addition costs about six modular multiplications. Per addition this is
several times faster than py_ecc's projective arithmetic.

1. Repeated bases are merged, then every term `s P` is split by the GLV endomorphism
   of BN254 (`phi(x, y) = (BETA x, y) = LAMBDA P`) into `k1 P + k2 phi(P)` with
   |k1|, |k2| < 2^128, signs moved onto the points: twice the points at half the
   scalar length, so the same number of bucket insertions but half the windows (half
   the running sums and doublings of steps 4 and 5).
2. Every point goes into one bucket per nonzero digit (negated for negative digits).
3. All buckets of all windows are summed at once, level by level: the points of
   each bucket are paired up, and every pair of a level is added in one batch.
4. Each window's weighted bucket sum `sum_k k * B_k` is a running sum from the top
   bucket down; all windows advance in lockstep, one batch per bucket index.
5. The window sums are combined with doublings in Jacobian coordinates (a few
   hundred sequential operations, no inversions).

Inputs are affine points that are on the curve (the decoder guarantees this) or None
for infinity. Commitments come from the prover, so every special case (equal points,
P + (-P), infinity, zero scalars) is handled exactly rather than assumed away.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkml.verifier.field import P, R

__all__ = ["msm", "add", "neg", "scalar_mul", "window_size", "glv_split", "endomorphism",
           "BETA", "LAMBDA"]

G1Point = tuple[int, int] | None

_HALF_R = (R - 1) // 2

# The GLV endomorphism of BN254 G1: BETA is a cube root of unity mod p, LAMBDA the cube
# root of unity mod r with (BETA x, y) = LAMBDA (x, y) on G1 (tests check both facts).
BETA = 0x59E26BCEA0D48BACD4F263F1ACDB5C4F5763473177FFFFFE
LAMBDA = 0xB3C4D79D41A917585BFC41088D8DAAA78B17EA66B99C90DD
# A reduced basis of the lattice {(a, b): a + b LAMBDA = 0 mod r} (extended Euclid on
# r and LAMBDA); A1 * B2 - A2 * B1 = r.
_A1, _B1 = 9931322734385697763, -147946756881789319000765030803803410728
_A2, _B2 = 147946756881789319010696353538189108491, 9931322734385697763


def neg(a: G1Point) -> G1Point:
    """-a."""
    return None if a is None else (a[0], (P - a[1]) % P)


def _pair_sums_general(
    x1: list[int], y1: list[int], x2: list[int], y2: list[int]
) -> tuple[list, list]:
    # Slow path for batches that contain equal x coordinates: doubling when the
    # points are equal, infinity (None) when they are opposite.
    n = len(x1)
    x3: list = [None] * n
    y3: list = [None] * n
    idx: list[int] = []
    nums: list[int] = []
    dens: list[int] = []
    for i in range(n):
        a = x1[i]
        b = x2[i]
        if a != b:
            idx.append(i)
            nums.append(y2[i] - y1[i])
            dens.append(b - a)
        elif y1[i] == y2[i]:
            # y != 0 on this curve (the group has odd order), so 2y is invertible
            idx.append(i)
            nums.append(3 * a * a)
            dens.append(2 * y1[i])
    if not idx:
        return x3, y3
    m = len(dens)
    prefix = [0] * m
    acc = 1
    for j in range(m):
        prefix[j] = acc
        acc = acc * dens[j] % P
    acc = pow(acc, -1, P)
    for j in range(m - 1, -1, -1):
        i = idx[j]
        lam = nums[j] * acc * prefix[j] % P
        acc = acc * dens[j] % P
        a = x1[i]
        x = (lam * lam - a - x2[i]) % P
        x3[i] = x
        y3[i] = (lam * (a - x) - y1[i]) % P
    return x3, y3


def _pair_sums(
    x1: list[int], y1: list[int], x2: list[int], y2: list[int]
) -> tuple[list, list, bool]:
    """(x1, y1) + (x2, y2) elementwise, one inversion for the batch.

    Returns (x3, y3, special); when `special` is True some sums are infinity and have
    None in both lists.
    """
    prefix: list[int] = []
    push = prefix.append
    acc = 1
    for a, b in zip(x1, x2, strict=True):
        push(acc)
        acc = acc * (b - a) % P
    if acc == 0:
        x3, y3 = _pair_sums_general(x1, y1, x2, y2)
        return x3, y3, True
    acc = pow(acc, -1, P)
    n = len(x1)
    x3 = [0] * n
    y3 = [0] * n
    i = n
    # Backwards through the prefix products: acc * prefix[i] is 1 / (x2[i] - x1[i]).
    for a, b, ya, yb, pre in zip(
        reversed(x1), reversed(x2), reversed(y1), reversed(y2), reversed(prefix), strict=True
    ):
        i -= 1
        lam = (yb - ya) * acc * pre % P
        acc = acc * (b - a) % P
        x = (lam * lam - a - b) % P
        x3[i] = x
        y3[i] = (lam * (a - x) - ya) % P
    return x3, y3, False


def _add_many(a_pts: list[G1Point], b_pts: list[G1Point]) -> list[G1Point]:
    """a_pts[i] + b_pts[i] for all i, with infinity (None) allowed anywhere."""
    out = list(a_pts)
    idx = []
    x1 = []
    y1 = []
    x2 = []
    y2 = []
    for i, (pa, pb) in enumerate(zip(a_pts, b_pts, strict=True)):
        if pb is None:
            continue
        if pa is None:
            out[i] = pb
            continue
        idx.append(i)
        x1.append(pa[0])
        y1.append(pa[1])
        x2.append(pb[0])
        y2.append(pb[1])
    if idx:
        xs, ys, _ = _pair_sums(x1, y1, x2, y2)
        for i, x, y in zip(idx, xs, ys, strict=True):
            out[i] = None if x is None else (x, y)
    return out


def add(a: G1Point, b: G1Point) -> G1Point:
    """a + b in affine coordinates (exact in every case)."""
    return _add_many([a], [b])[0]


# Jacobian (X, Y, Z), x = X/Z^2, y = Y/Z^3; None is infinity.
def _jac_double(p: tuple[int, int, int]) -> tuple[int, int, int]:
    x, y, z = p
    a = x * x % P
    b = y * y % P
    c = b * b % P
    d = 2 * ((x + b) * (x + b) - a - c) % P
    e = 3 * a
    f = e * e % P
    x3 = (f - 2 * d) % P
    return (x3, (e * (d - x3) - 8 * c) % P, 2 * y * z % P)


def _jac_add_affine(p: tuple[int, int, int] | None, q: G1Point) -> tuple[int, int, int] | None:
    if q is None:
        return p
    if p is None:
        return (q[0], q[1], 1)
    x1, y1, z1 = p
    z1z1 = z1 * z1 % P
    u2 = q[0] * z1z1 % P
    s2 = q[1] * z1 * z1z1 % P
    h = (u2 - x1) % P
    rr = 2 * (s2 - y1) % P
    if h == 0:
        return _jac_double(p) if rr == 0 else None
    hh = h * h % P
    i = 4 * hh % P
    j = h * i % P
    v = x1 * i % P
    x3 = (rr * rr - j - 2 * v) % P
    y3 = (rr * (v - x3) - 2 * y1 * j) % P
    z3 = ((z1 + h) * (z1 + h) - z1z1 - hh) % P
    return (x3, y3, z3)


def _jac_to_affine(p: tuple[int, int, int] | None) -> G1Point:
    if p is None:
        return None
    x, y, z = p
    zi = pow(z, -1, P)
    zi2 = zi * zi % P
    return (x * zi2 % P, y * zi2 * zi % P)


def scalar_mul(point: G1Point, k: int) -> G1Point:
    """k * point by double-and-add (reference and small uses; not constant time)."""
    k %= R
    if point is None or k == 0:
        return None
    acc = None
    for bit in bin(k)[2:]:
        if acc is not None:
            acc = _jac_double(acc)
        if bit == "1":
            acc = _jac_add_affine(acc, point)
    return _jac_to_affine(acc)


def window_size(n: int, bits: int = 254) -> int:
    """Window width c for n points with scalars below 2^bits: minimizes
    windows * (points + 3 * buckets) (a bucket costs two additions of the running sums,
    which come in smaller batches than the buckets' own, so count it as three)."""
    best_c, best_cost = 2, None
    for c in range(2, 17):
        windows = bits // c + 1
        buckets = 1 << (c - 1)
        cost = windows * (n + 3 * buckets)
        if best_cost is None or cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


def glv_split(s: int) -> tuple[int, int]:
    """(k1, k2) with k1 + k2 * LAMBDA = s (mod r) and |k1|, |k2| < 2^128, for 0 <= s < r:
    s rounded onto the lattice {(a, b): a + b LAMBDA = 0 mod r} spanned by (A1, B1) and
    (A2, B2), whose determinant is r (so the remainder is at most half of each basis
    vector, each below 2^127, in every coordinate)."""
    c1 = (s * _B2 + _HALF_R) // R
    c2 = (-s * _B1 + _HALF_R) // R
    return s - c1 * _A1 - c2 * _A2, -c1 * _B1 - c2 * _B2


def endomorphism(a: G1Point) -> G1Point:
    """phi(a) = (BETA x, y), which is LAMBDA * a for every point of G1."""
    return None if a is None else (BETA * a[0] % P, a[1])


def _accumulate_buckets(bx: list[list[int]], by: list[list[int]]) -> None:
    # Level by level: pair the points of every bucket, add all pairs in one batch.
    active = [b for b in range(len(bx)) if len(bx[b]) > 1]
    while active:
        x1: list[int] = []
        y1: list[int] = []
        x2: list[int] = []
        y2: list[int] = []
        for b in active:
            xs = bx[b]
            ys = by[b]
            e = len(xs) & ~1
            x1 += xs[0:e:2]
            x2 += xs[1:e:2]
            y1 += ys[0:e:2]
            y2 += ys[1:e:2]
        x3, y3, special = _pair_sums(x1, y1, x2, y2)
        nxt = []
        off = 0
        for b in active:
            xs = bx[b]
            k = len(xs)
            h = k >> 1
            nx = x3[off : off + h]
            ny = y3[off : off + h]
            off += h
            if k & 1:
                nx.append(xs[-1])
                ny.append(by[b][-1])
            if special and None in nx:
                keep = [i for i, x in enumerate(nx) if x is not None]
                nx = [nx[i] for i in keep]
                ny = [ny[i] for i in keep]
            bx[b] = nx
            by[b] = ny
            if len(nx) > 1:
                nxt.append(b)
        active = nxt


def _merge(points: Sequence[G1Point], scalars: Sequence[int]) -> dict[int, list[int]]:
    """x -> [y, scalar]: repeated bases merged. Equal x means the point or its negation
    (y' = +-y on this curve); commitments of structured tables repeat rows (zero padding,
    constant limbs), and equal points in one bucket would send additions to the slow path."""
    merged: dict[int, list[int]] = {}
    for pt, s in zip(points, scalars, strict=True):
        if pt is None:
            continue
        e = merged.get(pt[0])
        if e is None:
            merged[pt[0]] = [pt[1], s]
        elif e[0] == pt[1]:
            e[1] += s
        else:
            e[1] -= s
    return merged


def _glv_terms(merged: dict[int, list[int]]) -> tuple[list[int], list[int], list[int]]:
    """Every merged term `s P` as `k1 P + k2 phi(P)` (glv_split), the halves merged by x
    again (phi(P) may be another input or its negation), signs moved onto the points:
    (xs, ys, ks) with every k in 1..2^129 and distinct xs."""
    halves: dict[int, list[int]] = {}
    for x, (y, s) in merged.items():
        s %= R
        if not s:
            continue
        k1, k2 = glv_split(s)
        for hx, k in ((x, k1), (BETA * x % P, k2)):
            if not k:
                continue
            e = halves.get(hx)
            if e is None:
                halves[hx] = [y, k]
            elif e[0] == y:
                e[1] += k
            else:
                e[1] -= k
    xs: list[int] = []
    ys: list[int] = []
    ks: list[int] = []
    for x, (y, k) in halves.items():
        if k:
            xs.append(x)
            ys.append(y if k > 0 else P - y)
            ks.append(abs(k))
    return xs, ys, ks


def msm(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    """sum_i scalars[i] * points[i] (scalars are reduced mod r; None is infinity)."""
    if len(points) != len(scalars):
        raise ValueError("msm: points and scalars differ in length")
    xs, ys, ks = _glv_terms(_merge(points, scalars))
    n = len(ks)
    if n == 0:
        return None
    bits = max(k.bit_length() for k in ks)
    c = window_size(n, bits)
    half = 1 << (c - 1)
    full = 1 << c
    mask = full - 1
    windows = bits // c + 1  # the top window's digit never borrows (it is below half)
    nb = windows * half
    bx: list[list[int]] = [[] for _ in range(nb)]
    by: list[list[int]] = [[] for _ in range(nb)]
    # Signed digits in [-half, half]: a digit above half borrows from the next window.
    for x, y, s in zip(xs, ys, ks, strict=True):
        ny = P - y
        b = -1  # bucket of digit d in this window is b + |d|
        carry = 0
        while s or carry:
            d = (s & mask) + carry
            s >>= c
            if d > half:
                carry = 1
                if d != full:  # d == full is digit 0 with a borrow
                    j = b + full - d
                    bx[j].append(x)
                    by[j].append(ny)
            else:
                carry = 0
                if d:
                    bx[b + d].append(x)
                    by[b + d].append(y)
            b += half
    _accumulate_buckets(bx, by)
    # Running sums, all windows in lockstep: total += running; running += B_k.
    running: list[G1Point] = [None] * windows
    total: list[G1Point] = [None] * windows
    for k in range(half - 1, -1, -1):
        bucket = []
        for w in range(windows):
            b = w * half + k
            bucket.append((bx[b][0], by[b][0]) if bx[b] else None)
        res = _add_many(total + running, running + bucket)
        total = res[:windows]
        running = res[windows:]
    total = _add_many(total, running)
    acc = None
    for w in range(windows - 1, -1, -1):
        if acc is not None:
            for _ in range(c):
                acc = _jac_double(acc)
        acc = _jac_add_affine(acc, total[w])
    return _jac_to_affine(acc)
