"""A small, slow LogUp-GKR reference prover for the verifier's tests (logup.md).

Never imported by zkml/. It builds the fraction tree of any leaves (honest or not) and
proves it layer by layer with a plain eq-factored sumcheck (sumcheck.md), mirroring
`zkml.verifier.logup.logup_verify` step by step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from zkml.verifier.encoding import enc_fr, enc_u32
from zkml.verifier.field import R, eq_table, mle_eval
from zkml.verifier.sumcheck import EqSumcheckProof, encode_eq_sumcheck_proof
from zkml.verifier.transcript import Transcript


def range_leaves(
    values: list[int], alpha: int, depth: int, multiplicities: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Leaves for lookups of `values` into [0, 256): lookups first, then the table.

    Multiplicities default to the honest counts of the values that are in range.
    """
    if multiplicities is None:
        multiplicities = [0] * 256
        for v in values:
            if 0 <= v < 256:
                multiplicities[v] += 1
    size = 1 << depth
    if len(values) + 256 > size:
        raise ValueError("depth too small for the leaves")
    p = [0] * size
    q = [1] * size
    # the table gets the aligned slot at 0 (largest first), the lookups follow
    for j in range(256):
        p[j] = (-multiplicities[j]) % R
        q[j] = (alpha - j) % R
    for i, v in enumerate(values):
        p[256 + i] = 1
        q[256 + i] = (alpha - v) % R
    return p, q


def _layers(p: list[int], q: list[int]) -> dict[int, tuple[list[int], list[int]]]:
    size = len(p)
    depth = size.bit_length() - 1
    if size != 1 << depth or depth < 1 or len(q) != size:
        raise ValueError("leaves must have 2^D entries, D >= 1")
    layers: dict[int, tuple[list[int], list[int]]] = {}
    layers[depth] = ([v % R for v in p], [v % R for v in q])
    for k in range(depth - 1, 0, -1):
        pc, qc = layers[k + 1]
        pk = [(pc[2 * x] * qc[2 * x + 1] + pc[2 * x + 1] * qc[2 * x]) % R for x in range(1 << k)]
        qk = [qc[2 * x] * qc[2 * x + 1] % R for x in range(1 << k)]
        layers[k] = (pk, qk)
    return layers


def layer_g(tabs: Sequence[Sequence[int]], rest: Sequence[int], lam: int) -> list[int]:
    """`g(X) = sum_i rest[i] F(tabs at (X, i))` at X = 0, 1, 2 for `F = p0 q1 + p1 q0 +
    lam q0 q1` (tables `[p0, p1, q0, q1]` paired on their lowest variable)."""
    out = []
    for x in range(3):
        acc = 0
        for i, w in enumerate(rest):
            a, b, c, d = ((tab[2 * i] + x * (tab[2 * i + 1] - tab[2 * i])) % R for tab in tabs)
            acc += w * (a * d + b * c + lam * c * d)
        out.append(acc % R)
    return out


def prove_eq_layer(send: Callable[[list[int]], int], r: Sequence[int],
                   tabs: Sequence[Sequence[int]], lam: int) -> list[int]:
    """The eq-factored sumcheck's rounds (sumcheck.md) of `sum_x eq(r, x) F(x)`: each
    round's `g` at 0, 1, 2 goes to `send` (which puts `g(0), g(2)` on the transcript and
    returns the challenge); returns the point."""
    tabs = [[v % R for v in tab] for tab in tabs]
    point = []
    for j in range(len(r)):
        c = send(layer_g(tabs, eq_table(list(r[j + 1:])), lam))
        point.append(c)
        tabs = [[(lo + c * (hi - lo)) % R for lo, hi in zip(tab[0::2], tab[1::2], strict=True)]
                for tab in tabs]
    return point


def prove_eq_sumcheck(t: Transcript, r: Sequence[int], tabs: Sequence[Sequence[int]], lam: int,
                      claim: int) -> tuple[EqSumcheckProof, list[int]]:
    """The clear eq-factored sumcheck of one LogUp layer (degree 2)."""
    t.absorb_u32("eq-sumcheck-vars", len(r))
    t.absorb_u32("eq-sumcheck-degree", 2)
    t.absorb_fr("sumcheck-claim", claim % R)
    rounds = []

    def send(g: list[int]) -> int:
        rounds.append((g[0], g[2]))
        t.absorb_frs("eq-sumcheck-round", rounds[-1])
        return t.squeeze("sumcheck-challenge")

    point = prove_eq_layer(send, r, tabs, lam)
    return EqSumcheckProof(len(r), 2, tuple(rounds)), point


def _prove_layers(t: Transcript, layers, root: list[int]) -> tuple[list[bytes], list[int]]:
    depth = max(layers)
    out: list[bytes] = []
    mu = t.squeeze("logup-mu")
    r = [mu]
    pc_, qc_ = (root[0] + mu * (root[1] - root[0])) % R, (root[2] + mu * (root[3] - root[2])) % R
    for k in range(1, depth):
        lam = t.squeeze("logup-lambda")
        pch, qch = layers[k + 1]
        p0, p1_, q0, q1_ = pch[0::2], pch[1::2], qch[0::2], qch[1::2]
        claim = (pc_ + lam * qc_) % R
        proof, s = prove_eq_sumcheck(t, r, [p0, p1_, q0, q1_], lam, claim)
        e = [mle_eval(tab, s) for tab in (p0, p1_, q0, q1_)]
        t.absorb_frs("logup-layer-evals", e)
        out.append(encode_eq_sumcheck_proof(proof))
        out += [enc_fr(v) for v in e]
        mu = t.squeeze("logup-mu")
        r = [mu, *s]
        pc_, qc_ = (e[0] + mu * (e[1] - e[0])) % R, (e[2] + mu * (e[3] - e[2])) % R
    return out, r


def prove_logup_trees(
    t: Transcript, trees: list[tuple[list[int], list[int]]]
) -> tuple[bytes, list[list[int]]]:
    """LogupProof bytes for several trees (every root absorbed first), and each final point."""
    all_layers = [_layers(p, q) for p, q in trees]
    roots = []
    for layers in all_layers:
        p1, q1 = layers[1]
        roots.append([p1[0], p1[1], q1[0], q1[1]])
        t.absorb_frs("logup-root", roots[-1])
    out: list[bytes] = []
    points = []
    for layers, root in zip(all_layers, roots, strict=True):
        body, r = _prove_layers(t, layers, root)
        out += [enc_u32(max(layers))] + [enc_fr(v) for v in root] + body
        points.append(r)
    return b"".join(out), points


def prove_logup(
    t: Transcript, p: list[int], q: list[int], root_override: list[int] | None = None
) -> tuple[bytes, list[int]]:
    """LogupProof bytes for one tree of leaves (p, q) of length 2^D, and its final point."""
    layers = _layers(p, q)
    p1, q1 = layers[1]
    root = root_override or [p1[0], p1[1], q1[0], q1[1]]
    t.absorb_frs("logup-root", root)
    body, r = _prove_layers(t, layers, root)
    return b"".join([enc_u32(max(layers))] + [enc_fr(v) for v in root] + body), r


def table_tree(alpha: int, multiplicities: list[int]) -> tuple[list[int], list[int]]:
    """A range table's tree: -m_j / (alpha - j) for j < len(multiplicities)."""
    return [(-m) % R for m in multiplicities], [(alpha - j) % R for j in range(len(multiplicities))]
