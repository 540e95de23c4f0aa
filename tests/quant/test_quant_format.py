"""The compiled-model file: round trip, determinism, atomic writes, strict loading."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from onnx import helper
from quant_models import f32, make_model, save

from zkml.compile_api import compile_model
from zkml.quant import container
from zkml.quant.compiled import CompiledModel
from zkml.quant.container import CompiledModelError, Section


@pytest.fixture()
def compiled(tmp_path) -> tuple[CompiledModel, Path]:
    rng = np.random.default_rng(0)
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "W2"], ["logits"]),
             helper.make_node("Sigmoid", ["logits"], ["y"])]
    inits = {"W": f32(rng.normal(size=(4, 2, 3, 3))), "B": f32(rng.normal(size=4)),
             "W2": f32(rng.normal(size=(4, 3)))}
    model = make_model(nodes, {"x": [1, 2, 6, 6]}, ["y"], inits)
    out = tmp_path / "m.zkml"
    cm = compile_model(save(model, tmp_path), calibration=rng.normal(size=(5, 1, 2, 6, 6)),
                       output_path=out)
    return cm, out


def _rewrite(src: Path, dst: Path, edit) -> None:
    """Copy a container, letting `edit(name, data)` change or drop (None) entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = edit(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


def test_round_trip_is_exact(compiled, tmp_path):
    cm, path = compiled
    loaded = CompiledModel.load(path)
    assert loaded.model.tensors == cm.model.tensors
    assert [o.to_json() for o in loaded.model.ops] == [o.to_json() for o in cm.model.ops]
    assert set(loaded.model.constants) == set(cm.model.constants)
    for k, v in cm.model.constants.items():
        assert np.array_equal(loaded.model.constants[k], v)
    assert loaded.fidelity == json.loads(json.dumps(cm.fidelity))
    assert loaded.source["sha256"] == cm.source["sha256"]
    x = np.random.default_rng(1).normal(size=(1, 2, 6, 6))
    a, b = cm.execute(cm.quantize_inputs(x)), loaded.execute(loaded.quantize_inputs(x))
    assert all(np.array_equal(a.tensors[k], b.tensors[k]) for k in a.tensors)


def test_saving_is_deterministic_and_atomic(compiled, tmp_path):
    cm, path = compiled
    again = cm.save(tmp_path / "again.zkml")
    assert again.read_bytes() == path.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_failed_write_keeps_the_old_file(compiled, tmp_path, monkeypatch):
    cm, path = compiled
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(container, "_add", boom)
    with pytest.raises(OSError, match="disk full"):
        cm.save(path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_header_lists_versioned_sections(compiled):
    _, path = compiled
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("header.json"))
    assert header["format"] == "zkml-compiled-model" and header["format_version"] == 1
    assert header["sections"]["model"]["required"] is True
    assert header["sections"]["fidelity"]["required"] is False
    assert "model/graph.json" in header["sections"]["model"]["files"]


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_unknown_format_version_is_rejected(compiled, tmp_path, version):
    _, path = compiled

    def edit(name, data):
        if name == "header.json":
            h = json.loads(data)
            h["format_version"] = version
            return json.dumps(h)
        return data

    _rewrite(path, tmp_path / "v.zkml", edit)
    with pytest.raises(CompiledModelError, match="format version .* reads version 1 only"):
        CompiledModel.load(tmp_path / "v.zkml")


def test_unknown_sections(compiled, tmp_path):
    cm, _ = compiled
    cm.extra_sections["circuit"] = Section(3, False, {"circuit/x.json": b"{}"})
    cm.save(tmp_path / "opt.zkml")
    loaded = CompiledModel.load(tmp_path / "opt.zkml")
    assert loaded.extra_sections["circuit"].files == {"circuit/x.json": b"{}"}
    loaded.save(tmp_path / "opt2.zkml")  # passed through unchanged
    assert (tmp_path / "opt2.zkml").read_bytes() == (tmp_path / "opt.zkml").read_bytes()
    cm.extra_sections["circuit"] = Section(3, True, {"circuit/x.json": b"{}"})
    cm.save(tmp_path / "req.zkml")
    with pytest.raises(CompiledModelError, match="needs section 'circuit'"):
        CompiledModel.load(tmp_path / "req.zkml")


def test_known_section_with_new_version_is_rejected(compiled, tmp_path):
    _, path = compiled

    def edit(name, data):
        if name == "header.json":
            h = json.loads(data)
            h["sections"]["model"]["version"] = 2
            return json.dumps(h)
        return data

    _rewrite(path, tmp_path / "s.zkml", edit)
    with pytest.raises(CompiledModelError, match="section 'model' has version 2"):
        CompiledModel.load(tmp_path / "s.zkml")


@pytest.mark.parametrize("damage", ["flip", "extra", "drop", "not_zip", "no_header"])
def test_damaged_files_are_rejected(compiled, tmp_path, damage):
    _, path = compiled
    bad = tmp_path / "bad.zkml"
    if damage == "not_zip":
        bad.write_bytes(b"ZKML" + path.read_bytes()[4:])
    elif damage == "flip":
        _rewrite(path, bad, lambda n, d: d[:-1] + bytes([d[-1] ^ 1]) if n.endswith(".npy")
                 else d)
    elif damage == "extra":
        def edit(name, data):
            return data
        _rewrite(path, bad, edit)
        with zipfile.ZipFile(bad, "a") as z:
            z.writestr("model/evil.npy", b"x")
    elif damage == "drop":
        _rewrite(path, bad, lambda n, d: None if n == "model/graph.json" else d)
    else:
        _rewrite(path, bad, lambda n, d: None if n == "header.json" else d)
    with pytest.raises(CompiledModelError):
        CompiledModel.load(bad)


def test_constant_outside_its_bits_is_rejected(compiled, tmp_path):
    cm, _ = compiled
    name = next(n for n, t in cm.model.tensors.items() if t.role == "weight")
    cm.model.constants[name] = cm.model.constants[name] * 0 + (1 << 40)
    cm.save(tmp_path / "w.zkml")
    with pytest.raises(CompiledModelError, match="outside its"):
        CompiledModel.load(tmp_path / "w.zkml")
