"""The ArgMax output of an inference proof (inference.md section 4b).

The statement's output is one index `k_b` per example. The prover commits the limbs of
`d = mask * (M - z_L - LT)` (`M[b][i] = z_L[b][k_b]`, `LT[b][i] = [i < k_b]`), whose range
check says that `k_b` is the first maximum of row `b` of `z_L` (with `argmax_last`,
`GT[b][i] = [k_b < i]` in place of `LT`: the last maximum). At `r_d = (r_i, r_b)` the
verifier requires

    d(r_d) == lt(r_i, n_out) * A - C - sum_{b < B} eq(r_b, bits(b)) lt(r_i, k_b)

where `A` and `C` are the claims of the two batched-sumcheck instances `select`
(`sum_x eq(r_b, x_batch) S(x) z_L(x)`) and `masked` (`sum_x eq(r_d, x) mask(x) z_L(x)`).
Everything here costs O(B log n_out) (plus O(B') for an eq table over the batch bits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zkml.verifier.axes import features_batch
from zkml.verifier.declarations import CLEAR, Check, public, run_check, zero_check
from zkml.verifier.field import R, eq_eval, eq_table
from zkml.verifier.layout import eq_bits, lt

__all__ = ["output_mask", "argmax_d_check", "check_argmax_d", "select_weight",
           "masked_weight"]


def _bits(k: int, n: int) -> tuple[int, ...]:
    return tuple((k >> j) & 1 for j in range(n))


def output_mask(s: Sequence[int], feature_vars: int, n_out: int, batch: int) -> int:
    """mask(s) = lt(s_feature, n_out) * lt(s_batch, B): the MLE of the real B x n_out region."""
    s_f, s_b = features_batch(s, feature_vars)
    return lt(s_f, n_out) * lt(s_b, batch) % R


def argmax_d_check(
    r_d: Sequence[int], feature_vars: int, n_out: int, ks: Sequence[int], d: Any, a: Any,
    c: Any, last: bool = False,
) -> Check:
    """The check `gadget.argmax.d`: d(r_d) == lt(r_i, n_out) A - C - sum_b eq(r_b, bits(b))
    lt(r_i, k_b) (d, A, C claims or ints; the lt and eq terms public); for the last
    maximum, `lt(r_i, n_out) - lt(r_i, k_b + 1)` (the MLE of `[k_b < i < n_out]`) in
    place of `lt(r_i, k_b)`."""
    r_i, r_b = features_batch(r_d, feature_vars)
    eb = eq_table(r_b)
    top = lt(r_i, n_out)
    strict_sum = 0
    cache: dict[int, int] = {}
    for b, k in enumerate(ks):
        v = cache.get(k)
        if v is None:
            v = cache[k] = (top - lt(r_i, k + 1)) % R if last else lt(r_i, k)
        strict_sum += eb[b] * v
    strict = public("argmax.strict(r_d)", strict_sum)
    return zero_check("gadget.argmax.d", top * a - c - strict - d,
                      "argmax: d(r_d) != lt(r_i, n_out) A - C - sum eq "
                      + ("gt(r_i, k_b)" if last else "lt(r_i, k_b)"))


def check_argmax_d(
    r_d: Sequence[int], feature_vars: int, n_out: int, ks: Sequence[int], d: int, a: int, c: int,
    last: bool = False,
) -> None:
    """`argmax_d_check` on ints, decided in the clear (VerificationError on failure)."""
    run_check(argmax_d_check(r_d, feature_vars, n_out, ks, d, a, c, last), CLEAR)


def select_weight(r_b: Sequence[int], s: Sequence[int], feature_vars: int,
                  ks: Sequence[int]) -> int:
    """eq(r_b, s_b) * S(s), S(s) = sum_{b < B} eq(s_b, bits(b)) eq(s_i, bits(k_b))."""
    s_i, s_b = features_batch(s, feature_vars)
    eb = eq_table(s_b)
    total = 0
    cache: dict[int, int] = {}
    for b, k in enumerate(ks):
        v = cache.get(k)
        if v is None:
            v = cache[k] = eq_bits(_bits(k, feature_vars), s_i)
        total += eb[b] * v
    return eq_eval(r_b, s_b) * (total % R) % R


def masked_weight(r_d: Sequence[int], s: Sequence[int], feature_vars: int, n_out: int,
                  batch: int) -> int:
    """eq(r_d, s) * mask(s)."""
    return eq_eval(r_d, s) * output_mask(s, feature_vars, n_out, batch) % R
