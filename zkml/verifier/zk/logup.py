"""The hiding LogUp-GKR (circuits/zk.md 5.6) on the verifier's side.

logup.md's verifier with every value committed: the roots and each layer's evaluations
are points, each layer's sumcheck is the committed eq-factored sumcheck (5.2), and `P`, `Q` stay
linear forms. logup.md's checks become declarations (`zkml.verifier.declarations`) that
the caller runs through its `CommittedBackend` (5.3), in zk.md 5.6's order: every
group's fold (`logup.group-sum`: `N == 0`, `logup.root-denominator`: `M != 0`), then
every tree's `logup.layer` checks. The committed claims are named `logup-root[i][j]`,
`logup-layer-evals[i][k][j]` and `logup-layer-final[i][k]` (a sumcheck's final form).
Nothing here touches the curve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zkml.errors import ProofFormatError, TruncatedProofError, VerificationError
from zkml.verifier.declarations import Check, Claim, Expr, nonzero_check, zero_check
from zkml.verifier.encoding import G1Point, Reader
from zkml.verifier.transcript import Transcript
from zkml.verifier.zk.backend import Committed
from zkml.verifier.zk.forms import Form
from zkml.verifier.zk.sumcheck import verify_eq

__all__ = ["MAX_LOGUP_DEPTH", "ZkTree", "parse_zk_logup", "verify_zk_logup"]

#: The deepest fraction tree (logup.md).
MAX_LOGUP_DEPTH = 32
#: One encoded G1 point.
_G1 = 64

Quad = tuple[G1Point, G1Point, G1Point, G1Point]


@dataclass(frozen=True)
class ZkTree:
    """One tree's messages: the root's four commitments, then per layer `k = 1..D-1` the
    committed eq-factored sumcheck's rounds (`k` rounds of 2 points) and four evaluation
    commitments."""

    depth: int
    root: Quad
    layers: tuple[tuple[tuple[tuple[G1Point, ...], ...], Quad], ...]


def _quad(r: Reader, what: str) -> Quad:
    a, b, c, d = (r.g1(f"{what}[{j}]") for j in range(4))
    return (a, b, c, d)


def _tree_bytes(d: int) -> int:
    """`u32 D || G1[4] || for k = 1..D-1: k * 2 G1 || G1[4]`, after the depth."""
    return 4 * _G1 + (d * (d - 1) + 4 * (d - 1)) * _G1


def parse_zk_logup(r: Reader, depths: Sequence[int]) -> list[ZkTree]:
    """Read one tree per entry of `depths` (the statement fixes them, each 1..32); each
    tree's size is checked against the bytes left before anything is read."""
    trees = []
    for i, want in enumerate(depths):
        d = r.u32(f"logup tree {i} depth")
        if d != want:
            raise ProofFormatError(f"logup tree {i}: depth {d}, the statement fixes {want}",
                                   check="logup.shape")
        if not 1 <= d <= MAX_LOGUP_DEPTH:
            raise ProofFormatError(f"logup tree {i}: depth {d} outside 1..{MAX_LOGUP_DEPTH}",
                                   check="proof.limits")
        if _tree_bytes(d) > r.remaining:
            raise TruncatedProofError(f"logup tree {i}: truncated", check="proof.truncated")
        root = _quad(r, f"logup tree {i} root")
        layers = []
        for k in range(1, d):
            rounds = tuple(tuple(r.g1("zk sumcheck round") for _ in range(2)) for _ in range(k))
            layers.append((rounds, _quad(r, f"logup tree {i} layer {k} evals")))
        trees.append(ZkTree(d, root, tuple(layers)))
    return trees


@dataclass(frozen=True)
class LayerDecl:
    """One layer as its check sees it: `lambda`, the eq-factored sumcheck's final claim
    (without `eq(r, s)`) and the four evaluations."""

    lam: int
    final: Claim
    evals: tuple[Claim, Claim, Claim, Claim]


