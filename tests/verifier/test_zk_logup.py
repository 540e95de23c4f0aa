"""circuits/vectors/zk_logup.json through the verifier's hiding LogUp-GKR (circuits/zk.md
5.6) and the tail (5.5): range lookups in two groups, the logup checks as declarations run
through the CommittedBackend, each tree's final `P`, `Q` against its leaves' MLEs at `rho`
(the vector plays the caller), then `"zk-products"`, `tau`, the sigma batch and one merged
check. Honest proofs accept, cheating ones fail with the id the Rust side gives; sizes are
bounded before anything is allocated."""

from __future__ import annotations

import pytest

from tests.verifier.zk_vectors import expect, load
from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier.declarations import CLEAR, Claim, run_check, zero_check
from zkml.verifier.encoding import Reader, enc_u32
from zkml.verifier.field import R, mle_eval
from zkml.verifier.generators import seed_digest
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import Committed, CommittedBackend, products_needed
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.logup import LayerDecl, declare, parse_zk_logup, verify_zk_logup
from zkml.verifier.zk.sigma import Gens
from zkml.verifier.zk.sumcheck import verify_eq
from zkml.verifier.zk.tail import verify_tail

VECTORS = load("zk_logup.json")
GENS_SEED = seed_digest(VECTORS["seed"].encode())
GENS = Gens.of(GENS_SEED, 1)


def _leaves(tree: dict, alpha: int) -> tuple[list[int], list[int]]:
    """logup.md's layout: lookups `1 / (alpha - f)`, table entries `-m_j / (alpha - j)`,
    then padding `0 / 1`."""
    n = 1 << tree["depth"]
    if tree["kind"] == "lookups":
        entries = [(1, v) for v in tree["values"]]
    else:
        entries = [(-m % R, j) for j, m in enumerate(tree["multiplicities"])]
    p = [e for e, _ in entries] + [0] * (n - len(entries))
    q = [(alpha - f) % R for _, f in entries] + [1] * (n - len(entries))
    return p, q


def _verify(case: dict) -> None:
    """The README's transcript: `logup-alpha`, the logup, the products, the tail."""
    depths = [t["depth"] for t in case["trees"]]
    t = Transcript(VECTORS["tag"].encode())
    alpha = t.squeeze("logup-alpha")
    r = Reader(bytes.fromhex(case["proof"]))
    trees = parse_zk_logup(r, depths)
    results, checks = verify_zk_logup(t, trees, VECTORS["groups"], GENS.g_e)
    for i, ((rho, p, q), tree) in enumerate(zip(results, case["trees"], strict=True)):
        for name, form, table in zip("PQ", (p, q), _leaves(tree, alpha), strict=True):
            claim = Claim(f"logup-{name}[{i}]", Committed(form, GENS.g_e))
            checks.append(zero_check("test.leaf", claim - mle_eval(table, rho), "leaf claim"))
    products = [r.g1("zk-products") for _ in range(products_needed(checks))]
    t.absorb_points("zk-products", products)
    backend = CommittedBackend(GENS.g_e, products)
    for c in checks:
        run_check(c, backend)
    backend.finish()
    gens = Gens.of(GENS_SEED, max(1, len(backend.triples)))
    verify_tail(gens, t, r, backend.linear, backend.triples, [])
    r.finish()


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"])
def test_vector_case(case: dict) -> None:
    expect(case, _verify)


def _honest_run() -> tuple[list, list]:
    case = VECTORS["cases"][0]
    t = Transcript(VECTORS["tag"].encode())
    t.squeeze("logup-alpha")
    trees = parse_zk_logup(Reader(bytes.fromhex(case["proof"])),
                           [tr["depth"] for tr in case["trees"]])
    return verify_zk_logup(t, trees, VECTORS["groups"], GENS.g_e)


def test_checks_come_in_order_with_the_documented_products() -> None:
    """zk.md 5.6: the groups' folds first, then the layers tree by tree; a group of G
    trees takes G^2 + 5G - 2 products, a layer three."""
    _, checks = _honest_run()
    depths = [tr["depth"] for tr in VECTORS["cases"][0]["trees"]]
    groups = VECTORS["groups"]
    layers = sum(d - 1 for d in depths)
    ids = [c.id for c in checks]
    assert ids == ["logup.group-sum", "logup.root-denominator"] * len(groups) \
        + ["logup.layer"] * layers
    assert products_needed(checks[:2 * len(groups)]) == sum(g * g + 5 * g - 2 for g in groups)
    assert products_needed(checks[2 * len(groups):]) == 3 * layers


