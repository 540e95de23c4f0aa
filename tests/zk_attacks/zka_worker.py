"""A prover process for the blinder test: `python zka_worker.py MODEL INPUT.npy OUT N`
loads a compiled model and writes N proofs of the input as OUT/<pid>-<k>.proof. No seed
is passed anywhere: every blinder comes from the prover's own randomness."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np

import zkml


def main(argv: list[str]) -> None:
    model, x_path, out, n = argv
    cm = zkml.load(model)
    x = np.load(x_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(int(n)):
            proof = zkml.prove(cm, x).proof
            (Path(out) / f"{os.getpid()}-{k}.proof").write_bytes(proof)


if __name__ == "__main__":
    main(sys.argv[1:])
