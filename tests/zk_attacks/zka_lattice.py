"""A small self-contained lattice reduction: integral LLL (Cohen, A Course in
Computational Algebraic Number Theory, algorithm 2.6.7: exact integer Gram-Schmidt data,
delta = 3/4) and Babai's nearest plane, for the few dozen dimensions the attacks need.
Exact Python integers throughout: the lattices have 254-bit entries."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction


def _dot(a: Sequence[int], b: Sequence[int]) -> int:
    return sum(x * y for x, y in zip(a, b, strict=True))


def lll(basis: Sequence[Sequence[int]]) -> list[list[int]]:
    """An LLL-reduced basis (delta 3/4) of the lattice spanned by the independent
    integer rows of `basis`."""
    b = [list(v) for v in basis]
    n = len(b)
    d = [0] * (n + 1)  # d[i+1]: the Gram determinant of b_0..b_i (d[0] = 1)
    lam = [[0] * n for _ in range(n)]
    d[0] = 1
    d[1] = _dot(b[0], b[0])
    kmax, k = 0, 1

    def red(k: int, l: int) -> None:  # noqa: E741 - the textbook's names
        if 2 * abs(lam[k][l]) > d[l + 1]:
            q = (2 * lam[k][l] + d[l + 1]) // (2 * d[l + 1])
            b[k] = [x - q * y for x, y in zip(b[k], b[l], strict=True)]
            lam[k][l] -= q * d[l + 1]
            for i in range(l):
                lam[k][i] -= q * lam[l][i]

    def swap(k: int) -> None:
        b[k], b[k - 1] = b[k - 1], b[k]
        for j in range(k - 1):
            lam[k][j], lam[k - 1][j] = lam[k - 1][j], lam[k][j]
        lk = lam[k][k - 1]
        bb = (d[k - 1] * d[k + 1] + lk * lk) // d[k]
        for i in range(k + 1, kmax + 1):
            t = lam[i][k]
            lam[i][k] = (d[k + 1] * lam[i][k - 1] - lk * t) // d[k]
            lam[i][k - 1] = (bb * t + lk * lam[i][k]) // d[k + 1]
        d[k] = bb

    while k < n:
        if k > kmax:
            kmax = k
            for j in range(k + 1):
                u = _dot(b[k], b[j])
                for i in range(j):
                    u = (d[i + 1] * u - lam[k][i] * lam[j][i]) // d[i]
                if j < k:
                    lam[k][j] = u
                else:
                    d[k + 1] = u
        red(k, k - 1)
        if 4 * d[k + 1] * d[k - 1] < 3 * d[k] * d[k] - 4 * lam[k][k - 1] ** 2:
            swap(k)
            k = max(1, k - 1)
            continue
        for l in range(k - 2, -1, -1):  # noqa: E741
            red(k, l)
        k += 1
    return b


class Babai:
    """Babai's nearest-plane algorithm over a fixed (reduced) basis: the lattice vector
    close to a target, with the Gram-Schmidt data computed once."""

    def __init__(self, basis: Sequence[Sequence[int]]) -> None:
        self.b = [list(v) for v in basis]
        self.gs: list[list[Fraction]] = []
        self.norms: list[Fraction] = []
        for v in self.b:
            w = [Fraction(x) for x in v]
            for g, nn in zip(self.gs, self.norms, strict=True):
                mu = sum(x * y for x, y in zip(v, g, strict=True)) / nn
                w = [x - mu * y for x, y in zip(w, g, strict=True)]
            self.gs.append(w)
            self.norms.append(sum(x * x for x in w))

    def closest(self, target: Sequence[int]) -> list[int]:
        """A lattice vector near `target` (exact when the target is within half the
        shortest Gram-Schmidt vector of the lattice)."""
        t = [Fraction(x) for x in target]
        out = [0] * len(target)
        for i in range(len(self.b) - 1, -1, -1):
            g = self.gs[i]
            c = round(sum(x * y for x, y in zip(t, g, strict=True)) / self.norms[i])
            if c:
                t = [x - c * y for x, y in zip(t, self.b[i], strict=True)]
                out = [x + c * y for x, y in zip(out, self.b[i], strict=True)]
        return out
