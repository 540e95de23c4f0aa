"""`make demo` end to end: compile (hiding, the default), prove, verify (fresh process with
the expected input, and in process), a flipped bit rejected, the valid proof rejected
against another input."""

from __future__ import annotations

from zkml.demo import run


def test_demo_runs_and_shows_every_rejection(tmp_path, capsys):
    assert run(tmp_path) == 0
    out, err = capsys.readouterr()
    # stage lines on stderr (not a terminal here), as `zkml demo` prints them without --quiet
    assert "[zkml] compile: import ... " in err and "[zkml] prove: witness ... " in err
    # hiding by default: the key, the proof and the verifier say so
    assert "(hiding verifying key, " in out and "in one hiding proof: " in out
    assert "valid hiding inference proof" in out
    assert "input: matches" in out
    assert "8/8 correct" in out
    assert "exit 1: rejected\n" in out
    assert "the proof is about another input" in out
    assert (tmp_path / "digits_mlp.proof").is_file()