def _fold(roots: Sequence[Sequence[Claim]]) -> tuple[Expr, Expr]:
    """logup.md's fold of a group's root fractions, from its first tree's fraction (the
    Rust side's `logup::fold_roots`: the same expressions, so the same products)."""
    def frac(r: Sequence[Claim]) -> tuple[Expr, Expr]:
        return r[0] * r[3] + r[1] * r[2], r[2] * r[3]

    n, m = frac(roots[0])
    for root in roots[1:]:
        p, q = frac(root)
        n, m = n * q + p * m, m * q
    return n, m


def declare(groups: Sequence[int], roots: Sequence[Sequence[Claim]],
            layers: Sequence[Sequence[LayerDecl]]) -> list[Check]:
    """zk.md 5.6's checks in order: per group `N == 0` then `M != 0`, then every tree's
    layers `final - (e0 e3 + e1 e2 + lambda e2 e3) == 0` (no eq: the eq-factored final is
    already divided by it)."""
    checks, start = [], 0
    for g, count in enumerate(groups):
        n, m = _fold(roots[start:start + count])
        checks.append(zero_check("logup.group-sum", n, f"logup group {g}: the fractions do not "
                                 "sum to zero (a lookup is not in its own table)"))
        checks.append(nonzero_check("logup.root-denominator", m,
                                    f"logup group {g}: zero denominator at a root"))
        start += count
    for i, tree in enumerate(layers):
        for k, lay in enumerate(tree, start=1):
            e0, e1, e2, e3 = lay.evals
            rel = e0 * e3 + e1 * e2 + (e2 * e3).scaled(lay.lam)
            checks.append(zero_check("logup.layer", lay.final - rel,
                                     f"logup tree {i} layer {k}: final value does not match "
                                     "the child evaluations"))
    return checks


def _line(a: Form, b: Form, mu: int) -> Form:
    return a + (b - a).scaled(mu)


def _verify_tree(t: Transcript, i: int, tree: ZkTree, seal: Callable[[Form], Committed]
                 ) -> tuple[tuple[list[int], Form, Form], list[LayerDecl]]:
    """logup.md's layer loop for tree `i` with forms for values."""
    root = [Form.of(p) for p in tree.root]
    mu = t.squeeze("logup-mu")
    r = [mu]
    p, q = _line(root[0], root[1], mu), _line(root[2], root[3], mu)
    decls = []
    for k, (rounds, evals) in enumerate(tree.layers, start=1):
        lam = t.squeeze("logup-lambda")
        s, final = verify_eq(t, p + q.scaled(lam), r, 2, rounds)
        t.absorb_points("logup-layer-evals", list(evals))
        e = [Form.of(x) for x in evals]
        c0, c1, c2, c3 = (Claim(f"logup-layer-evals[{i}][{k}][{j}]", seal(x))
                          for j, x in enumerate(e))
        decls.append(LayerDecl(lam, Claim(f"logup-layer-final[{i}][{k}]", seal(final)),
                               (c0, c1, c2, c3)))
        mu = t.squeeze("logup-mu")
        r = [mu, *s]
        p, q = _line(e[0], e[1], mu), _line(e[2], e[3], mu)
    return (r, p, q), decls


def verify_zk_logup(t: Transcript, trees: Sequence[ZkTree], groups: Sequence[int],
                    g_e: G1Point) -> tuple[list[tuple[list[int], Form, Form]], list[Check]]:
    """Run zk.md 5.6 on the transcript: absorb every root, then each tree's layers.
    Returns each tree's `(rho, P, Q)` (`P`, `Q` forms: the caller checks them against its
    leaf layout) and the checks, whose committed claims hold `Committed` handles, for the
    caller's `CommittedBackend` (which also takes their products)."""
    if any(g < 1 for g in groups) or sum(groups) != len(trees):
        raise VerificationError("logup: tree groups do not partition the trees",
                                check="logup.groups")

    def seal(f: Form) -> Committed:
        return Committed(f, g_e)

    roots = []
    for i, tree in enumerate(trees):
        t.absorb_points("logup-root", list(tree.root))
        roots.append([Claim(f"logup-root[{i}][{j}]", seal(Form.of(x)))
                      for j, x in enumerate(tree.root)])
    out = [_verify_tree(t, i, tree, seal) for i, tree in enumerate(trees)]
    return [res for res, _ in out], declare(groups, roots, [d for _, d in out])
