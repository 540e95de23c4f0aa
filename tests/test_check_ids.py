"""The check ids (`exc.check`, Rust `Error::check()`) are documented and shared.

Every id the Python package or the Rust core raises is named in circuits/soundness.md,
and the Rust core uses no id the Python verifier does not (the same check has the same
id on both sides), apart from Rust's generic fallbacks.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOUNDNESS = (REPO / "circuits" / "soundness.md").read_text()

#: Ids only the Rust core raises: its helpers without a finer id (rust/core/src/error.rs),
#: and its replay check of hiding proofs in test builds (zk_inference/replay.rs).
RUST_ONLY = {"proof.format", "proof.rejected", "zk.claims"}
ID = r"[a-z0-9-]+(?:\.[a-z0-9-]+)+"


def python_ids() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "zkml").rglob("*.py"):
        found.update(re.findall(rf'check\s*=\s*"({ID})"', path.read_text()))
    return found


def rust_ids() -> set[str]:
    """Ids of rust/core/src outside its tests (tests.rs files, `mod tests`)."""
    found: set[str] = set()
    for path in (REPO / "rust" / "core" / "src").rglob("*.rs"):
        if path.name == "tests.rs":
            continue
        text = path.read_text().split("#[cfg(test)]")[0]
        found.update(re.findall(rf'(?:reject_at|format_at)\(\s*"({ID})"', text))
        found.update(re.findall(rf'check:\s*"({ID})"', text))
        found.update(re.findall(rf'const [A-Z_]+: &str = "({ID})"', text))
    return found


def test_the_scans_find_the_ids():
    assert {"logup.group-sum", "sumcheck.round-sum", "statement.input-digest"} <= python_ids()
    assert {"logup.group-sum", "sumcheck.round-sum", "hyrax.opening"} <= rust_ids()


def test_every_id_is_documented():
    missing = sorted(i for i in python_ids() | rust_ids() if f"`{i}`" not in SOUNDNESS)
    assert not missing, f"ids not in circuits/soundness.md: {missing}"


def test_rust_uses_the_python_verifiers_ids():
    assert sorted(rust_ids() - python_ids() - RUST_ONLY) == []
