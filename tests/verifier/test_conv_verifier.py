"""CNN inference proofs (circuits/conv.md) end to end with the reference prover: honest
proofs of several shapes verify, cheating witnesses and edited messages are rejected at
the check that names them, every proof field is bound, and the verifier's work for a
conv layer grows polylogarithmically with the input side."""

from __future__ import annotations

import random

import pytest
from cheats import rejected
from keyed_model import KeyedModel
from reference_cnn import build
from reference_inference import Witness

from zkml.errors import VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.conv import wiring_product
from zkml.verifier.field import R
from zkml.verifier.gadgets import instance_table as _instances
from zkml.verifier.spatial import ConvSpec
from zkml.verifier.wiring import Axis, OpCounter


def conv(oc, k, s=1, d=1, p=0, x=None):
    n = len(k)
    return ("conv", x, oc, list(k), [s] * n, [d] * n, [p] * n)


MODELS = {
    # 3x3 pad 1 conv on the input, 2x2 maxpool, 3x3 stride-2 padded conv, 2x2 sumpool, dense
    "main": ([conv(3, (3, 3), p=1), ("maxpool", None, [2, 2]), conv(2, (3, 3), s=2, p=1),
              ("sumpool", None, [2, 2]), ("dense", None, 3)], [2, 6, 6]),
    # dilation 2, a 1x1 conv, a residual add of spatial tensors, a 4x4 sumpool
    "residual": ([conv(2, (3, 3), d=2, p=2), conv(2, (1, 1)), ("add", 0, 1),
                  ("sumpool", None, [4, 4]), ("dense", None, 2)], [1, 8, 8]),
    # 1-D: conv, maxpool 2, a global (power-of-two) sumpool, dense
    "1d": ([conv(3, (3,), p=1), ("maxpool", None, [2]), ("sumpool", None, [4]),
            ("dense", None, 2)], [2, 10]),
    # pools straight on the shaped input (the verifier evaluates the input at the window
    # points), a global 4x4 sumpool, a dense head
    "input-pools": ([("maxpool", "input", [2, 2]), ("sumpool", "input", [4, 4]),
                     ("dense", 0, 2), ("dense", 1, 2), ("add", 2, 3)], [2, 4, 4]),
    # a dense layer straight on the shaped input (weight.cols = its padded width 16)
    "input-dense": ([conv(2, (3, 3), p=1, x="input"), ("dense", "input", 3), ("dense", 0, 3),
                     ("add", 1, 2)], [1, 3, 4]),
    # 5x5 stride-2 conv with non-square pads on a non-power-of-two input, dense
    "strided": ([("conv", None, 2, [5, 3], [2, 1], [1, 1], [2, 1]), ("dense", None, 2)],
                [3, 7, 5]),
}


class Model(KeyedModel):
    def __init__(self, name: str) -> None:
        layers, shape = MODELS[name]
        super().__init__(*build(layers, shape))


_MODELS: dict[str, Model] = {}


def model(name: str) -> Model:
    if name not in _MODELS:
        _MODELS[name] = Model(name)
    return _MODELS[name]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("batch", [1, 3])
def test_honest_cnn_proofs_verify(name, batch):
    m = model(name)
    st = verify_inference(m.prove(batch), m.vk)
    x = m.inputs(batch)
    assert st.batch == batch and st.input == tuple(tuple(r) for r in x)
    wit = Witness(m.doc, m.tensors, x)
    L, n = m.doc["output"]["gadget"], m.doc["output"]["features"]  # noqa: N806
    assert st.output == tuple(tuple(wit.z[L][b][:n]) for b in range(batch))


def test_main_model_has_every_instance_kind():
    c = model("main").vk.circuit
    kinds = [(k, c.gadgets[g].op) for k, g, _ in _instances(c, c.layout(1))]
    assert kinds[:3] == [("conv", "conv"), ("conv", "conv"), ("dense", "dense")]
    assert ("zerocheck", "maxpool") in kinds and kinds[-1][0] == "output"
    mp = c.gadgets[1]
    # u, v (the range [-8, 15] has 24 values), then D_w (5 bits) per window, then S_w
    assert [(k.kind, k.width) for k in mp.columns] == (
        [("u", 5), ("v", 5)] + [("D", 5)] * 4 + [("S", 1)] * 4)


# --- cheating provers: the honest protocol on a wrong witness -------------------------


def _first(vals, pred):
    return next(i for i, z in enumerate(vals["z"]) if pred(i, z))


def _conv_output(g, vals):
    if g == 0:  # one conv output (and its q) off by one
        i = _first(vals, lambda i, z: z < 15)
        vals["z"][i] += 1
        vals["q"][i] += 1


def _max_not_an_input(g, vals):
    if g == 1:  # z above every entry of its window: all D_w >= 1, S one-hot
        i = _first(vals, lambda i, z: z < 15)
        vals["z"][i] += 1
        for d in vals["D"]:
            d[i] += 1


def _max_below_an_input(g, vals):
    if g == 1:  # z one below the window maximum: that entry's D is -1
        i = _first(vals, lambda i, z: z > -8)
        vals["z"][i] -= 1
        for d in vals["D"]:
            d[i] -= 1


