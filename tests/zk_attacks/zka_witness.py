"""The witness-recovery attack: one kind-3 proof gives back the whole witness stack.

The witness stack holds small non-negative integers (limbs in `[0, 2^L)`, lookup
multiplicities; circuits/inference.md 3). A kind-3 opening reveals, per column `j`,
`w_j = sum_i E_hi(r)[i] W[i][j]`: one linear equation mod r in the column's `rows`
unknowns, with public coefficients `a = E_hi(r)` (the same for every column). Its small
solution is the unique lattice point near a target: reduce the kernel lattice
`{x in Z^rows : <a, x> = 0 mod r}` once (LLL), then per column take any integer solution
`x_0` of `<a, x> = w_j` and subtract the lattice vector closest to `x_0 - centre`
(Babai). With `rows` = 16 the kernel's shortest vectors are about `r^(1/16) ~ 2^16`,
far longer than a column's distance from the centre of the box (`~2^9`), so the answer
is exact. A kind-5 proof has no `w`; the same pipeline fed the dot product's `z / c`
finds no solution in the box.
"""

from __future__ import annotations

from collections.abc import Sequence

from zka_capture import StackView
from zka_lattice import Babai, lll

from zkml.verifier.field import R, eq_table


def kernel_basis(a: Sequence[int]) -> list[list[int]]:
    """A basis of `{x : <a, x> = 0 mod r}` (a_0 invertible): r e_0 and
    e_i - (a_i / a_0) e_0."""
    inv = pow(a[0], R - 2, R)
    n = len(a)
    out = [[R] + [0] * (n - 1)]
    for i in range(1, n):
        row = [0] * n
        row[0] = (-a[i] * inv) % R
        row[i] = 1
        out.append(row)
    return out


def solve_small(babai: Babai, a: Sequence[int], target: int, bound: int) -> list[int] | None:
    """The vector `x` in `[0, bound)^n` with `<a, x> = target mod r`, or None when the
    closest candidate is outside the box or misses the equation."""
    n = len(a)
    half = bound // 2
    shifted = (target - half * sum(a)) % R  # x = y + half: |y| <= half
    x0 = [shifted * pow(a[0], R - 2, R) % R] + [0] * (n - 1)
    v = babai.closest(x0)
    y = [p - q for p, q in zip(x0, v, strict=True)]
    x = [c + half for c in y]
    if not all(0 <= c < bound for c in x):
        return None
    if sum(c * e for c, e in zip(x, a, strict=True)) % R != target % R:
        return None
    return x


def recover_table(v: StackView, values: Sequence[int], bound: int) -> list[int | None]:
    """The witness stack from one proof's opening: `values` is kind 3's `w` (or, run on
    kind 5, the responses over the challenge). Entries of a column with no solution in
    `[0, bound)` are None."""
    cols = 1 << v.log_cols
    a = eq_table(v.point[v.log_cols:])
    babai = Babai(lll(kernel_basis(a)))
    rows = len(a)
    table: list[int | None] = [None] * (rows * cols)
    for j, wj in enumerate(values):
        x = solve_small(babai, a, wj, bound)
        if x is not None:
            for i in range(rows):
                table[i * cols + j] = x[i]
    return table
