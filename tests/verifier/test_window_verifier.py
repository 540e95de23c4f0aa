"""General pooling windows (circuits/conv.md section 5: winsum, winmax) end to end with
the reference prover: honest proofs verify (3x3 stride 2 pad 1 winmax, 3x3 winsum with
divisor 9, 1-D dilated winmax; batch 1 and 3), cheating witnesses and edited messages are
rejected, every field of a winmax proof is bound, and the producers parse strictly."""

from __future__ import annotations

import copy

import pytest
from cheats import rejected
from edits import drop_key, edit_gadget, parse_doc, set_gadget_key, set_key
from keyed_model import KeyedModel
from reference_cnn import build
from reference_window import win_taps

from zkml.errors import ProofFormatError, VerificationError
from zkml.verifier import verify_inference
from zkml.verifier.field import R
from zkml.verifier.gadgets import instance_table as _instances

MODELS = {
    # conv 3x3 pad 1, then ResNet's stem pool: 3x3 stride 2 pad 1 winmax (5x5 -> 3x3,
    # padded outputs and taps reading padding), dense
    "winmax2d": ([("conv", None, 2, [3, 3], [1, 1], [1, 1], [1, 1]),
                  ("winmax", None, [3, 3], [2, 2], [1, 1], [1, 1]), ("dense", None, 2)],
                 [1, 5, 5]),
    # a 3x3 average (divisor 9) straight on the shaped input, dense
    "winsum": ([("winsum", "input", [3, 3], [1, 1], [1, 1], [0, 0], 9), ("dense", None, 2)],
               [2, 5, 5]),
    # a padded 3x3 stride-2 average (count_include_pad: divisor 9) of a conv's output
    "winsum-strided": ([("conv", None, 2, [3, 3], [1, 1], [1, 1], [1, 1]),
                        ("winsum", None, [3, 3], [2, 2], [1, 1], [1, 1], 9),
                        ("dense", None, 2)], [1, 5, 5]),
    # 1-D winmax on the input, dilation 2 pad 2, dense
    "winmax1d": ([("winmax", "input", [3], [1], [2], [2]), ("dense", None, 2)], [2, 7]),
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
def test_honest_window_proofs_verify(name, batch):
    m = model(name)
    st = verify_inference(m.prove(batch), m.vk)
    assert st.batch == batch and st.input == tuple(tuple(r) for r in m.inputs(batch))


def test_window_instances_and_columns():
    c = model("winmax2d").vk.circuit
    kinds = [(k, g) for k, g, _ in _instances(c, c.layout(1))]
    assert kinds[:4] == [("conv", 0), ("winmax_a", 1), ("winmax_b", 1), ("dense", 2)]
    assert ("zerocheck", 1) in kinds
    wm = c.gadgets[1]
    # u, v ([-8, 15]), then D_t (5 bits) for the 9 taps, then S_t
    assert [(k.kind, k.width) for k in wm.columns] == (
        [("u", 5), ("v", 5)] + [("D", 5)] * 9 + [("S", 1)] * 9)
    n = _instances(c, c.layout(1))
    assert [nv for k, g, nv in n if g == 1][:2] == [4, 6]  # (a): 4x4 outputs, (b): 8x8 in
    cs = model("winsum").vk.circuit
    assert [(k, g) for k, g, _ in _instances(cs, cs.layout(1))][:2] == [("winsum", 0),
                                                                         ("dense", 1)]


# --- cheating provers: the honest protocol on a wrong witness -------------------------

def _positions(m: Model, gi: int):
    """Per flat gadget-gi index (batch 1): its taps (reads, X_t) on the honest witness."""
    from reference_inference import Witness

    wit = Witness(m.doc, m.tensors, m.inputs(1))
    p = m.doc["gadgets"][gi]["producer"]
    x = wit.tensor(p["x"])
    return [ts for xr in x for ts in win_taps(p, xr)]


def _real(taps):
    return any(rd for rd, _ in taps)


def _max_not_a_tap(g, vals):
    if g == 1:  # z above every reading tap: D_t = z - X_t >= 1 on them, S unchanged
        taps = _positions(model("winmax2d"), 1)
        i = next(i for i, z in enumerate(vals["z"]) if z < 15 and _real(taps[i]))
        vals["z"][i] += 1
        for t, d in enumerate(vals["D"]):
            if taps[i][t][0]:
                d[i] += 1


def _selector_on_padding(g, vals):
    if g == 1:  # the selector moves to a tap that reads padding (its D_t is 0)
        taps = _positions(model("winmax2d"), 1)
        i = next(i for i, ts in enumerate(taps) if _real(ts) and not all(r for r, _ in ts))
        pad_t = next(t for t, (rd, _) in enumerate(taps[i]) if not rd)
        for s in vals["S"]:
            s[i] = 0
        vals["S"][pad_t][i] = 1


def _max_below_a_tap(g, vals):
    if g == 1:  # z one below the maximum: the winning tap's D_t is -1
        taps = _positions(model("winmax2d"), 1)
        i = next(i for i, z in enumerate(vals["z"]) if z > -8 and _real(taps[i]))
        vals["z"][i] -= 1
        for t, d in enumerate(vals["D"]):
            if taps[i][t][0]:
                d[i] -= 1


def _padded_output_nonzero(g, vals):
    if g == 1:  # a padded output (reads nothing) holding z = 1 instead of 0
        taps = _positions(model("winmax2d"), 1)
        i = next(i for i, ts in enumerate(taps) if not _real(ts))
        vals["z"][i] = 1


def _winsum_output(g, vals):
    if g == 0:  # one average off by one
        i = next(i for i, z in enumerate(vals["z"]) if z < 15)
        vals["z"][i] += 1
        vals["q"][i] += 1


@pytest.mark.parametrize(
    ("name", "tamper", "match"),
    [
        ("winmax2d", _max_not_a_tap, "inference sumcheck round 0"),
        ("winmax2d", _selector_on_padding, "inference sumcheck round 0"),
        ("winmax2d", _max_below_a_tap, "logup group 0: the fractions do not sum to zero"),
        ("winmax2d", _padded_output_nonzero, "inference sumcheck round 0"),
        ("winsum", _winsum_output, "inference sumcheck round 0"),
    ],
)
def test_cheating_window_witness_is_rejected(name, tamper, match):
    m = model(name)
    with rejected(match):
        verify_inference(m.prove(1, tamper=tamper), m.vk)


def _bump(stage_name, i):
    def edit(stage, data):
        if stage != stage_name:
            return data
        if not isinstance(data, list):
            return (data + 1) % R
        data = list(data)
        data[i] = (data[i] + 1) % R
        return data
    return edit


@pytest.mark.parametrize(
    ("name", "stage", "i", "match"),
    [
        ("winmax2d", ("window-e", 1), 0, "inference sumcheck round 0"),   # a wrong E
        ("winmax2d", ("acc", 1), 2, "inference sumcheck round 0"),        # D_0 at r_g
        ("winmax2d", ("acc", 1), 11, "gadget.winmax.selectors"),
        ("winmax2d", ("acc", 1), 0, "z \\+ v != hi at the acc point"),     # u at r_g
        ("winsum", ("acc", 0), 0, "inference sumcheck round 0"),          # acc moves
        ("winmax2d", "sumcheck-evals", 1, "z \\+ v != hi at winmax \\(a\\)'s point"),
        ("winmax2d", "sumcheck-evals", 3, "inference.final"),   # (b)'s X limb
        ("winmax1d", "sumcheck-evals", 0, "z \\+ v != hi at winmax \\(a\\)'s point"),
        ("winsum", "sumcheck-evals", 0, "inference.final"),     # dense W
    ],
)
def test_edited_window_messages_are_rejected(name, stage, i, match):
    m = model(name)
    with rejected(match):
        verify_inference(m.prove(1, edit=_bump(stage, i)), m.vk)


def test_every_winmax_proof_field_is_bound():
    """Each field of one winmax proof mutated in turn (every Fr of every vector, E_g and
    the sumcheck, one byte of the others): each mutant is rejected."""
    m = model("winmax2d")
    parts: list = []
    data = m.prove(1, parts=parts)
    assert verify_inference(data, m.vk)
    head = len(data) - sum(len(b) for _, b in parts)
    mutants = []
    pos = head
    for name, raw in parts:
        if name.startswith("acc-evals") or name.endswith("evals"):
            # acc-evals 1 carries its vector then E_g's Vec<Fr> (4-byte count each)
            k, off = 0, 4
            while off + 32 <= len(raw):
                at = pos + off
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((f"{name}[{k}]", data[:at] + v.to_bytes(32, "big")
                                + data[at + 32 :]))
                k += 1
                off += 32
                n = int.from_bytes(raw[:4], "big")
                if k == n and off + 4 < len(raw):  # E_g's vector
                    off += 4
        elif name == "sumcheck":
            for k in range((len(raw) - 8) // 32):
                at = pos + 8 + 32 * k
                v = (int.from_bytes(data[at : at + 32], "big") + 1) % R
                mutants.append((name, data[:at] + v.to_bytes(32, "big") + data[at + 32 :]))
        else:
            at = pos + len(raw) - 1
            mutants.append((name, data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]))
        pos += len(raw)
    names = [n for n, _ in mutants]  # u, v, 9 D_t, 9 S_t, then E_g
    assert "acc-evals 1[20]" in names and "acc-evals 1[21]" not in names
    assert len(mutants) > 80
    for name, bad in mutants:
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
            pytest.fail(f"mutated {name} accepted")


def test_truncated_or_longer_window_e_is_rejected():
    m = model("winmax2d")
    parts: list = []
    data = m.prove(1, parts=parts)
    head = len(data) - sum(len(b) for _, b in parts)
    pos = head
    for name, raw in parts:
        if name == "acc-evals 1":
            break
        pos += len(raw)
    e_at = pos + len(raw) - 36  # E_g's Vec<Fr>: count then one Fr
    assert int.from_bytes(data[e_at : e_at + 4], "big") == 1
    for count in (0, 2):
        bad = data[:e_at] + count.to_bytes(4, "big") + data[e_at + 4 :]
        with pytest.raises(VerificationError):
            verify_inference(bad, m.vk)
    with pytest.raises(VerificationError):  # E_g missing altogether
        verify_inference(data[:e_at] + data[e_at + 36 :], m.vk)


# --- strict parsing -------------------------------------------------------------------

def _circuit(name: str) -> dict:
    return copy.deepcopy(model(name).doc)




def test_window_circuits_parse():
    for name in MODELS:
        parse_doc(_circuit(name))


def _mut(name, gi, f):
    return edit_gadget(model(name).doc, gi, f)








@pytest.mark.parametrize(
    ("name", "gi", "f", "match"),
    [
        ("winmax2d", 1, drop_key("pads"), "missing keys"),
        ("winmax2d", 1, set_key("lshift", 0), "unknown keys"),
        ("winmax2d", 1, drop_key("diff_bits"), "missing keys"),
        ("winsum", 0, set_key("diff_bits", 5), "unknown keys"),
        ("winmax2d", 1, set_key("diff_bits", 0), "diff_bits = 0 outside"),
        ("winmax2d", 1, set_key("diff_bits", 65), "diff_bits = 65 outside"),
        ("winmax2d", 1, set_key("diff_bits", True), "must be an integer"),
        ("winsum", 0, set_key("lshift", 65), "lshift = 65 outside"),
        ("winsum", 0, set_key("lshift", 1.0), "must be an integer"),
        ("winmax2d", 1, set_key("strides", [0, 2]), "strides\\[0\\] = 0 outside"),
        ("winmax2d", 1, set_key("strides", [2]), "strides must be a list of 2"),
        ("winmax2d", 1, set_key("pads", [-1, 1]), "pads\\[0\\] = -1 outside"),
        ("winmax2d", 1, set_key("kernel", [3, 3, 3]), "kernel must be a list of 2"),
        ("winmax2d", 1, set_key("out_shape", [3, 3, 3]), "channels 2 != 3"),
        ("winmax2d", 1, set_key("in_shape", [2, 5, 9]), "input has width"),
        ("winmax2d", 1, set_key("out_shape", [2, 3, 5]), "features 32 != prod pad"),
        ("winmax2d", 1, set_key("x", 1), "is not an earlier gadget"),
        ("winmax2d", 1, set_key("x", "0"), "must be \"input\" or a gadget index"),
        ("winmax2d", 1, set_key("dilations", [1, 1 << 17]),
         "winmax axis 1: wiring: dilation = 131072 outside"),
        ("winmax2d", 1, set_gadget_key("shift", 1), "a winmax needs shift 0"),
        ("winmax2d", 1, set_gadget_key("excess_hi_bits", 2), "a winmax needs shift 0"),
        ("winmax1d", 0, set_key("in_shape", [2, 7, 1]), "out_shape must be a list of 3"),
    ],
)
def test_window_producer_parses_strictly(name, gi, f, match):
    with pytest.raises(ProofFormatError, match=match):
        parse_doc(_mut(name, gi, f))


def test_window_gadget_cannot_be_the_output():
    doc = _circuit("winmax2d")  # gadgets: conv, winmax, dense
    doc["output"] = {"gadget": 1, "features": doc["gadgets"][1]["features"], "argmax": False}
    with pytest.raises(ProofFormatError, match="is a winmax gadget"):
        parse_doc(doc)


def test_every_output_reads_matches_brute_force():
    from zkml.verifier.gadgets.window import _every_output_reads
    from zkml.verifier.wiring import Axis

    for n_in in range(1, 6):
        for k in range(1, 4):
            for s in range(1, 4):
                for d in range(1, 3):
                    for p in range(0, 7):
                        for n_out in range(1, 6):
                            a = Axis(n_out, n_in, k, s, d, p)
                            want = all(any(0 <= s * y + d * i - p < n_in for i in range(k))
                                       for y in range(n_out))
                            assert _every_output_reads(a) == want, a


def test_winmax_reading_only_padding_is_refused():
    def f(p, g, doc):  # pads 3 with a 3-tap window: output 0 reads inputs -3..-1
        p["pads"] = [3, 1]
    with pytest.raises(ProofFormatError, match="reads only padding"):
        parse_doc(_mut("winmax2d", 1, f))
    doc = _circuit("winsum")  # a winsum may read only padding (it sums to 0 there)
    doc["gadgets"][0]["producer"]["pads"] = [3, 0]
    doc["gadgets"][0]["producer"]["out_shape"] = [2, 3, 3]
    parse_doc(doc)


def test_window_verifier_cost_is_polylogarithmic():
    """The verifier's window work (K_1 + K_2 wiring evaluations per (a), (b) and the
    zerocheck, A_a and Rg) counted in field operations for 3x3 stride 2 pad 1 on sides
    28 .. 224: each doubling adds a bounded number, no loop over the spatial sizes."""
    import random

    from zkml.verifier import window as wmod
    from zkml.verifier.spatial import WindowSpec
    from zkml.verifier.wiring import Axis, OpCounter

    def ops(side):
        t = (side + 2 - 3) // 2 + 1
        axes = tuple(Axis(t, side, 3, 2, 1, 1) for _ in range(2))
        spec = WindowSpec((8, side, side), (8, t, t), (3, 3), axes, diff_bits=8)
        rng = random.Random(3)
        r_t = [[rng.randrange(R) for _ in range(a.vars()[0])] for a in axes]
        s_in = [[rng.randrange(R) for _ in range(a.vars()[2])] for a in axes]
        counter = OpCounter()
        real = wmod.wire_eval

        def counted(axis, ry, ri, rx, c=None):
            return real(axis, ry, ri, rx, counter)
        wmod.wire_eval = counted
        try:
            wmod._reads_all(spec, r_t)
            for a, axis in enumerate(axes):
                wmod._area(axis, r_t[a], s_in[a])
                for i in range(3):
                    wmod.wire_eval(axis, r_t[a], wmod._bits(i, 2), s_in[a])
        finally:
            wmod.wire_eval = real
        return counter.mul + counter.add

    counts = [ops(side) for side in (28, 56, 112, 224)]
    steps = [b - a for a, b in zip(counts, counts[1:], strict=False)]
    print(f"winmax 3x3 s2 p1: ops {counts}, per doubling {steps}")
    assert all(0 <= d <= 1024 for d in steps), (counts, steps)
    assert counts[-1] * 100 < 224 * 224 * 8 * 9