def _sumpool_output(g, vals):
    if g == 3:
        i = _first(vals, lambda i, z: z < 15)
        vals["z"][i] += 1
        vals["q"][i] += 1


def _selector(values):
    def tamper(g, vals):
        if g == 1:
            for w, s in enumerate(values):
                vals["S"][w][0] = s
    return tamper


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (_conv_output, "inference sumcheck round 0"),
        (_max_not_an_input, "inference sumcheck round 0"),
        (_max_below_an_input, "logup group 0: the fractions do not sum to zero"),
        (_sumpool_output, "gadget.sumpool.relation"),
        (_selector([2, -1, 0, 0]), "logup group 0: the fractions do not sum to zero"),
        (_selector([1, 1, 0, 0]), "gadget.maxpool.selectors"),
        (_selector([0, 0, 0, 0]), "gadget.maxpool.selectors"),
    ],
)
def test_cheating_cnn_witness_is_rejected(tamper, match):
    with rejected(match):
        verify_inference(model("main").prove(1, tamper=tamper), model("main").vk)


def _edit(stage_name, i):
    def edit(stage, data):
        if stage != stage_name:
            return data
        data = list(data)
        data[i] = (data[i] + 1) % R
        return data
    return edit


@pytest.mark.parametrize(
    ("stage", "i", "match"),
    [
        (("acc", 0), 0, "inference sumcheck round 0"),   # conv u limb: claim moves
        (("acc", 0), -1, "inference sumcheck round 0"),  # conv bias at r_o
        (("acc", 1), 2, "gadget.maxpool.difference"),
        (("acc", 1), 6, "gadget.maxpool.selectors"),
        (("acc", 1), 10, "gadget.maxpool.difference"),   # X at window 0
        (("acc", 1), 13, "gadget.maxpool.difference"),   # X at window 3
        (("acc", 3), -1, "gadget.sumpool.relation"),
        ("sumcheck-evals", 0, "inference.final"),      # conv 0: W
        ("sumcheck-evals", 1, "inference.final"),      # conv 2: x limb
    ],
)
def test_edited_cnn_messages_are_rejected(stage, i, match):
    m = model("main")
    with rejected(match):
        verify_inference(m.prove(1, edit=_edit(stage, i)), m.vk)


def test_every_proof_field_is_bound():
    """Each field of one CNN proof mutated in turn: every Fr of every vector and of the
    sumcheck, and one byte of every other field; each mutant is rejected."""
    m = model("main")
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    head = len(data) - sum(len(b) for _, b in parts)
    mutants = []
    pos = head
    for name, raw in parts:
        if name.endswith("evals"):
            for k in range((len(raw) - 4) // 32):
                at = pos + 4 + 32 * k
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((name, data[:at] + v.to_bytes(32, "big") + data[at + 32 :]))
        elif name == "sumcheck":
            for k in range((len(raw) - 8) // 32):
                at = pos + 8 + 32 * k
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((name, data[:at] + v.to_bytes(32, "big") + data[at + 32 :]))
        else:
            at = pos + len(raw) - 1
            mutants.append((name, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        pos += len(raw)
    assert len(mutants) > 80
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")


# --- the verifier's cost for one conv layer ---------------------------------------------


def _conv_spec(c_in, c_out, k, stride, pad, side):
    t = (side + 2 * pad - k) // stride + 1
    axes = tuple(Axis(t, side, k, stride, 1, pad) for _ in range(2))
    return ConvSpec((c_in, side, side), (c_out, t, t), (k, k), axes)


def _conv_ops(spec: ConvSpec) -> int:
    rng = random.Random(7)
    r_g = [rng.randrange(R) for _ in range(sum((t - 1).bit_length() for t in spec.out_shape))]
    s = [rng.randrange(R) for _ in range(spec.num_vars)]
    counter = OpCounter()
    wiring_product(spec, r_g, s, counter)
    counter.mul += 2  # the final check: W * X * (W~_1 W~_2)
    return counter.mul + counter.add


@pytest.mark.parametrize(("k", "stride", "pad"), [(5, 1, 2), (3, 2, 1)])
def test_conv_verifier_cost_is_polylogarithmic(k, stride, pad):
    """Field operations the verifier spends on one conv layer's relation (3 -> 8
    channels) for inputs of side 28, 56, 112 and 224: the two wiring evaluations
    W~_1(r_y, s_i, s_y'), W~_2(r_x, s_j, s_x') (wiring.md) and the constant-size final
    check W * X * W~_1 * W~_2 (conv.md section 2). Not counted: the claims W and X
    themselves (a model-stack and a witness-stack claim, or the public input's MLE when
    the conv reads the input: statement work), which the shared BatchOpen settles. Each
    doubling of the side adds one bit per axis, so at most a fixed number of operations;
    224x224 costs a tiny fraction of the 224 * 224 * C * K^2 multiply-adds of the layer."""
    counts = [_conv_ops(_conv_spec(3, 8, k, stride, pad, side)) for side in (28, 56, 112, 224)]
    steps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    print(f"conv {k}x{k} stride {stride} pad {pad}: ops {counts}, per doubling {steps}")
    assert all(0 <= d <= 128 for d in steps), (counts, steps)
    assert counts[-1] * 1000 < 224 * 224 * 3 * k * k
