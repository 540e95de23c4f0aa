//! The hiding LogUp-GKR (circuits/zk.md 5.6): logup.md's messages with every value
//! committed, and its checks as declarations (checks.md) for the backend of zk.md 5.3,
//! so the clear and the hiding verifier share one statement of them.
//!
//! Roots and layer evaluations are commitments; each layer's sumcheck is the committed
//! eq-factored sumcheck (5.2) over the clear prover's `FractionLayer`; `P`, `Q` stay linear forms
//! (`Hidden` here). The checks come out in zk.md 5.6's order: the groups' folds first
//! (`logup.group-sum`, `logup.root-denominator`), then each tree's `logup.layer`s.

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G1Projective};

use super::blinds::Blinds;
use super::hidden::Hidden;
use super::pedersen::Gens;
use super::sumcheck::{prove_eq, verify_eq, ZkSumcheckProof};
use crate::declare::{Check, CheckKind, Claim, Expr};
use crate::encoding::{g1_to_bytes, Reader, Writer};
use crate::error::{format_at, reject_at, Error, Result};
use crate::field::Fr;
use crate::logup::{fold_roots, layer_trees, TreeLayers, MAX_LOGUP_DEPTH};
use crate::transcript::Transcript;

/// One tree's messages: the root's four commitments, then per layer `k = 1..D-1` the
/// committed sumcheck and the four evaluation commitments.
#[derive(Clone, Debug, PartialEq)]
pub struct ZkTreeProof {
    pub depth: usize,
    pub root: [G1Affine; 4],
    pub layers: Vec<(ZkSumcheckProof, [G1Affine; 4])>,
}

/// A hiding LogUp instance's messages.
#[derive(Clone, Debug, PartialEq)]
pub struct ZkLogupProof {
    pub trees: Vec<ZkTreeProof>,
}

fn write_points(w: &mut Writer, ps: &[G1Affine]) {
    ps.iter().for_each(|p| w.bytes(&g1_to_bytes(p)));
}

fn four(r: &mut Reader) -> Result<[G1Affine; 4]> {
    Ok([
        r.point("logup commitment")?,
        r.point("logup commitment")?,
        r.point("logup commitment")?,
        r.point("logup commitment")?,
    ])
}

impl ZkLogupProof {
    /// logup.md's layout with points for scalars (zk.md 5.6): per tree `u32 D ||
    /// G1[4] root || for k = 1..D-1: k * 2 G1 (rounds) || G1[4] evals`.
    pub fn write(&self, w: &mut Writer) {
        for tree in &self.trees {
            w.u32(tree.depth as u32);
            write_points(w, &tree.root);
            for (sc, e) in &tree.layers {
                sc.write(w);
                write_points(w, e);
            }
        }
    }

