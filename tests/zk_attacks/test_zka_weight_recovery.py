"""Weight recovery by linear algebra (zka_weights): a handful of kind-3 proofs of any
inputs give back the quantized weights exactly; the same pipeline on kind-5 proofs of
the same model finds no model stack at all that explains what it reads."""

from __future__ import annotations

from zka_capture import observe_kind3, observe_kind5
from zka_models import inputs, model_stack, prove, signed, vk_of
from zka_weights import has_solution, recover, recover_by_lattice

from zkml.verifier.field import R

#: kind-3 proofs the attack needs: 12 equations each on the 51 weights and biases (the
#: rest of the 128-entry stack is public padding)
PROOFS = 5


def _tensor_weights(cm, stack: list[int], name: str) -> list[list[int]]:
    """Tensor `name` read out of a model stack (rows x cols at its offset)."""
    t = vk_of(cm).circuit.model.tensors[name]
    return [[signed(stack[t.offset + (i << t.log_cols) + j]) for j in range(t.cols)]
            for i in range(t.rows)]


def test_weight_recovery_attack_recovers_kind3_weights_exactly(models):
    vk = vk_of(models.a3)
    views = [observe_kind3(vk, prove(models.a3, x))[1] for x in inputs(PROOFS)]
    got = recover(vk, views, kind=3)
    assert got is not None and got == model_stack(models.a3)
    # the quantized Gemm weights themselves (the stack holds a Gemm's W as out x in)
    for name in ("W0", "W1"):
        quantized = models.a3.model.constants[name]
        assert _tensor_weights(models.a3, got, name) == quantized.T.tolist()
    # an attacker who sees only inputs and outputs cannot tell the twin (hidden units
    # permuted, same function) from the model; kind-3 proofs give each one's own weights
    vk_b = vk_of(models.b3)
    views_b = [observe_kind3(vk_b, prove(models.b3, x))[1] for x in inputs(PROOFS)]
    got_b = recover(vk_b, views_b, kind=3)
    assert got_b == model_stack(models.b3) != got


def test_weight_recovery_attack_fails_on_kind5(models):
    """The same pipeline on as many kind-5 proofs as the kind-3 attack needed (137
    equations, padding included, on 128 unknowns): no model stack explains the revealed
    values (the system is inconsistent), so nothing is recovered, for the model and for
    its twin alike (no more than inputs and outputs tell); on kind-3 proofs the same
    over-determined system is consistent (the attack is live)."""
    for cm in (models.a5, models.b5):
        vk = vk_of(cm)
        views = [observe_kind5(vk, prove(cm, x))[1] for x in inputs(PROOFS)]
        assert recover(vk, views, kind=5) is None
        assert not has_solution(vk, views, kind=5)
    vk3 = vk_of(models.a3)
    views3 = [observe_kind3(vk3, prove(models.a3, x))[1] for x in inputs(PROOFS)]
    assert has_solution(vk3, views3, kind=3)


def test_weight_lattice_attack_recovers_kind3_weights_from_one_proof(models):
    """Lattice reduction over one proof (zka_weights.recover_by_lattice): the model
    stack's opening vector and the public padding give every weight exactly."""
    vk = vk_of(models.a3)
    view = observe_kind3(vk, prove(models.a3, inputs(1, seed=13)[0]))[1]
    assert recover_by_lattice(vk, view, view.w) == model_stack(models.a3)


def test_weight_lattice_attack_fails_on_kind5(models):
    """The same lattice pipeline on one kind-5 proof (the dot product's responses over
    the challenge): no column has a solution among the signed 16-bit integers, so no
    weight is recovered."""
    vk = vk_of(models.a5)
    view = observe_kind5(vk, prove(models.a5, inputs(1, seed=13)[0]))[1]
    c_inv = pow(view.c, R - 2, R)
    got = recover_by_lattice(vk, view, [z * c_inv % R for z in view.z])
    used = sum(t.rows * t.cols for t in vk.circuit.model.tensors.values())
    assert got.count(None) == used == 51
