"""Linear algebra over the scalar field Fr (exact, Python integers): row reduction,
the rank of a system and its solution."""

from __future__ import annotations

from collections.abc import Sequence

from zkml.verifier.field import R


def row_reduce(rows: Sequence[Sequence[int]], ncols: int) -> tuple[list[list[int]], list[int]]:
    """Reduced row echelon form of `rows` (each of length >= ncols; columns past `ncols`
    are carried along, e.g. a right-hand side) over Fr; returns (rows, pivot columns)."""
    m = [[v % R for v in row] for row in rows]
    pivots: list[int] = []
    rank = 0
    for col in range(ncols):
        piv = next((i for i in range(rank, len(m)) if m[i][col]), None)
        if piv is None:
            continue
        m[rank], m[piv] = m[piv], m[rank]
        inv = pow(m[rank][col], R - 2, R)
        m[rank] = [v * inv % R for v in m[rank]]
        for i in range(len(m)):
            if i != rank and m[i][col]:
                f = m[i][col]
                m[i] = [(a - f * b) % R for a, b in zip(m[i], m[rank], strict=True)]
        pivots.append(col)
        rank += 1
    return m, pivots


def solve(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> list[list[int]] | None:
    """The unique X with `A X = B` over Fr (A: m x n, B: m x k), or None when the system
    has no solution or more than one (A's rank below n)."""
    n = len(a[0])
    red, piv = row_reduce([list(ra) + list(rb) for ra, rb in zip(a, b, strict=True)], n)
    if any(row[n:] != [0] * (len(row) - n) for row in red[len(piv):]):
        return None  # inconsistent
    if len(piv) < n:
        return None  # not determined
    return [row[n:] for row in red[:n]]


def consistent(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]]) -> bool:
    """Whether `A X = B` has a solution over Fr (rank of A equals rank of [A | B])."""
    n = len(a[0])
    red, piv = row_reduce([list(ra) + list(rb) for ra, rb in zip(a, b, strict=True)], n)
    return all(row[n:] == [0] * (len(row) - n) for row in red[len(piv):])


def rank(a: Sequence[Sequence[int]]) -> int:
    """The rank of A over Fr."""
    return len(row_reduce(a, len(a[0]))[1])
