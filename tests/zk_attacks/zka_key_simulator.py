"""The zero-knowledge simulator of kind-6 keys (the hiding verifying key's well-formedness
proof, circuits/zk_inference.md 4; circuits/zk.md "Simulator"). It is given only the
key's public part, the head (the circuit, the model stack's shape and the blinded row
commitments `C_P`, which it never opens) and the generators' seed digest, never the
weights or `C_P`'s row blinders, and it outputs a whole key that the pure-Python verifier
(`zkml.verifier.zk_key.verify_zk_wf`) accepts when its transcript takes the simulator's
programmed challenges (`programmed(oracle, zk_key)`).

The schedule is kind 5's (zka_simulator), so its steps are reused as they are: every
message is a commitment `v G_e + t H` with a fresh `t` (`C_m`'s rows, the LogUp, the two
leaf evaluations, the opening's rounds and `C_e`, the `"zk-products"`, whose count the
depths fix), the values solved so that every linear form commits to 0, `tau` from the
known blinders, and the batched proof of product and the two dot-product proofs (one on
`C_P`'s rows, one on `C_m`'s) simulated at the programmed `c`. `C_P` enters only those
dot-product equations, as the public points it is.

Pass 1 runs `verify_zk_wf` itself over zero commitments with the tail left out (its
`verify_tail` is replaced by one that only squeezes the tail's challenges and keeps the
forms and statements); pass 2 re-commits with the solved values and writes the bytes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from unittest import mock

from zka_simulator import Atoms, Oracle, Pass1, finish, programmed, render

import zkml.verifier.zk_key as zk_key
from zkml.verifier.encoding import Reader, enc_u32
from zkml.verifier.generators import derive_generator
from zkml.verifier.key_common import KeyHead, parse_key_head
from zkml.verifier.proofs import read_header
from zkml.verifier.zk.logup import parse_zk_logup
from zkml.verifier.zk.sigma import G_E_INDEX, H_INDEX

__all__ = ["KeyStatement", "key_statement", "simulate_key"]


@dataclass(frozen=True)
class KeyStatement:
    """What the kind-6 simulator is given: the key's bytes up to the end of `C_P` (header,
    circuit JSON, shape, the blinded rows) and the generators' seed digest."""

    head: bytes
    seed_digest: bytes


def key_statement(key: bytes, seed_digest: bytes) -> KeyStatement:
    """The public part of a kind-6 key: its bytes up to the end of `C_P`."""
    _, rd = read_header(key)
    parse_key_head(rd)
    return KeyStatement(key[:rd.position], seed_digest)


def _head(st: KeyStatement) -> KeyHead:
    _, rd = read_header(st.head + b"\0")  # the head's parser wants a proof to follow
    return parse_key_head(rd)


def _layout(head: KeyHead, atoms: Atoms) -> tuple[list, list[int]]:
    """The key's bytes after `C_P` up to the tail (zk_inference.md 4), as bytes and atom
    indices, every count from the circuit; and the `"zk-products"` atoms."""
    ms = head.circuit.model
    n, rb = ms.num_vars, ms.range_bits
    out: list = []

    def pts(k: int) -> list[int]:
        new = [atoms.fresh() for _ in range(k)]
        out.extend(new)
        return new

    out.append(enc_u32(1 << (rb - rb // 2)))  # C_m
    pts(1 << (rb - rb // 2))
    for d in (n, rb, 1):  # the hiding LogUp's three trees
        out.append(enc_u32(d))
        pts(4)
        for k in range(1, d):
            pts(2 * k + 4)
    out.append(enc_u32(2))  # logup-leaf-evals
    pts(2)
    pts(2 * n + 1 + 2 * rb + 1)  # the hiding opening of P and m
    count = zk_key.products_count(n, rb)
    out.append(enc_u32(count))
    return out, pts(count)


def _pass1(head: KeyHead, body: bytes, products: list, st: KeyStatement,
           oracle: Oracle) -> Pass1:
    """`verify_zk_wf` over the zero commitments under the programmed oracle, stopped at
    the tail: the linear forms, the product triples, the dot statements and the tail's
    challenges."""
    ms = head.circuit.model
    n, rb = ms.num_vars, ms.range_bits
    rd = Reader(body)
    mult = tuple(rd.g1_vec("C_m", expected=1 << (rb - rb // 2)))
    logup = tuple(parse_zk_logup(rd, (n, rb, 1)))
    leaf = tuple(rd.g1_vec("leaf", expected=2))
    opening = rd.raw(64 * (2 * n + 1 + 2 * rb + 1))
    wf = zk_key.ZkWellFormednessProof(logup, leaf, opening, tuple(products), b"")
    seen: list[Pass1] = []

    def tail(gens, t, r, linear, triples, dots) -> None:
        ch = (t.squeeze("zk-product-link"), t.squeeze("zk-product-batch")) if triples \
            else (0, 0)
        lam = t.squeeze("zk-linear")
        c = t.squeeze("sigma-c")
        t.squeeze("sigma-merge")
        seen.append(Pass1(list(linear), list(triples), list(dots), [], ch, lam, c))

    with programmed(oracle, zk_key), mock.patch.object(zk_key, "verify_tail", tail):
        zk_key.verify_zk_wf(head.circuit, head.commitment, mult, wf, st.seed_digest)
    return seen[0]


def simulate_key(st: KeyStatement, oracle: Oracle, seed: int) -> bytes:
    """A kind-6 key with head `st.head`, accepted by `verify_zk_wf` under
    `programmed(oracle, zk_key)` for the generators of `st.seed_digest`."""
    head = _head(st)
    ms = head.circuit.model
    g_e = derive_generator(st.seed_digest, G_E_INDEX)
    atoms = Atoms(g_e, derive_generator(st.seed_digest, H_INDEX), random.Random(seed))
    items, product_atoms = _layout(head, atoms)
    atoms.commit_all()
    one = _pass1(head, render(items, atoms), [atoms.points[a] for a in product_atoms], st,
                 oracle)
    cols = max(1 << ms.log_cols, 1 << (ms.range_bits // 2), len(product_atoms))
    sent = finish(one, atoms, g_e, cols=cols, digest=st.seed_digest)
    return st.head + render(items, atoms) + sent