    /// Parse a proof whose tree depths the protocol fixes.
    pub fn read(r: &mut Reader, depths: &[usize]) -> Result<Self> {
        let trees = depths
            .iter()
            .map(|&depth| {
                let d = r.u32("logup depth")? as usize;
                if d != depth {
                    return format_at("logup.shape", format!("logup depth {d}, expected {depth}"));
                }
                if d == 0 || d > MAX_LOGUP_DEPTH {
                    return format_at("proof.limits", format!("logup depth {d} outside 1..32"));
                }
                // G1[4] root, then per layer k: k * 2 round points and G1[4] evals.
                if (4 * d + d * (d - 1)) * 64 > r.remaining() {
                    return format_at("proof.truncated", format!("logup tree of depth {d}"));
                }
                let root = four(r)?;
                let layers = (1..d)
                    .map(|k| Ok((ZkSumcheckProof::read(r, k, 2)?, four(r)?)))
                    .collect::<Result<_>>()?;
                Ok(ZkTreeProof {
                    depth: d,
                    root,
                    layers,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { trees })
    }
}

/// The names of the committed claims (zk.md 5.6).
pub fn root_name(i: usize, j: usize) -> String {
    format!("logup-root[{i}][{j}]")
}

pub fn evals_name(i: usize, k: usize, j: usize) -> String {
    format!("logup-layer-evals[{i}][{k}][{j}]")
}

/// Layer `k` of tree `i`'s sumcheck final claim (a form, not a sent point).
pub fn final_name(i: usize, k: usize) -> String {
    format!("logup-layer-final[{i}][{k}]")
}

/// A committed claim; `value` is the prover's (`None` on the verifier's side).
fn committed(name: String, value: Option<Fr>) -> Claim {
    Claim {
        name,
        committed: true,
        value,
    }
}

/// One layer as its check sees it: the challenge, the final claim (eq-factored, so
/// without `eq(r, s)`) and the four evaluations.
pub struct LayerDecl {
    pub lambda: Fr,
    pub fin: Claim,
    pub evals: [Claim; 4],
}

/// The checks of zk.md 5.6 in order: per group `N == 0` then `M != 0` (logup.md's fold
/// from the group's first tree), then every tree's layers in order.
pub fn declare(groups: &[usize], roots: &[[Claim; 4]], layers: &[Vec<LayerDecl>]) -> Vec<Check> {
    let exprs: Vec<[Expr; 4]> = roots.iter().map(|r| r.clone().map(Expr::from)).collect();
    let mut checks = Vec::new();
    let mut start = 0;
    for &count in groups {
        let (n, m) = fold_roots(&exprs[start..start + count]);
        checks.push(Check::zero("logup.group-sum", n));
        checks.push(Check {
            id: "logup.root-denominator".into(),
            kind: CheckKind::NonZero,
            expr: m,
        });
        start += count;
    }
    for l in layers.iter().flatten() {
        let [e0, e1, e2, e3] = l.evals.clone().map(Expr::from);
        let rel = e0 * e3.clone() + e1 * e2.clone() + (e2 * e3).scaled(l.lambda);
        checks.push(Check::zero("logup.layer", Expr::from(l.fin.clone()) - rel));
    }
    checks
}

fn check_groups(groups: &[usize], trees: usize) -> Result<()> {
    if groups.contains(&0) || groups.iter().sum::<usize>() != trees {
        return reject_at(
            "logup.groups",
            "logup: tree groups do not partition the trees",
        );
    }
    Ok(())
}

/// What the hiding prover leaves: the messages, each tree's `(rho, P, Q)`, the checks
/// and the openings of their committed claims (name -> `Hidden`) for `HiddenEval`.
pub struct ZkLogupRun {
    pub proof: ZkLogupProof,
    pub results: Vec<(Vec<Fr>, Hidden, Hidden)>,
    pub checks: Vec<Check>,
    pub openings: BTreeMap<String, Hidden>,
}

fn line(a: Hidden, b: Hidden, mu: Fr) -> Hidden {
    a + (b - a) * mu
}

/// Prove that each group of `trees` (the input of `logup::prove`) sums to zero,
/// hiding every value.
pub fn prove(
    gens: &Gens,
    t: &mut Transcript,
    trees: Vec<(Vec<Fr>, Vec<Fr>)>,
    groups: &[usize],
    blinds: &mut Blinds,
) -> Result<ZkLogupRun> {
    check_groups(groups, trees.len()).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let all = layer_trees(trees);
    let roots: Vec<[Hidden; 4]> = all
        .iter()
        .map(|l| l.root().map(|v| Hidden::fresh(v, blinds)))
        .collect();
    let mut openings = BTreeMap::new();
    let mut root_claims = Vec::with_capacity(roots.len());
    let mut root_points = Vec::with_capacity(roots.len());
    for (i, r) in roots.iter().enumerate() {
        let points = r.map(|h| h.point(gens));
        t.absorb_points("logup-root", &points);
        root_points.push(points);
        root_claims.push(std::array::from_fn(|j| {
            openings.insert(root_name(i, j), r[j]);
            committed(root_name(i, j), Some(r[j].v))
        }));
    }
    let mut trees_out = Vec::with_capacity(all.len());
    let mut results = Vec::with_capacity(all.len());
    let mut decls = Vec::with_capacity(all.len());
    // Each tree is consumed by its pass: its leaves go with its last layer.
    for (i, (layers, root)) in all.into_iter().zip(&roots).enumerate() {
        let mut tp = TreeProver {
            gens,
            t: &mut *t,
            blinds: &mut *blinds,
            openings: &mut openings,
            tree: i,
        };
        let (proof, result, decl) = tp.tree(layers, root, root_points[i]);
        trees_out.push(proof);
        results.push(result);
        decls.push(decl);
    }
    Ok(ZkLogupRun {
        proof: ZkLogupProof { trees: trees_out },
        results,
        checks: declare(groups, &root_claims, &decls),
        openings,
    })
}

/// One tree's layers on the prover's side.
struct TreeProver<'a> {
    gens: &'a Gens,
    t: &'a mut Transcript,
    blinds: &'a mut Blinds,
    openings: &'a mut BTreeMap<String, Hidden>,
    tree: usize,
}

type TreeOut = (ZkTreeProof, (Vec<Fr>, Hidden, Hidden), Vec<LayerDecl>);

impl TreeProver<'_> {
    /// logup.md's loop over layers `k = 1..D-1`, each sumcheck committed (zk.md 5.2).
    fn tree(
        &mut self,
        mut layers: TreeLayers,
        root: &[Hidden; 4],
        root_points: [G1Affine; 4],
    ) -> TreeOut {
        let depth = layers.depth();
        let mut mu = self.t.squeeze("logup-mu");
        let mut r = vec![mu];
        let (mut p, mut q) = (line(root[0], root[1], mu), line(root[2], root[3], mu));
        let mut out = Vec::with_capacity(depth - 1);
        let mut decls = Vec::with_capacity(depth - 1);
        for k in 1..depth {
            let lambda = self.t.squeeze("logup-lambda");
            let claim = p + q * lambda;
            let mut inst = layers.instance(k, &r, lambda, claim.v);
            let run = prove_eq(self.gens, self.t, &mut inst, &r, claim, self.blinds);
            let e = inst.final_evals().map(|v| Hidden::fresh(v, self.blinds));
            let points = e.map(|h| h.point(self.gens));
            self.t.absorb_points("logup-layer-evals", &points);
            decls.push(self.layer_decl(k, lambda, run.last, &e));
            mu = self.t.squeeze("logup-mu");
            r = std::iter::once(mu).chain(run.point).collect();
            (p, q) = (line(e[0], e[1], mu), line(e[2], e[3], mu));
            out.push((run.proof, points));
        }
        let proof = ZkTreeProof {
            depth,
            root: root_points,
            layers: out,
        };
        (proof, (r, p, q), decls)
    }

    /// Name the layer's committed claims and keep their openings.
    fn layer_decl(&mut self, k: usize, lambda: Fr, fin: Hidden, e: &[Hidden; 4]) -> LayerDecl {
        let i = self.tree;
        self.openings.insert(final_name(i, k), fin);
        let evals = std::array::from_fn(|j| {
            self.openings.insert(evals_name(i, k, j), e[j]);
            committed(evals_name(i, k, j), Some(e[j].v))
        });
        LayerDecl {
            lambda,
            fin: committed(final_name(i, k), Some(fin.v)),
            evals,
        }
    }
}

/// What the Rust check (points, tests) leaves: each tree's `(rho, P, Q)` as points,
/// the checks, and the point of every committed claim they name.
pub struct PointRun {
    pub results: Vec<(Vec<Fr>, G1Projective, G1Projective)>,
    pub checks: Vec<Check>,
    pub points: BTreeMap<String, G1Projective>,
}

fn pline(a: G1Projective, b: G1Projective, mu: Fr) -> G1Projective {
    a + (b - a) * mu
}

/// The verifier's side with committed values as points (the Rust check used by tests;
/// the Python verifier keeps forms, zk.md 5.1).
pub fn verify(
    t: &mut Transcript,
    depths: &[usize],
    groups: &[usize],
    proof: &ZkLogupProof,
) -> Result<PointRun> {
    check_groups(groups, depths.len())?;
    let shape_ok = proof.trees.len() == depths.len()
        && proof.trees.iter().zip(depths).all(|(tr, &d)| {
            tr.depth == d && (1..=MAX_LOGUP_DEPTH).contains(&d) && tr.layers.len() == d - 1
        });
    if !shape_ok {
        return reject_at(
            "logup.shape",
            "logup: proof shape differs from the statement",
        );
    }
    let mut points = BTreeMap::new();
    let mut roots = Vec::with_capacity(depths.len());
    for (i, tr) in proof.trees.iter().enumerate() {
        t.absorb_points("logup-root", &tr.root);
        roots.push(std::array::from_fn(|j| {
            points.insert(root_name(i, j), tr.root[j].into());
            committed(root_name(i, j), None)
        }));
    }
    let mut results = Vec::with_capacity(depths.len());
    let mut decls = Vec::with_capacity(depths.len());
    for (i, tr) in proof.trees.iter().enumerate() {
        let (result, decl) = verify_tree(t, i, tr, &mut points)?;
        results.push(result);
        decls.push(decl);
    }
    Ok(PointRun {
        results,
        checks: declare(groups, &roots, &decls),
        points,
    })
}

type PointTree = ((Vec<Fr>, G1Projective, G1Projective), Vec<LayerDecl>);

fn verify_tree(
    t: &mut Transcript,
    i: usize,
    tr: &ZkTreeProof,
    points: &mut BTreeMap<String, G1Projective>,
) -> Result<PointTree> {
    let root: [G1Projective; 4] = tr.root.map(Into::into);
    let mut mu = t.squeeze("logup-mu");
    let mut r = vec![mu];
    let (mut p, mut q) = (pline(root[0], root[1], mu), pline(root[2], root[3], mu));
    let mut decls = Vec::with_capacity(tr.layers.len());
    for (k, (sc, e)) in tr.layers.iter().enumerate().map(|(j, x)| (j + 1, x)) {
        let lambda = t.squeeze("logup-lambda");
        let (s, fin) = verify_eq(t, p + q * lambda, &r, 2, sc)?;
        t.absorb_points("logup-layer-evals", e);
        points.insert(final_name(i, k), fin);
        let evals = std::array::from_fn(|j| {
            points.insert(evals_name(i, k, j), e[j].into());
            committed(evals_name(i, k, j), None)
        });
        decls.push(LayerDecl {
            lambda,
            fin: committed(final_name(i, k), None),
            evals,
        });
        mu = t.squeeze("logup-mu");
        r = std::iter::once(mu).chain(s).collect();
        let e: [G1Projective; 4] = e.map(Into::into);
        (p, q) = (pline(e[0], e[1], mu), pline(e[2], e[3], mu));
    }
    Ok(((r, p, q), decls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};
    use ark_ff::One;

    /// One lookup of 1 (depth 2, padded) against the table `{0, 1}` (depth 1).
    fn trees() -> Vec<(Vec<Fr>, Vec<Fr>)> {
        let (one, zero, a) = (Fr::one(), Fr::from(0u64), Fr::from(9u64));
        vec![
            (vec![one, zero, zero, zero], vec![a - one, one, one, one]),
            (vec![zero, -one], vec![a, a - one]),
        ]
    }

    #[test]
    fn bytes_round_trip_and_depths_are_the_statements() {
        let gens = Gens::new(&seed_digest(DEFAULT_SEED), 1);
        let mut blinds = Blinds::from_seed([1; 32], [0; 32]);
        let mut t = Transcript::new(b"t");
        let run = prove(&gens, &mut t, trees(), &[2], &mut blinds).unwrap();
        assert!(run.checks.iter().all(|c| c.holds() == Some(true)));
        let mut w = Writer::new();
        run.proof.write(&mut w);
        let bytes = w.finish();
        assert_eq!(bytes.len(), 2 * 4 + (4 + 2 + 4 + 4) * 64);
        let mut r = Reader::new(&bytes);
        assert_eq!(ZkLogupProof::read(&mut r, &[2, 1]).unwrap(), run.proof);
        let err = |depths: &[usize]| {
            let e = ZkLogupProof::read(&mut Reader::new(&bytes), depths).unwrap_err();
            e.check()
        };
        assert_eq!(err(&[3, 1]), Some("logup.shape"));
        let zero = [0u8; 4];
        let limits = ZkLogupProof::read(&mut Reader::new(&zero), &[0]).unwrap_err();
        assert_eq!(limits.check(), Some("proof.limits"));
        let bad = prove(&gens, &mut t, trees(), &[1, 2], &mut blinds);
        assert!(matches!(bad, Err(Error::InvalidArgument(_))));
    }
}
