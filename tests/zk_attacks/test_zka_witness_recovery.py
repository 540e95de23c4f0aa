"""Witness recovery by lattice reduction (zka_witness): one kind-3 proof gives back every
entry of the witness stack (every limb of every hidden activation, the multiplicities);
the same pipeline on one kind-5 proof of the same input finds no solution for any
column."""

from __future__ import annotations

import numpy as np
from zka_capture import observe_kind3, observe_kind5
from zka_models import inputs, prove, vk_of
from zka_witness import recover_table

import zkml
from zkml.verifier.field import R
from zkml.verifier.generators import DEFAULT_SEED, generators, seed_digest
from zkml.verifier.hyrax import commit
from zkml.witness import build_witness


def _true_columns(cm, x: np.ndarray) -> list[list[int]]:
    """The prover's limb columns (the hidden activations' limbs) for input `x`."""
    q = zkml.verify(prove(cm, x), cm.verifying_key).inputs
    w = build_witness(cm.compiled_circuit, cm.model, np.array(q, dtype=np.int64))
    return [list(map(int, c)) for c in w.columns]


def test_witness_recovery_attack_recovers_every_activation_from_one_kind3_proof(models):
    vk = vk_of(models.a3)
    x = inputs(1, seed=11)[0]
    view = observe_kind3(vk, prove(models.a3, x))[0]
    lay = vk.circuit.layout(1)
    table = recover_table(view, view.w, 1 << lay.limb_bits)
    assert None not in table
    # exact: the recovered stack commits to the proof's witness commitment
    gens = generators(seed_digest(DEFAULT_SEED), 1 << lay.log_cols)
    assert commit([v % R for v in table], lay.num_vars, lay.log_cols, gens) == list(view.rows)
    # and holds every limb column of every gadget at its offset
    for col, off in zip(_true_columns(models.a3, x), lay.col_offsets, strict=True):
        assert table[off:off + len(col)] == col


def test_witness_recovery_attack_fails_on_kind5(models):
    """One kind-5 proof of the same input: the dot product's responses over the
    challenge, in place of `w`, give no column a solution in the limb range; the same
    code on the kind-3 proof recovers all of them (the attack is live)."""
    vk5, vk3 = vk_of(models.a5), vk_of(models.a3)
    x = inputs(1, seed=11)[0]
    bound = 1 << vk5.circuit.layout(1).limb_bits
    v5 = observe_kind5(vk5, prove(models.a5, x))[0]
    c_inv = pow(v5.c, R - 2, R)
    hidden = recover_table(v5, [z * c_inv % R for z in v5.z], bound)
    assert hidden == [None] * len(hidden)
    # the raw responses (no division) fare no better
    assert set(recover_table(v5, v5.z, bound)) == {None}
    v3 = observe_kind3(vk3, prove(models.a3, x))[0]
    assert None not in recover_table(v3, v3.w, bound)
