"""A compiled model holds the weights and the model stack's row blinders
(circuits/zk_inference.md): it is always written readable by its owner only, whatever
the umask or the mode of the file it replaces; other outputs keep the usual modes."""

from __future__ import annotations

import os

from zkml.filewrite import SECRET_KINDS, write_atomic, write_group


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_compiled_model_is_written_0600(tmp_path):
    path = write_atomic(tmp_path / "m.zkmlc", b"secret", what="compiled model")
    assert "compiled model" in SECRET_KINDS
    assert _mode(path) == 0o600


def test_replacing_a_world_readable_compiled_model_tightens_it(tmp_path):
    old = tmp_path / "m.zkmlc"
    old.write_bytes(b"old")
    old.chmod(0o644)
    write_atomic(old, b"new", overwrite=True, what="compiled model")
    assert _mode(old) == 0o600 and old.read_bytes() == b"new"


def test_a_key_beside_it_keeps_the_usual_mode(tmp_path):
    mask = os.umask(0o022)
    try:
        model, vk = tmp_path / "m.zkmlc", tmp_path / "m.vk"
        write_group({model: b"m", vk: b"k"},
                    kinds={model: "compiled model", vk: "verifying key"})
    finally:
        os.umask(mask)
    assert _mode(model) == 0o600
    assert _mode(vk) == 0o644
