"""Group OBS for one block (circuits/unlearning.md section 3): minimise `1/2 d^T F d`
subject to fixed masked coordinates and `U^T d = 0`, through its KKT system."""

from __future__ import annotations

import numpy as np

__all__ = ["solve_block"]


def solve_block(f: np.ndarray, d_fixed: np.ndarray, masked: np.ndarray,
                u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The KKT solution `(d, mu)` of one block, in float64.

    Args:
        f: the block's curvature (B, B), symmetric positive definite.
        d_fixed: the masked coordinates' values (read where `masked`).
        masked: (B,) bool, the coordinates whose value is fixed.
        u: (B, rank), zero on masked rows.

    Solves `[F_PP U_P; U_P^T 0] [d_P; mu] = [-F_PQ d_Q; 0]` with `numpy.linalg.solve`
    (never an inverse); a singular system (U's columns dependent or zero, more columns
    than free coordinates) falls back to the least-squares solution, which is the
    minimum-norm KKT point. Returns d (B,) with `d_Q = d_fixed_Q`, and mu (rank,).
    """
    free = ~masked
    p, rank = int(free.sum()), u.shape[1]
    d = np.where(masked, d_fixed, 0.0).astype(np.float64)
    if p == 0:
        return d, np.zeros(rank)
    fpp = f[np.ix_(free, free)]
    rhs = -f[np.ix_(free, masked)] @ d[masked]
    # Equilibrate: U's columns scaled to F's magnitude (the client's F is ~2^40, U ~2^14;
    # unscaled, the constraint rows would be solved to a relative 1e-6 only).
    unorm = float(np.abs(u).max(initial=0.0))
    scale = float(np.mean(np.diag(fpp))) / unorm if unorm > 0 else 1.0
    up = u[free] * scale
    kkt = np.zeros((p + rank, p + rank))
    kkt[:p, :p], kkt[:p, p:], kkt[p:, :p] = fpp, up, up.T
    b = np.concatenate([rhs, np.zeros(rank)])
    try:
        sol = np.linalg.solve(kkt, b)
        if not np.all(np.isfinite(sol)) or \
                np.linalg.norm(kkt @ sol - b) > 1e-8 * (np.linalg.norm(b) + 1.0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(kkt, b, rcond=None)[0]
    dp = sol[:p]
    # One projection onto U_P^T d = 0 in float64 removes the solve's residual error there.
    if unorm > 0:
        dp = dp - up @ np.linalg.lstsq(up, dp, rcond=None)[0]
    d[free] = dp
    return d, sol[p:] * scale
