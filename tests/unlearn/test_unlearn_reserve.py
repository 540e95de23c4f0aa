"""`--unlearnable WEIGHT` (zkml.compile(unlearnable=...)): the weight's format keeps one
bit of headroom (circuits/unlearning.md 7); nothing else changes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import zkml
from zkml.errors import ModelError


def _compile(case, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zkml.compile(case.client_onnx,
                            calibration=case.client_data[0][:64].astype(np.float32), **kw)


def test_reserved_weight_is_one_bit_coarser(digits):
    plain = _compile(digits, hiding=False)
    kept = _compile(digits, hiding=False, unlearnable=["fc1.weight"])
    t0, t1 = plain.model.tensor("fc1.weight"), kept.model.tensor("fc1.weight")
    assert (t1.frac_bits, t1.bits) == (t0.frac_bits - 1, t0.bits)
    assert np.abs(plain.model.constants["fc1.weight"]).max() >= 1 << (t0.bits - 2)
    assert np.abs(kept.model.constants["fc1.weight"]).max() < 1 << (t1.bits - 2)
    for name in ("fc2.weight", "fc2.bias"):
        assert kept.model.tensor(name) == plain.model.tensor(name)
        assert np.array_equal(kept.model.constants[name], plain.model.constants[name])
    with pytest.raises(ModelError, match="'nope' .* is not a weight"):
        _compile(digits, hiding=False, unlearnable=["nope"])


def test_cli_option(tmp_path, digits, capsys):
    from zkml.cli.main import main

    out = tmp_path / "m.zkmlc"
    code = main(["compile", str(digits.client_onnx), "--non-hiding", "--quiet",
                 "--unlearnable", "fc2.weight", "-o", str(out), "--vk", str(tmp_path / "m.vk")])
    assert code == 0, capsys.readouterr().err
    from zkml.compiled_model import CompiledModel

    ref = _compile(digits, hiding=False)
    cm = CompiledModel.load(out)
    assert cm.model.tensor("fc2.weight").frac_bits == ref.model.tensor("fc2.weight").frac_bits - 1
