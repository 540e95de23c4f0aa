"""circuits/vectors/zk_opening.json through the verifier's hiding opening and tail
(circuits/zk.md 5.4, 5.5): two blinded stacks of different shapes with hidden claims, one
proof of product, the dot products, one merged check. Honest proofs accept, cheating ones
fail with the id the Rust side gives; sizes are bounded before anything is allocated."""

from __future__ import annotations

import pytest

from tests.verifier.zk_vectors import expect, load, point
from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.encoding import Reader
from zkml.verifier.generators import seed_digest
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.opening import HidingStack, verify_opening
from zkml.verifier.zk.products import Triple
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.tail import verify_tail

VECTORS = load("zk_opening.json")
GENS = Gens.of(seed_digest(VECTORS["seed"].encode()), 8)



def _stacks(case: dict) -> list[HidingStack]:
    return [HidingStack(s["num_vars"], s["log_cols"], tuple(point(h) for h in s["rows"]),
                        tuple((tuple(int(x) for x in c["point"]), Form.of(point(c["commitment"])))
                              for c in s["claims"]))
            for s in case["stacks"]]


def _verify(case: dict) -> None:
    """The README's transcript: rows, claim commitments, the opening, the products, the
    tail."""
    stacks = _stacks(case)
    t = Transcript(VECTORS["tag"].encode())
    for st in stacks:
        t.absorb_points("commitment", list(st.rows))
    t.absorb_points("zk-claims", [point(c["commitment"]) for s in case["stacks"]
                                  for c in s["claims"]])
    r = Reader(bytes.fromhex(case["proof"]))
    linear, dots = verify_opening(t, r, stacks)
    cz = [r.g1("zk-products") for _ in VECTORS["products"]]
    t.absorb_points("zk-products", cz)
    products = [Triple(stacks[x[0]].claims[x[1]][1], stacks[y[0]].claims[y[1]][1], Form.of(z))
                for (x, y), z in zip(VECTORS["products"], cz, strict=True)]
    verify_tail(GENS, t, r, linear, products, dots)
    r.finish()


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_case(case: dict) -> None:
    expect(case, _verify)


def test_a_zero_row_is_committed_as_apoint() -> None:
    honest = VECTORS["cases"][0]
    assert all(point(h) is not None for s in honest["stacks"] for h in s["rows"])


def _shape_error(stack: HidingStack) -> str | None:
    try:
        verify_opening(Transcript(b"t"), Reader(b""), [stack])
    except VerificationError as e:
        return e.check
    return None


def test_sizes_are_bounded_before_allocating() -> None:
    st = _stacks(VECTORS["cases"][0])[1]
    rows, claims = st.rows, st.claims
    assert _shape_error(HidingStack(3, 2, rows[:1], claims)) == "batch-open.shape"
    assert _shape_error(HidingStack(3, 2, rows, ())) == "batch-open.shape"
    assert _shape_error(HidingStack(3, 2, rows, ((claims[0][0][:2], claims[0][1]),))) \
        == "batch-open.shape"
    assert _shape_error(HidingStack(31, 1, rows, claims)) == "proof.limits"
    with pytest.raises(ProofFormatError) as exc:
        verify_opening(Transcript(b"t"), Reader(b""), [HidingStack(16, 16, rows[:1], claims)])
    assert exc.value.check == "proof.limits"
    with pytest.raises(VerificationError) as exc:
        verify_opening(Transcript(b"t"), Reader(b""), [])
    assert exc.value.check == "batch-open.shape"
