"""Named axes (circuits/pipeline.md, "Axes"): points split and join by axis name, and
kind 3's `(features, batch)` layout puts batch row `b`, feature `f` at `b 2^F + f`."""

from __future__ import annotations

import pytest

from zkml.verifier.axes import BATCH, FEATURES, Axes, features_batch
from zkml.verifier.field import eq_eval, mle_eval


def test_split_and_join_are_inverse() -> None:
    ax = Axes.of((FEATURES, 3), (BATCH, 2))
    point = [10, 11, 12, 20, 21]
    assert ax.split(point) == ([10, 11, 12], [20, 21])
    assert ax.part(point, BATCH) == [20, 21]
    assert ax.join(batch=[20, 21], features=[10, 11, 12]) == point
    assert features_batch(point, 3) == ([10, 11, 12], [20, 21])


def test_layout_matches_the_tensor_index() -> None:
    # a 2-row, 4-feature tensor; its MLE at (bits(f), bits(b)) is entry b * 4 + f
    table = list(range(8))
    ax = Axes.of((FEATURES, 2), (BATCH, 1))
    for b in range(2):
        for f in range(4):
            pt = ax.join(features=[f & 1, f >> 1], batch=[b])
            assert mle_eval(table, pt) == b * 4 + f
    assert eq_eval([1, 0, 1], ax.join(features=[1, 0], batch=[1])) == 1


@pytest.mark.parametrize("bad", [lambda: Axes.of((FEATURES, 1), (FEATURES, 2)),
                                 lambda: Axes.of((FEATURES, -1)),
                                 lambda: Axes.of((FEATURES, 2)).part([1], FEATURES),
                                 lambda: Axes.of((FEATURES, 2)).join(features=[1]),
                                 lambda: Axes.of((FEATURES, 1)).join(batch=[1])])
def test_misuse_is_refused(bad) -> None:
    with pytest.raises(ValueError):
        bad()
