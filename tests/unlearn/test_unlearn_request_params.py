"""The provider's statement parameters on the command line (`zkml unlearn request
--lambda --tau --mu-max --block --fine-bits --min-n --rank --fraction`): each bad value
is one line with exit code 2 before any work, and a good one reaches the request."""

from __future__ import annotations

from fractions import Fraction

import pytest

from zkml.cli.main import main
from zkml.errors import InputError
from zkml.unlearn.request import Request, parse_dyadic


@pytest.mark.parametrize("text, want", [("0.125", Fraction(1, 8)), ("1", Fraction(1)),
                                        ("2^-3", Fraction(1, 8)), ("3*2^-10", Fraction(3, 1024)),
                                        ("2^4", Fraction(16)), (" 0.5 ", Fraction(1, 2))])
def test_dyadic_parameters_parse(text, want):
    assert parse_dyadic(text, "--lambda") == want


@pytest.mark.parametrize("text, says", [
    ("nan", "not a number"), ("inf", "not a number"), ("-inf", "not a number"),
    ("", "not a number"), ("abc", "not a number"), ("12^3", "not a number"),
    ("2^^3", "not a number"), ("0", "must be positive"), ("-0.5", "must be positive"),
    ("0.1", "not a dyadic number.*0.0625 and 0.125"), ("1e-3", "not a dyadic"),
    ("2^-201", "outside a request's range"), ("2^201", "outside a request's range"),
    (str(2 ** 65 + 1), "outside a request's range"), ("2^-9999999", "not a number"),
])
def test_bad_dyadic_is_one_line(text, says):
    with pytest.raises(InputError, match=says) as exc:
        parse_dyadic(text, "--lambda")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("args, says", [
    (["--lambda", "nan"], "--lambda 'nan' is not a number"),
    (["--lambda", "0.1"], "--lambda '0.1' is not a dyadic"),
    (["--tau", "inf"], "--tau 'inf' is not a number"),
    (["--tau", "-2^-20"], "--tau .* must be positive"),
    (["--mu-max", "0"], "--mu-max '0' must be positive"),
    (["--block", "48"], "block 48 must be a power of two"),
    (["--block", "512"], "block 512"),
    (["--fine-bits", "25"], "k = 25"),
    (["--fine-bits", "-1"], "k = -1"),
    (["--min-n", "0"], "minimum N 0"),
    (["--rank", "0"], "rank 0"),
    (["--rank", "17"], "rank 17"),
    (["--fraction", "nan"], "fraction nan"),
    (["--fraction", "1"], "fraction 1.0"),
])
def test_bad_parameter_is_one_line_before_any_work(tmp_path, capsys, args, says):
    import re

    out = tmp_path / "r.req"
    # the model and sets do not exist: a parameter is refused before they are read
    code = main(["unlearn", "request", str(tmp_path / "none.onnx"), "--forget",
                 str(tmp_path / "f.npz"), "--retain", str(tmp_path / "r.npz"), "-o", str(out),
                 *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and re.search(says, err), err
    assert not out.exists()


def test_help_documents_every_parameter(capsys):
    assert main(["unlearn", "request", "--help"]) == 0
    out = capsys.readouterr().out
    for opt in ("--lambda", "--tau", "--mu-max", "--block", "--fine-bits", "--min-n",
                "--rank", "--fraction", "2^-3"):
        assert opt in out, opt


def test_parameters_reach_the_request(tmp_path, capsys, digits):
    out = tmp_path / "r.req"
    code = main(["unlearn", "request", str(digits.provider_onnx), "--forget",
                 str(digits.forget), "--retain", str(digits.retain), "-o", str(out),
                 "--lambda", "1", "--tau", "2^-12", "--mu-max", "3*2^-2", "--fine-bits", "12",
                 "--min-n", "100", "--block", "32", "--rank", "2"])
    text = capsys.readouterr().out
    assert code == 0, text
    req = Request.load(out)
    assert (req.lam, req.tau, req.mu_max) == (1, Fraction(1, 4096), Fraction(3, 4))
    assert (req.k, req.min_n, req.block, req.rank) == (12, 100, 32, 2)
    assert "lambda 1, tau 0.000244141, mu_max 0.75, k 12, min N 100" in text
