"""Fixtures of the fuzz tests: the corpus (built once per session) and the run totals
printed in pytest's terminal summary ("fuzz: N mutants ...")."""

from __future__ import annotations

import os

import pytest
from corpus import build_corpus, foundation
from oracle import FuzzStats

_STATS = pytest.StashKey["FuzzStats"]()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    return build_corpus(tmp_path_factory.mktemp("fuzz-corpus"))


@pytest.fixture(scope="session")
def foundation_corpus():
    return foundation()


@pytest.fixture(scope="session")
def fuzz_stats(request) -> FuzzStats:
    return request.config.stash.setdefault(_STATS, FuzzStats())


@pytest.fixture(scope="session")
def fuzz_seed() -> int:
    """ZKML_FUZZ_SEED picks another deterministic run (default: the one make test runs)."""
    return int(os.environ.get("ZKML_FUZZ_SEED", "20250601"))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    stats = config.stash.get(_STATS, None)
    if stats is not None and stats.long_run:
        terminalreporter.write_line(f"fuzz (coverage-guided): {stats.long_run}")
    if stats is None or not stats.mutants:
        return
    rate = stats.mutants / stats.seconds if stats.seconds else 0.0
    targets = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_target.items()))
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items()))
    terminalreporter.write_line(
        f"fuzz: {stats.mutants} mutants through zkml.Verifier ({targets}; {outcomes}; "
        f"{stats.identical} identical to a valid artifact skipped) in {stats.seconds:.1f} s, "
        f"{rate:.0f}/s; slowest {stats.slowest[0]:.2f} s ({stats.slowest[1]})")