def _run_clear(groups: list[int], roots: list[list[int]], layers: list) -> str | None:
    named = [[Claim(f"logup-root[{i}][{j}]", v) for j, v in enumerate(r)]
             for i, r in enumerate(roots)]
    try:
        for c in declare(groups, named, layers):
            run_check(c, CLEAR)
    except VerificationError as e:
        return e.check
    return None


def test_the_declarations_decide_logups_checks_in_the_clear() -> None:
    """Over numbers (the clear backend) the same declarations are logup.md's checks."""
    third, minus = [1, 0, 3, 1], [R - 1, 0, 3, 1]  # 1/3 and -1/3 as roots
    assert _run_clear([2], [third, minus], []) is None
    assert _run_clear([1, 1], [third, minus], []) == "logup.group-sum"
    assert _run_clear([2], [[0, 0, 0, 1], [0, 0, 5, 1]], []) == "logup.root-denominator"
    # the eq-factored final carries no eq(r, s): the relation alone
    e, lam = [2, 3, 5, 7], 11
    final = (e[0] * e[3] + e[1] * e[2] + lam * e[2] * e[3]) % R
    for fin, want in ((final, None), (final + 1, "logup.layer"), (13 * final, "logup.layer")):
        evals = tuple(Claim(f"e{j}", v) for j, v in enumerate(e))
        lay = LayerDecl(lam, Claim("final", fin), evals)
        assert _run_clear([2], [third, minus], [[lay]]) == want


def test_sizes_are_bounded_before_allocating() -> None:
    def err(data: bytes, depths: list[int]) -> str | None:
        try:
            parse_zk_logup(Reader(data), depths)
        except VerificationError as e:
            return e.check
        return None

    assert err(enc_u32(3), [4]) == "logup.shape"
    assert err(enc_u32(33), [33]) == "proof.limits"
    assert err(enc_u32(0), [0]) == "proof.limits"
    assert err(enc_u32(32) + bytes(64), [32]) == "proof.truncated"
    with pytest.raises(ProofFormatError):
        parse_zk_logup(Reader(enc_u32(2)), [3])
    t = Transcript(b"t")
    with pytest.raises(VerificationError) as exc:
        verify_zk_logup(t, [], [1], GENS.g_e)
    assert exc.value.check == "logup.groups"


def test_rounds_are_two_points_each() -> None:
    """zk.md 5.6: layer `k` of a tree sends `k` eq-factored rounds of 2 points (g(0),
    g(2)); the honest vector's bytes are exactly that long."""
    case = VECTORS["cases"][0]
    depths = [tr["depth"] for tr in case["trees"]]
    trees = parse_zk_logup(Reader(bytes.fromhex(case["proof"])), depths)
    for tree, d in zip(trees, depths, strict=True):
        assert [len(rounds) for rounds, _ in tree.layers] == list(range(1, d))
        assert all(len(rd) == 2 for rounds, _ in tree.layers for rd in rounds)


def test_degenerate_eq_point_is_rejected_committed() -> None:
    """A zero coordinate of the eq point would make g(1)'s form divide by zero: the
    committed eq-factored sumcheck rejects it by name before deriving anything."""
    claim = Form.of(GENS.g_e)
    rounds = [[GENS.g_e, GENS.g_e]] * 3
    verify_eq(Transcript(b"t"), claim, [5, 6, 7], 2, rounds)
    with pytest.raises(VerificationError) as exc:
        verify_eq(Transcript(b"t"), claim, [5, 0, 7], 2, rounds)
    assert exc.value.check == "sumcheck.eq-degenerate"
    with pytest.raises(VerificationError) as exc:
        verify_eq(Transcript(b"t"), claim, [5, 6, 7], 2, [[GENS.g_e] * 3] * 3)
    assert exc.value.check == "sumcheck.shape"
