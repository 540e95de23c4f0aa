"""The weight-recovery attack: linear algebra over every field element a proof reveals
about the model stack.

A kind-3 proof reveals, for the model stack `M` (the quantized weights and biases at
their offsets, 2^n entries as a rows x cols matrix): each claim `(z_k, v_k)` with
`v_k = sum_x eq(z_k, x) M[x]`, the opening's evaluation `M(r)` and its opening vector
`w = E_hi(r)^T M` (hyrax.md: one linear combination of the rows per column). Every one
of these is a linear equation in the entries of `M` whose coefficients are public
challenges, so enough proofs (of any inputs) determine `M`: solve the system over Fr.

A kind-5 proof reveals no claim value, no evaluation and no `w`; the only field elements
tied to `M` are the proof of dot product's responses `z = d + c x` with
`x = E_hi(r)^T M` and a fresh uniform `d` (sigma.md 3). The same pipeline, fed `z / c`
(the attacker's best guess for `x`), meets a system with no solution.
"""

from __future__ import annotations

from collections.abc import Sequence

from zka_capture import StackView
from zka_lattice import Babai, lll
from zka_linalg import consistent, solve
from zka_witness import kernel_basis, solve_small

from zkml.verifier.field import R, eq_table
from zkml.verifier.model_key import VerifyingKey


def kind3_equations(v: StackView) -> tuple[list[list[int]], list[int]]:
    """Every revealed value of one stack in one kind-3 proof as rows of `A M = b`."""
    cols, n = 1 << v.log_cols, 1 << v.num_vars
    e_hi = eq_table(v.point[v.log_cols:])
    a, b = [], []
    for j, wj in enumerate(v.w):  # w_j = sum_i E_hi[i] M[i cols + j]
        row = [0] * n
        for i, e in enumerate(e_hi):
            row[i * cols + j] = e
        a.append(row)
        b.append(wj)
    for z, val in v.claims:  # v_k = <eq(z_k, .), M>
        a.append(eq_table(list(z)))
        b.append(val)
    a.append(eq_table(v.point))  # the opening's evaluation M(r)
    b.append(v.evaluation)
    return a, b


def kind5_equations(v: StackView) -> tuple[list[list[int]], list[int]]:
    """The same pipeline on a kind-5 proof: the dot product's responses divided by the
    sigma challenge stand where kind 3's `w` stands (there is nothing else to read)."""
    cols, n = 1 << v.log_cols, 1 << v.num_vars
    e_hi = eq_table(v.point[v.log_cols:])
    c_inv = pow(v.c, R - 2, R)
    a, b = [], []
    for j, zj in enumerate(v.z):
        row = [0] * n
        for i, e in enumerate(e_hi):
            row[i * cols + j] = e
        a.append(row)
        b.append(zj * c_inv % R)
    return a, b


def padding_equations(vk: VerifyingKey) -> tuple[list[list[int]], list[int]]:
    """What the public circuit says without any proof: every entry of the model stack
    outside its tensors' entries is zero (a tensor's `rows x cols` entries sit at
    `offset + i 2^log_cols + j`, the rest of its power-of-two block is padding)."""
    ms = vk.circuit.model
    n = 1 << ms.num_vars
    used = {t.offset + (i << t.log_cols) + j for t in ms.tensors.values()
            for i in range(t.rows) for j in range(t.cols)}
    a = [[int(x == i) for x in range(n)] for i in range(n) if i not in used]
    return a, [0] * len(a)


def system(vk: VerifyingKey, views: Sequence[StackView], kind: int
           ) -> tuple[list[list[int]], list[list[int]]]:
    """The stacked system of many proofs' views of the model stack, with the public
    padding equations."""
    eqs = kind3_equations if kind == 3 else kind5_equations
    a, b0 = padding_equations(vk)
    b = [[x] for x in b0]
    for v in views:
        ai, bi = eqs(v)
        a += ai
        b += [[x] for x in bi]
    return a, b


def recover(vk: VerifyingKey, views: Sequence[StackView], kind: int) -> list[int] | None:
    """The model stack the revealed values determine, or None (no solution, or not
    determined)."""
    a, b = system(vk, views, kind)
    x = solve(a, b)
    return None if x is None else [row[0] for row in x]


def has_solution(vk: VerifyingKey, views: Sequence[StackView], kind: int) -> bool:
    """Whether any model stack at all explains the revealed values."""
    a, b = system(vk, views, kind)
    return consistent(a, b)


def recover_by_columns(views: Sequence[StackView], kind: int) -> list[int] | None:
    """The opening-vector part of the attack alone, column by column: `rows` proofs give
    `E M = W` with `E` the proofs' `E_hi(r)` (rows x rows) and `W` their opening vectors
    (kind 3's `w`, kind 5's `z / c`), one small system for every column at once (the
    digits MLP's 4096-entry stack needs 64 proofs and a 64 x 64 solve). None when the
    system has no solution or is not determined."""
    v0 = views[0]
    e = [eq_table(v.point[v.log_cols:]) for v in views]
    if kind == 3:
        w = [list(v.w) for v in views]
    else:
        w = [[z * pow(v.c, R - 2, R) % R for z in v.z] for v in views]
    m = solve(e, w)
    if m is None:
        return None
    cols = 1 << v0.log_cols
    return [m[i][j] for i in range(len(m)) for j in range(cols)]


def recover_by_lattice(vk: VerifyingKey, v: StackView, values: Sequence[int]
                       ) -> list[int | None]:
    """Lattice reduction over ONE proof: column `j` of the stack has one equation
    `values[j] = sum_i E_hi(r)[i] M[i][j]` and, the padding being public, only the rows
    its tensors use as unknowns (about 6 here), each a signed `range_bits`-bit integer:
    LLL on that column's kernel lattice and Babai give the unique small solution (its
    shortest vectors are about `r^(1/6) ~ 2^42`, the weights under `2^16`). `values` is
    kind 3's `w` (or kind 5's `z / c`); entries of an unsolved column are None, padding 0."""
    ms = vk.circuit.model
    cols, n = 1 << v.log_cols, 1 << v.num_vars
    used = {t.offset + (i << t.log_cols) + j for t in ms.tensors.values()
            for i in range(t.rows) for j in range(t.cols)}
    e_hi = eq_table(v.point[v.log_cols:])
    half = 1 << (ms.range_bits - 1)
    out: list[int | None] = [0] * n
    for j, target in enumerate(values):
        rows = [i for i in range(len(e_hi)) if i * cols + j in used]
        if not rows:
            continue
        a = [e_hi[i] for i in rows]
        x = solve_small(Babai(lll(kernel_basis(a))), a, (target + half * sum(a)) % R, 2 * half)
        for k, i in enumerate(rows):
            out[i * cols + j] = None if x is None else (x[k] - half) % R
    return out
