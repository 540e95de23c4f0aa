//! Kind 4's six leaf equations (circuits/inference.md 7) as declarations (checks.md),
//! in kind 4's order, for the hiding key (circuits/zk_inference.md 4): the LogUp
//! results `P_i`, `Q_i` are the committed claims `logup-P[i]`, `logup-Q[i]` (tree 0 the
//! range lookups, 1 the table, 2 the padding), `P(rho)` and `m(rho_t)` the committed
//! claims `logup-leaf-evals[0]`, `[1]`; everything else is public. None multiplies two
//! committed values: each is one entry of the linear check.

use ark_ff::{One, Zero};

use crate::declare::{Check, Claim, Expr};
use crate::field::Fr;
use crate::inference::model_key::KeyStacks;
use crate::mle::evaluate;

/// The public values the leaf equations use.
pub struct LeafPublic {
    pub alpha: Fr,
    pub beta: Fr,
    /// `2^(R-1)`.
    pub offset: Fr,
    /// `Z(rho)`: the padding indicator at the range lookups' point.
    pub z_rho: Fr,
    /// `N_pad`: the entries outside every tensor's real region.
    pub n_pad: Fr,
    /// `T_R(rho_t) = sum_k 2^k rho_t[k]`.
    pub table: Fr,
    /// `rho_z`'s one coordinate.
    pub mu: Fr,
}

impl LeafPublic {
    /// The values at the three trees' points (`z` the padding indicator's table).
    pub(crate) fn new(ks: &KeyStacks, z: &[Fr], challenges: (Fr, Fr), points: &[Vec<Fr>]) -> Self {
        let (alpha, beta) = challenges;
        let n_pad = z.iter().filter(|v| !v.is_zero()).count() as u64;
        Self {
            alpha,
            beta,
            offset: ks.offset(),
            z_rho: evaluate(z, &points[0]),
            n_pad: Fr::from(n_pad),
            table: range_table_at(&points[1]),
            mu: points[2][0],
        }
    }
}

/// `T_R(x) = sum_k 2^k x_k`: the range table's MLE.
pub fn range_table_at(x: &[Fr]) -> Fr {
    let mut scale = Fr::one();
    let mut total = Fr::zero();
    for v in x {
        total += scale * v;
        scale = scale + scale;
    }
    total
}

/// The result `P` (`which = "P"`) or `Q` of tree `i`.
pub fn result_name(which: &str, i: usize) -> String {
    format!("logup-{which}[{i}]")
}

/// The committed claim `logup-leaf-evals[j]`.
pub fn leaf_eval_name(j: usize) -> String {
    format!("logup-leaf-evals[{j}]")
}

/// The six checks in kind 4's order; `value` gives a committed claim's value (the
/// prover's) or `None` (a verifier's).
pub fn leaf_checks(lp: &LeafPublic, value: &dyn Fn(&str) -> Option<Fr>) -> Vec<Check> {
    let claim = |name: String| {
        let value = value(&name);
        Expr::from(Claim {
            name,
            committed: true,
            value,
        })
    };
    let res = |which: &str, i: usize| claim(result_name(which, i));
    let shifted = lp.alpha - lp.offset;
    let one_minus_mu = Fr::one() - lp.mu;
    vec![
        Check::zero("key.range-leaves", res("P", 0) - Expr::int(Fr::one())),
        Check::zero(
            "key.range-leaves",
            res("Q", 0) + claim(leaf_eval_name(0)) - Expr::int(shifted - lp.beta * lp.z_rho),
        ),
        Check::zero("key.table-leaves", res("P", 1) + claim(leaf_eval_name(1))),
        Check::zero(
            "key.table-leaves",
            res("Q", 1) - Expr::int(lp.alpha - lp.table),
        ),
        Check::zero(
            "key.padding-leaves",
            res("P", 2) + Expr::int(lp.n_pad * one_minus_mu),
        ),
        Check::zero(
            "key.padding-leaves",
            res("Q", 2) - Expr::int((shifted - lp.beta) * one_minus_mu + lp.mu),
        ),
    ]
}
