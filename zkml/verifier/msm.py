"""Multi-scalar multiplication on BN254 G1 over raw Python ints.

Pippenger's bucket method with signed-digit windows, where the bucket work runs in
affine coordinates with *batch-affine* additions: all additions of one step are
independent, so their slope denominators share one modular inverse (Montgomery's
trick) and each addition costs about six modular multiplications. Per addition this is
several times faster than py_ecc's projective arithmetic.

1. Scalars above (r-1)/2 are replaced by r - s with the point negated, so every
   scalar is below 2^253 and fits `ceil(254 / c)` signed windows.
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

__all__ = ["msm", "add", "neg", "scalar_mul", "window_size"]

G1Point = tuple[int, int] | None

_HALF_R = (R - 1) // 2


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


def window_size(n: int) -> int:
    """Window width c for n points: minimizes windows * (points + 2 * buckets)."""
    best_c, best_cost = 2, None
    for c in range(2, 17):
        windows = -(-254 // c)
        buckets = 1 << (c - 1)
        cost = windows * (n + 2 * buckets)
        if best_cost is None or cost < best_cost:
            best_c, best_cost = c, cost
    return best_c


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


def msm(points: Sequence[G1Point], scalars: Sequence[int]) -> G1Point:
    """sum_i scalars[i] * points[i] (scalars are reduced mod r; None is infinity)."""
    if len(points) != len(scalars):
        raise ValueError("msm: points and scalars differ in length")
    # Merge repeated bases first: equal x means the point or its negation (y' = +-y on
    # this curve). Commitments of structured tables repeat rows (zero padding, constant
    # limbs), and equal points in one bucket would send additions to the slow path.
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
    xs: list[int] = []
    ys: list[int] = []
    ks: list[int] = []
    for x, (y, s) in merged.items():
        s %= R
        if s == 0:
            continue
        if s > _HALF_R:
            xs.append(x)
            ys.append((P - y) % P)
            ks.append(R - s)
        else:
            xs.append(x)
            ys.append(y)
            ks.append(s)
    n = len(ks)
    if n == 0:
        return None
    c = window_size(n)
    half = 1 << (c - 1)
    full = 1 << c
    mask = full - 1
    windows = -(-254 // c)
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
