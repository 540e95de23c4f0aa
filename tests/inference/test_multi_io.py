"""Several inputs and several outputs (zkml.compiler.io): the circuit's input row is every
model input side by side, its output row every output at the finest output scale.

A two-output model (a shared trunk, a classifier head and a regression head at a coarser
scale) and a two-input model (a spatial input through a convolution, a flat one through a
dense layer, concatenated, then dense) compile, their witness matches the integer
executor, and they prove and verify at batch 1 and 3 with the outputs per name equal to
the executor's; the CLI round trip takes a JSON input with one list per input.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from harness import without_stage_lines
from inference_models import (
    compile_circuit_only,
    f32,
    make_model,
    save,
)
from onnx import TensorProto, helper

from zkml.compiled_model import CompiledModel
from zkml.compiler.build import compile_circuit
from zkml.errors import InputError, ModelError
from zkml.inputs import as_input_rows
from zkml.quant.executor import execute
from zkml.witness import build_witness


def two_heads(rows: int = 1, seed: int = 0, argmax: bool = False):
    """x -> Gemm -> Relu -> (classifier logits, regression head with large weights: its
    output lands at a coarser scale than the logits)."""
    rng = np.random.default_rng(seed)
    inits = {"W0": f32(rng.normal(0, 0.5, (6, 8))), "b0": f32(rng.normal(0, 0.1, 8)),
             "Wc": f32(rng.normal(0, 0.5, (8, 3))), "bc": f32(rng.normal(0, 0.1, 3)),
             "Wr": f32(rng.normal(0, 20, (8, 2))), "br": f32(rng.normal(0, 1, 2))}
    nodes = [helper.make_node("Gemm", ["x", "W0", "b0"], ["h"], name="trunk"),
             helper.make_node("Relu", ["h"], ["a"], name="relu"),
             helper.make_node("Gemm", ["a", "Wc", "bc"], ["logits"], name="cls"),
             helper.make_node("Gemm", ["a", "Wr", "br"], ["reg"], name="reg")]
    outputs: dict = {"logits": TensorProto.FLOAT, "reg": TensorProto.FLOAT}
    if argmax:
        nodes.append(helper.make_node("ArgMax", ["logits"], ["cls_id"], axis=1, keepdims=0,
                                      name="am"))
        outputs = {"cls_id": TensorProto.INT64, "reg": TensorProto.FLOAT}
    return make_model(nodes, {"x": [rows, 6]}, outputs, inits)


def two_towers(seed: int = 1, img_rows: int = 1, vec_rows: int = 1):
    """img (1, 1, 4, 4) -> Conv -> Relu -> Flatten; vec (1, 5) -> Gemm -> Relu; Concat,
    then Gemm to 3 outputs."""
    rng = np.random.default_rng(seed)
    inits = {"K": f32(rng.normal(0, 0.5, (2, 1, 3, 3))), "kb": f32(rng.normal(0, 0.1, 2)),
             "Wf": f32(rng.normal(0, 0.5, (5, 4))), "bf": f32(rng.normal(0, 0.1, 4)),
             "Wo": f32(rng.normal(0, 0.5, (2 * 4 * 4 + 4, 3))),
             "bo": f32(rng.normal(0, 0.1, 3))}
    nodes = [helper.make_node("Conv", ["img", "K", "kb"], ["c"], pads=[1, 1, 1, 1],
                              name="conv"),
             helper.make_node("Relu", ["c"], ["cr"], name="crelu"),
             helper.make_node("Flatten", ["cr"], ["cf"], axis=1, name="flat"),
             helper.make_node("Gemm", ["vec", "Wf", "bf"], ["v"], name="fc"),
             helper.make_node("Relu", ["v"], ["vr"], name="vrelu"),
             helper.make_node("Concat", ["cf", "vr"], ["cat"], axis=1, name="cat"),
             helper.make_node("Gemm", ["cat", "Wo", "bo"], ["y"], name="head")]
    return make_model(nodes, {"img": [img_rows, 1, 4, 4], "vec": [vec_rows, 5]}, ["y"], inits)


def _heads_cal():
    return np.random.default_rng(2).normal(size=(32, 6))


def _towers_cal():
    rng = np.random.default_rng(3)
    return {"img": rng.normal(size=(32, 1, 4, 4)), "vec": rng.normal(size=(32, 5))}


def _executor_outputs(cm, x: np.ndarray) -> dict[str, np.ndarray]:
    """The integer executor's outputs per name, run example by example on the statement's
    input rows (each model input's slice of the row)."""
    cc = cm.compiled_circuit
    m = cm.model
    rows = cc.rows
    out: dict[str, list[np.ndarray]] = {name: [] for name in m.outputs}
    for start in range(0, x.shape[0], rows):
        chunk = x[start : start + rows]
        feed = {p.name: chunk[:, p.offset : p.offset + p.features]
                .reshape(m.tensor(p.name).shape) for p in cc.input_parts}
        trace = execute(m, feed)
        for name, t in m.outputs.items():
            out[name].append(trace.tensors[t].reshape(rows, -1))
    return {k: np.concatenate(v) for k, v in out.items()}


# -- compile and witness (no native module needed) ------------------------------------


def test_two_outputs_compile_and_witness(tmp_path):
    cm = compile_circuit_only(tmp_path, two_heads(), calibration=_heads_cal())
    cc = cm.compiled_circuit
    c = cc.circuit
    logits, reg = (cm.model.tensor(cm.model.outputs[n]) for n in ("logits", "reg"))
    assert reg.frac_bits < logits.frac_bits  # different scales: the coarser one is scaled
    assert [g.op for g in c.gadgets] == ["dense", "dense", "dense", "affine", "rearrange"]
    assert c.output_gadget == len(c.gadgets) - 1 and c.output_features == 5
    assert c.output.frac_bits == logits.frac_bits
    assert c.gadgets[3].producer.terms == ((2, 1 << (logits.frac_bits - reg.frac_bits)),)
    assert [(p.name, p.features, p.offset, p.frac_bits) for p in cc.outputs] == \
        [("logits", 3, 0, logits.frac_bits), ("reg", 2, 3, reg.frac_bits)]
    x = np.random.default_rng(4).integers(-3000, 3000, size=(3, 6))
    w = build_witness(cc, cm.model, x)
    ref = _executor_outputs(cm, x)
    assert np.array_equal(w.outputs[:, :3], ref["logits"])
    assert np.array_equal(w.outputs[:, 3:], ref["reg"] << (logits.frac_bits - reg.frac_bits))


def test_two_inputs_share_a_scale_compile_and_witness(tmp_path):
    cm = compile_circuit_only(tmp_path, two_towers(), calibration=_towers_cal())
    cc = cm.compiled_circuit
    c = cc.circuit
    img, vec = cm.model.tensor("img"), cm.model.tensor("vec")
    assert (img.frac_bits, img.bits) == (vec.frac_bits, vec.bits) == \
        (c.input_frac_bits, c.input_bits)
    assert c.input_features == 21 and c.input_shape is None
    assert [(p.name, p.features, p.offset) for p in cc.inputs] == [("img", 16, 0),
                                                                   ("vec", 5, 16)]
    # Each model input is a rearrange of the flat input row: the image into its spatial
    # layout for the convolution, the vector flat.
    assert [g.op for g in c.gadgets[:2]] == ["rearrange", "rearrange"]
    assert c.gadgets[0].producer.out_shape == (1, 4, 4) and c.gadgets[1].producer.out_shape == (5,)
    assert c.gadgets[1].producer.blocks[0].offset == 16
    x = np.random.default_rng(5).integers(-4000, 4000, size=(3, 21))
    w = build_witness(cc, cm.model, x)
    assert np.array_equal(w.outputs, _executor_outputs(cm, x)["y"])


def test_compiled_file_round_trip_records_the_parts(tmp_path):
    cm = compile_circuit_only(tmp_path, two_heads(), calibration=_heads_cal())
    cc = cm.compiled_circuit
    meta = cc.meta_json()
    assert [p["name"] for p in meta["outputs"]] == ["logits", "reg"] and "inputs" not in meta
    assert compile_circuit(cm.model).meta_json() == meta  # deterministic
    assert cc.output_parts == cc.outputs and len(cc.input_parts) == 1


def test_argmax_beside_another_output(tmp_path):
    """An ArgMax head beside another output is an index tensor (zkml.compiler.argmax),
    concatenated with the other output like any output."""
    cm = compile_circuit_only(tmp_path, two_heads(argmax=True), calibration=_heads_cal())
    assert not cm.circuit.argmax and [g.op for g in cm.circuit.gadgets].count("rowmax") == 2


def test_refusals(tmp_path):
    # Two independent towers whose inputs have different leading (batch) dimensions.
    rng = np.random.default_rng(8)
    nodes = [helper.make_node("Gemm", ["a", "Wa"], ["ya"], name="fa"),
             helper.make_node("Gemm", ["b", "Wb"], ["yb"], name="fb")]
    model = make_model(nodes, {"a": [1, 4], "b": [2, 3]}, ["ya", "yb"],
                       {"Wa": f32(rng.normal(size=(4, 2))), "Wb": f32(rng.normal(size=(3, 2)))})
    cal = {"a": rng.normal(size=(8, 4)), "b": rng.normal(size=(8, 2, 3))}
    with pytest.raises(ModelError, match="different leading batch dimensions"):
        compile_circuit_only(tmp_path, model, calibration=cal)


def test_several_input_forms_and_their_errors():
    shapes = {"img": (1, 1, 2, 2), "vec": (1, 3)}
    a, b = np.arange(8.0).reshape(2, 1, 1, 2, 2), np.arange(6.0).reshape(2, 1, 3)
    want = np.concatenate([a.reshape(2, 4), b.reshape(2, 3)], axis=1)
    assert np.array_equal(as_input_rows({"vec": b, "img": a}, shapes, 7), want)
    assert np.array_equal(as_input_rows((a, b), shapes, 7), want)
    # EZKL style: one flat list per input (here two examples each)
    assert np.array_equal(as_input_rows([a.reshape(-1).tolist(), b.reshape(-1).tolist()],
                                        shapes, 7), want)
    with pytest.raises(InputError, match="'vec'"):
        as_input_rows({"img": a}, shapes, 7)
    with pytest.raises(InputError, match="2 inputs"):
        as_input_rows(want, shapes, 7)
    with pytest.raises(InputError, match="2 inputs"):
        as_input_rows([a, b, b], shapes, 7)
    with pytest.raises(InputError, match="input 'vec'"):
        as_input_rows([a, np.zeros((2, 4))], shapes, 7)
    with pytest.raises(InputError, match="different numbers of examples"):
        as_input_rows([a, b[:1]], shapes, 7)


# -- prove and verify -----------------------------------------------------------------


def _compile(tmp_path, model, cal, name):
    import zkml

    path = save(model, tmp_path, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(path, calibration=cal, output_path=tmp_path / f"{name}.zkmlc",
                            hiding=False)


@pytest.mark.parametrize("batch", [1, 3])
def test_two_outputs_prove_and_verify(tmp_path, batch):
    import zkml

    cm = _compile(tmp_path, two_heads(), _heads_cal(), "heads")
    x = np.random.default_rng(batch).normal(size=(batch, 6))
    result = zkml.prove(cm, x)
    assert result.output_names == ["logits", "reg"] and result.outputs.shape == (batch, 5)
    named = result.output_dict()
    ref = _executor_outputs(cm, result.inputs)
    for name in ("logits", "reg"):
        assert np.array_equal(named[name], ref[name])
    assert result.named_outputs.keys() == named.keys()
    floats = result.output_dict(dequantize=True)
    assert np.allclose(floats["reg"], ref["reg"] * cm.model.tensor("reg").scale)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    # The file reloads with its parts, and proves the same statement.
    again = CompiledModel.load(tmp_path / "heads.zkmlc")
    assert again.compiled_circuit.outputs == cm.compiled_circuit.outputs
    assert again.output_names == ["logits", "reg"]
    again.check_circuit()  # re-derived from the stored model: identical
    assert np.array_equal(zkml.prove(again, x).outputs, result.outputs)


@pytest.mark.parametrize("batch", [1, 3])
def test_two_inputs_prove_and_verify(tmp_path, batch):
    import zkml

    cm = _compile(tmp_path, two_towers(), _towers_cal(), "towers")
    rng = np.random.default_rng(10 + batch)
    img, vec = rng.normal(size=(batch, 1, 1, 4, 4)), rng.normal(size=(batch, 1, 5))
    result = zkml.prove(cm, {"img": img, "vec": vec})
    assert result.inputs.shape == (batch, 21)
    assert np.array_equal(result.output_dict()["y"], _executor_outputs(cm, result.inputs)["y"])
    same = zkml.prove(cm, [img, vec])
    assert np.array_equal(same.outputs, result.outputs)
    verified = zkml.verify(result.proof, cm.verifying_key)
    assert np.array_equal(np.array(verified.outputs), result.outputs)
    with pytest.raises(InputError, match="input 'vec'"):
        zkml.prove(cm, {"img": img, "vec": np.zeros((batch, 4))})


def test_cli_round_trip_with_two_inputs_and_outputs(tmp_path, capsys):
    from zkml.cli.main import main

    # Two inputs and two outputs: the towers' head and the vector tower's features.
    model = two_towers()
    model.graph.output.append(helper.make_tensor_value_info("vr", TensorProto.FLOAT, None))
    path = save(model, tmp_path, "mio.onnx")
    np.savez(tmp_path / "cal.npz", **_towers_cal())

    def cli(args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(args)
        out = capsys.readouterr()
        return code, out.out, without_stage_lines(out.err)

    code, out, err = cli(["compile", str(path), "--calibration", str(tmp_path / "cal.npz")])
    assert code == 0, err
    assert "inputs (side by side per row): img [0:16]" in out and "vec [16:21]" in out
    assert "outputs (side by side per row): y [0:3]" in out
    rng = np.random.default_rng(7)
    doc = {"input_data": [rng.normal(size=16).tolist(), rng.normal(size=5).tolist()]}
    (tmp_path / "in.json").write_text(json.dumps(doc))
    zc = tmp_path / "mio.zkmlc"
    code, out, err = cli(["prove", str(zc), "--input", str(tmp_path / "in.json")])
    assert code == 0, err
    assert "output 'y' (3 per example):" in out and "output 'vr' (4 per example):" in out
    code, out, err = cli(["verify", str(tmp_path / "mio.proof"), "--model", str(zc)])
    assert code == 0, err
    assert "valid hiding inference proof" in out  # the default
    # A JSON input with one list too few: one line naming the problem.
    (tmp_path / "bad.json").write_text(json.dumps({"input_data": doc["input_data"][:1]}))
    code, out, err = cli(["prove", str(zc), "--input", str(tmp_path / "bad.json"), "--force"])
    assert code != 0 and err.startswith("error: ") and err.count("\n") == 1, err
    assert "2 inputs" in err
    # --outputs keeps working: choose one of them.
    code, out, err = cli(["compile", str(path), "--calibration", str(tmp_path / "cal.npz"),
                          "--outputs", "vr", "-o", str(tmp_path / "vr.zkmlc"), "--vk",
                          str(tmp_path / "vr.vk")])
    assert code == 0, err
    assert "outputs (side by side" not in out
