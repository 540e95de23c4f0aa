//! LogUp-GKR (circuits/logup.md): a GKR proof that a vector of fractions `p_i / q_i`
//! sums to zero, layer by layer through the binary tree of fraction additions.
//! Lookups put `1 / (alpha - f)` leaves against `-m_j / (alpha - j)` table leaves.

use std::ops::{Add, Mul};

use ark_ff::Zero;
use rayon::prelude::*;

use crate::encoding::{Reader, Writer};
use crate::error::{format_at, reject_at, Result};
use crate::field::Fr;
use crate::sumcheck::{self, EqSumcheckProof, FractionLayer};
use crate::transcript::Transcript;

/// One fraction tree's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeProof {
    pub depth: usize,
    /// `[p_1(0), p_1(1), q_1(0), q_1(1)]`.
    pub root: [Fr; 4],
    /// For layers `k = 1..depth-1`: the eq-factored sumcheck (degree 2) and
    /// `[p0(s), p1(s), q0(s), q1(s)]`.
    pub layers: Vec<(EqSumcheckProof, [Fr; 4])>,
}

/// A LogUp instance: several fraction trees whose leaves together sum to zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogupProof {
    pub trees: Vec<TreeProof>,
}

fn four(r: &mut Reader) -> Result<[Fr; 4]> {
    Ok([
        r.fr("logup value")?,
        r.fr("logup value")?,
        r.fr("logup value")?,
        r.fr("logup value")?,
    ])
}

impl LogupProof {
    /// Each tree in turn: `u32 D || root || layers` (the transcript absorbs every
    /// root before any layer; the bytes keep each tree together).
    pub fn write(&self, w: &mut Writer) {
        for tree in &self.trees {
            w.u32(tree.depth as u32);
            tree.root.iter().for_each(|x| w.fr(x));
            for (sc, e) in &tree.layers {
                sc.write(w);
                e.iter().for_each(|x| w.fr(x));
            }
        }
    }

    /// Parse a proof whose tree depths the protocol fixes.
    pub fn read(r: &mut Reader, depths: &[usize]) -> Result<Self> {
        let trees = depths
            .iter()
            .map(|&depth| {
                let d = r.u32("logup depth")? as usize;
                if d != depth || d == 0 || d > MAX_LOGUP_DEPTH {
                    return format_at("logup.shape", format!("logup depth {d}, expected {depth}"));
                }
                let root = four(r)?;
                let layers = (1..d)
                    .map(|k| Ok((EqSumcheckProof::read(r, k, 2)?, four(r)?)))
                    .collect::<Result<_>>()?;
                Ok(TreeProof {
                    depth: d,
                    root,
                    layers,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self { trees })
    }
}

/// The deepest fraction tree a parser accepts.
pub const MAX_LOGUP_DEPTH: usize = 32;

pub(crate) fn line(a: Fr, b: Fr, mu: Fr) -> Fr {
    a + mu * (b - a)
}

/// A layer split by its lowest index bit, `[p0, p1, q0, q1]` with `p0[x] = p[2x]`,
/// `p1[x] = p[2x + 1]` (likewise `q`): the four tables of its parent's sumcheck.
type Split = [Vec<Fr>; 4];

/// Layers this close to the leaves are never kept: the root-to-leaves pass computes
/// each from the leaves when it needs it. With 2, the kept layers are half the
/// leaves' size in all and the pass uses them up before it computes the layer above
/// the leaves (half their size), so besides the leaves at most half their size is
/// held at once.
const FROM_LEAVES: usize = 2;

/// Output entries per rayon task when filling a layer.
const CHUNK: usize = 1 << 10;

/// The fraction sum of leaves `lo .. lo + 2^s`, added pairwise in tree order (the
/// value of their common ancestor `s` levels up; the arithmetic is exact, so it is
/// the value the layer-by-layer build gives).
fn subtree(p: &[Fr], q: &[Fr], lo: usize, s: usize) -> (Fr, Fr) {
    if s == 0 {
        return (p[lo], q[lo]);
    }
    let (p0, q0) = subtree(p, q, lo, s - 1);
    let (p1, q1) = subtree(p, q, lo + (1 << (s - 1)), s - 1);
    (p0 * q1 + p1 * q0, q0 * q1)
}

/// A layer of `2 half` fractions, node `x` being `node(x)`, written straight into
/// its split form (no unsplit copy).
fn fill(half: usize, node: impl Fn(usize) -> (Fr, Fr) + Sync) -> Split {
    let mut out: Split = std::array::from_fn(|_| vec![Fr::zero(); half]);
    let [p0, p1, q0, q1] = &mut out;
    let run = |c: usize, p0: &mut [Fr], p1: &mut [Fr], q0: &mut [Fr], q1: &mut [Fr]| {
        for i in 0..p0.len() {
            let y = c * CHUNK + i;
            (p0[i], q0[i]) = node(2 * y);
            (p1[i], q1[i]) = node(2 * y + 1);
        }
    };
    if half <= CHUNK {
        run(0, p0, p1, q0, q1);
    } else {
        p0.par_chunks_mut(CHUNK)
            .zip(p1.par_chunks_mut(CHUNK))
            .zip(q0.par_chunks_mut(CHUNK))
            .zip(q1.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, (((p0, p1), q0), q1))| run(c, p0, p1, q0, q1));
    }
    out
}

/// The layer `s >= 1` levels above the leaves `(p, q)`, split.
fn layer_from_leaves(p: &[Fr], q: &[Fr], s: usize) -> Split {
    fill(p.len() >> (s + 1), |x| subtree(p, q, x << s, s))
}

/// The parent layer of a split layer of at least 4 fractions, split.
fn parent(c: &Split) -> Split {
    let [p0, p1, q0, q1] = c;
    fill(p0.len() / 2, |x| {
        (p0[x] * q1[x] + p1[x] * q0[x], q0[x] * q1[x])
    })
}

/// `v` split by its lowest index bit; the even half reuses `v`'s buffer, so the
/// split costs one half more for a moment, not a copy.
fn split_owned(mut v: Vec<Fr>) -> (Vec<Fr>, Vec<Fr>) {
    let half = v.len() / 2;
    let odd: Vec<Fr> = if half >= CHUNK {
        (0..half).into_par_iter().map(|i| v[2 * i + 1]).collect()
    } else {
        (0..half).map(|i| v[2 * i + 1]).collect()
    };
    // Ascending, entry i reads 2i >= i: nothing it reads is overwritten yet.
    for i in 0..half {
        v[i] = v[2 * i];
    }
    v.truncate(half);
    v.shrink_to_fit();
    (v, odd)
}

/// One fraction tree as the GKR pass consumes it, root to leaves: the leaves and
/// the layers `1..=D - FROM_LEAVES` (kept, or rebuilt when the pass starts); each
/// larger layer is computed from the leaves when the pass reaches it, and every
/// layer is handed to its sumcheck by value (logup.md: layer `k`'s instance takes
/// layer `k + 1`).
pub(crate) struct TreeLayers {
    depth: usize,
    p: Vec<Fr>,
    q: Vec<Fr>,
    /// `kept[j - 1]` is layer `j`; taken as the pass uses it.
    kept: Vec<Option<Split>>,
    root: [Fr; 4],
}

impl TreeLayers {
    /// The tree over leaves `(p, q)` of length `2^D`, `D >= 1`, and its root; the
    /// small layers are kept only when `keep` (else rebuilt when the pass starts).
    fn new(p: Vec<Fr>, q: Vec<Fr>, keep: bool) -> Self {
        assert!(p.len() == q.len() && p.len() >= 2 && p.len().is_power_of_two());
        let depth = p.len().trailing_zeros() as usize;
        let mut tree = Self {
            depth,
            p,
            q,
            kept: Vec::new(),
            root: [Fr::zero(); 4],
        };
        tree.build_kept();
        tree.root = match tree.kept.first() {
            Some(Some([p0, p1, q0, q1])) => [p0[0], p1[0], q0[0], q1[0]],
            _ if depth == 1 => [tree.p[0], tree.p[1], tree.q[0], tree.q[1]],
            _ => {
                let [p0, p1, q0, q1] = layer_from_leaves(&tree.p, &tree.q, depth - 1);
                [p0[0], p1[0], q0[0], q1[0]]
            }
        };
        if !keep {
            tree.kept.clear();
        }
        tree
    }

    /// Layers `1..=D - FROM_LEAVES` (none for small trees): the largest straight
    /// from the leaves, then each parent from its child.
    fn build_kept(&mut self) {
        let top = self.depth.saturating_sub(FROM_LEAVES);
        if top == 0 {
            return;
        }
        let mut layers = vec![layer_from_leaves(&self.p, &self.q, self.depth - top)];
        while layers.len() < top {
            let next = parent(&layers[layers.len() - 1]);
            layers.push(next);
        }
        self.kept = layers.into_iter().rev().map(Some).collect();
    }

    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// `[p_1(0), p_1(1), q_1(0), q_1(1)]`.
    pub(crate) fn root(&self) -> [Fr; 4] {
        self.root
    }

    /// Layer `k + 1`, split: call for `k = 1..D-1` in order (the last call takes
    /// the leaves).
    fn children(&mut self, k: usize) -> Split {
        assert!(
            (1..self.depth).contains(&k),
            "layer {k} of a depth-{} tree",
            self.depth
        );
        if k == 1 && self.kept.is_empty() {
            self.build_kept();
        }
        let j = k + 1;
        if j == self.depth {
            let (p0, p1) = split_owned(std::mem::take(&mut self.p));
            let (q0, q1) = split_owned(std::mem::take(&mut self.q));
            return [p0, p1, q0, q1];
        }
        match self.kept.get_mut(j - 1) {
            Some(layer) => layer.take().expect("each layer is used once"),
            None => layer_from_leaves(&self.p, &self.q, self.depth - j),
        }
    }

    /// Layer `k`'s sumcheck instance (logup.md: children at layer `k + 1`, split by
    /// the lowest variable) for the eq point `r` and the claim `P + lambda Q`; call
    /// for `k = 1..D-1` in order.
    pub(crate) fn instance(&mut self, k: usize, r: &[Fr], lambda: Fr, claim: Fr) -> FractionLayer {
        let [p0, p1, q0, q1] = self.children(k);
        FractionLayer::new(r, p0, p1, q0, q1, lambda, claim)
    }
}

/// Every tree (each `(p, q)` of length `2^D`, `D >= 1`) with its root. Only the first
/// tree, whose pass comes first, keeps its small layers; the others rebuild theirs
/// when their pass starts, so no two trees' layers are held at once.
pub(crate) fn layer_trees(trees: Vec<(Vec<Fr>, Vec<Fr>)>) -> Vec<TreeLayers> {
    let mut out: Vec<TreeLayers> = trees
        .into_iter()
        .enumerate()
        .rev()
        .map(|(i, (p, q))| TreeLayers::new(p, q, i == 0))
        .collect();
    out.reverse();
    out
}

/// Add a group's root fractions by cross-multiplication (logup.md's fold, starting from
/// the first tree's fraction: the same values as from `(0, 1)`); the group holds iff the
/// numerator is zero and the denominator is not. Generic so that the hiding LogUp
/// declares the same fold over claims (zk.md 5.6). `roots` is not empty.
pub(crate) fn fold_roots<T>(roots: &[[T; 4]]) -> (T, T)
where
    T: Clone + Add<Output = T> + Mul<Output = T>,
{
    let frac = |r: &[T; 4]| {
        let [a, b, c, d] = r.clone();
        (a * d.clone() + b * c.clone(), c * d)
    };
    let (mut n, mut m) = frac(&roots[0]);
    for r in &roots[1..] {
        let (p, q) = frac(r);
        (n, m) = (n * q.clone() + p * m.clone(), m * q);
    }
    (n, m)
}

/// A tree's end: the point `rho` its last layer reduces to and the claims `P`, `Q`
/// its leaves' MLEs must give there (what a caller checks against its leaf layout).
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEnd {
    pub point: Vec<Fr>,
    pub p: Fr,
    pub q: Fr,
}

/// Prove that the leaves of all `trees` (each `(p, q)` of length `2^D`, `D >= 1`)
/// sum to zero. Returns the proof and each tree's final point.
pub fn prove(t: &mut Transcript, trees: Vec<(Vec<Fr>, Vec<Fr>)>) -> (LogupProof, Vec<Vec<Fr>>) {
    let (proof, ends) = prove_ends(t, trees);
    (proof, ends.into_iter().map(|e| e.point).collect())
}

/// [`prove`], returning each tree's end with its claims.
pub fn prove_ends(
    t: &mut Transcript,
    trees: Vec<(Vec<Fr>, Vec<Fr>)>,
) -> (LogupProof, Vec<TreeEnd>) {
    let mut timer = crate::profile::Timer::new("logup");
    let all = layer_trees(trees);
    let roots: Vec<[Fr; 4]> = all.iter().map(TreeLayers::root).collect();
    roots.iter().for_each(|r| t.absorb_frs("logup-root", r));
    timer.mark("layers");
    let mut proofs = Vec::with_capacity(all.len());
    let mut points = Vec::with_capacity(all.len());
    // Each tree is consumed by its pass: its leaves go with its last layer.
    for (mut layers, root) in all.into_iter().zip(roots) {
        let depth = layers.depth();
        let mut mu = t.squeeze("logup-mu");
        let mut r = vec![mu];
        let mut claim_p = line(root[0], root[1], mu);
        let mut claim_q = line(root[2], root[3], mu);
        let mut out = Vec::with_capacity(depth.saturating_sub(1));
        for k in 1..depth {
            let lambda = t.squeeze("logup-lambda");
            let claim = claim_p + lambda * claim_q;
            let mut inst = layers.instance(k, &r, lambda, claim);
            let (sc, s) = sumcheck::prove_eq(t, &mut inst, claim);
            let e = inst.final_evals();
            t.absorb_frs("logup-layer-evals", &e);
            mu = t.squeeze("logup-mu");
            r = std::iter::once(mu).chain(s).collect();
            claim_p = line(e[0], e[1], mu);
            claim_q = line(e[2], e[3], mu);
            out.push((sc, e));
        }
        proofs.push(TreeProof {
            depth,
            root,
            layers: out,
        });
        points.push(TreeEnd {
            point: r,
            p: claim_p,
            q: claim_q,
        });
        timer.mark("tree");
    }
    (LogupProof { trees: proofs }, points)
}

/// Verify; returns each tree's `(rho, P, Q)`: the caller must check `p(rho) = P`,
/// `q(rho) = Q` against its leaf layout.
///
/// `groups` partitions the trees into consecutive groups (tree counts, in order); each
/// group (one table's entries and the lookups against that table) must sum to zero on
/// its own, so no lookup is paid for by another table's entries (circuits/soundness.md,
/// lookup separation).
pub fn verify(
    t: &mut Transcript,
    depths: &[usize],
    groups: &[usize],
    proof: &LogupProof,
) -> Result<Vec<(Vec<Fr>, Fr, Fr)>> {
    if groups.contains(&0) || groups.iter().sum::<usize>() != depths.len() {
        return reject_at(
            "logup.groups",
            "logup: tree groups do not partition the trees",
        );
    }
    if proof.trees.len() != depths.len()
        || proof
            .trees
            .iter()
            .zip(depths)
            .any(|(tr, &d)| tr.depth != d || d == 0 || tr.layers.len() != d - 1)
    {
        return reject_at(
            "logup.shape",
            "logup: proof shape differs from the statement",
        );
    }
    let roots: Vec<[Fr; 4]> = proof.trees.iter().map(|tr| tr.root).collect();
    roots.iter().for_each(|r| t.absorb_frs("logup-root", r));
    let mut start = 0;
    for (g, &count) in groups.iter().enumerate() {
        let (num, den) = fold_roots(&roots[start..start + count]);
        if !num.is_zero() {
            return reject_at(
                "logup.group-sum",
                format!(
                    "logup group {g}: the fractions do not sum to zero (a lookup is not in its own table)"
                ),
            );
        }
        if den.is_zero() {
            return reject_at(
                "logup.root-denominator",
                format!("logup group {g}: zero denominator at a root"),
            );
        }
        start += count;
    }
    let mut out = Vec::with_capacity(roots.len());
    for (i, tree) in proof.trees.iter().enumerate() {
        let root = tree.root;
        let mut mu = t.squeeze("logup-mu");
        let mut r = vec![mu];
        let mut claim_p = line(root[0], root[1], mu);
        let mut claim_q = line(root[2], root[3], mu);
        for (k, (sc, e)) in tree.layers.iter().enumerate().map(|(i, x)| (i + 1, x)) {
            let lambda = t.squeeze("logup-lambda");
            let ctx = format!("logup tree {i} layer {k}");
            let (s, fin) = sumcheck::verify_eq(t, &ctx, claim_p + lambda * claim_q, &r, 2, sc)?;
            t.absorb_frs("logup-layer-evals", e);
            // No eq factor: the eq-factored sumcheck's final claim is already divided
            // by eq(r, s) (sumcheck.md), so it is the layer relation itself.
            let want = e[0] * e[3] + e[1] * e[2] + lambda * e[2] * e[3];
            if fin != want {
                return reject_at(
                    "logup.layer",
                    format!("{ctx}: final value does not match the child evaluations"),
                );
            }
            mu = t.squeeze("logup-mu");
            r = std::iter::once(mu).chain(s).collect();
            claim_p = line(e[0], e[1], mu);
            claim_q = line(e[2], e[3], mu);
        }
        out.push((r, claim_p, claim_q));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::reject;
    use crate::field::from_i64;
    use crate::mle::evaluate;
    use crate::testing::{assert_cheats_rejected_at, Protocol};
    use ark_ff::One;

    /// Range lookups into [0, 256): leaves for the values then the table.
    struct Range {
        depth: usize,
    }

    /// Two trees: the looked-up values, then the table with its multiplicities.
    fn leaves(values: &[i64], mult: &[i64], alpha: Fr, depth: usize) -> Vec<(Vec<Fr>, Vec<Fr>)> {
        let mut p = vec![Fr::zero(); 1 << depth];
        let mut q = vec![Fr::one(); 1 << depth];
        for (i, v) in values.iter().enumerate() {
            p[i] = Fr::one();
            q[i] = alpha - from_i64(*v);
        }
        let pt = mult.iter().map(|m| -from_i64(*m)).collect();
        let qt = (0..256u64).map(|j| alpha - Fr::from(j)).collect();
        vec![(p, q), (pt, qt)]
    }

    impl Protocol for Range {
        type Witness = (Vec<i64>, Vec<i64>);
        fn prove(&self, w: &Self::Witness) -> Vec<u8> {
            let mut t = Transcript::new(b"range");
            let alpha = t.squeeze("logup-alpha");
            let trees = leaves(&w.0, &w.1, alpha, self.depth);
            let (proof, rho) = prove(&mut t, trees.clone());
            let mut wr = Writer::new();
            proof.write(&mut wr);
            // The test plays the PCS: it hands over p(rho), q(rho) honestly.
            for ((p, q), r) in trees.iter().zip(&rho) {
                wr.fr(&evaluate(p, r));
                wr.fr(&evaluate(q, r));
            }
            wr.finish()
        }
        fn verify(&self, bytes: &[u8]) -> Result<()> {
            let mut r = Reader::new(bytes);
            let proof = LogupProof::read(&mut r, &[self.depth, 8])?;
            let claims = [(r.fr("p")?, r.fr("q")?), (r.fr("p")?, r.fr("q")?)];
            r.finish()?;
            let mut t = Transcript::new(b"range");
            t.squeeze("logup-alpha");
            for ((_, p, q), (pe, qe)) in verify(&mut t, &[self.depth, 8], &[2], &proof)?
                .into_iter()
                .zip(claims)
            {
                if p != pe || q != qe {
                    return reject("leaf claims");
                }
            }
            Ok(())
        }
    }

    #[test]
    fn range_lookups_complete_and_sound() {
        let values: Vec<i64> = (0..700).map(|i| (i * 37) % 256).collect();
        let mut mult = vec![0i64; 256];
        values.iter().for_each(|v| mult[*v as usize] += 1);
        assert_cheats_rejected_at(
            &Range { depth: 10 },
            &(values, mult),
            "logup.group-sum",
            &[
                ("value out of range", |w| w.0[3] = 256),
                ("negative value", |w| w.0[0] = -1),
                ("wrong multiplicity", |w| w.1[5] += 1),
                ("multiplicity moved", |w| {
                    w.1[5] -= 1;
                    w.1[6] += 1;
                }),
            ],
        );
    }

    /// Two groups, each one table (entries `alpha - j - gamma_id`) and its lookups.
    /// Moving a lookup's payment from its own table to the other keeps the total at
    /// zero; only the per-group check sees it (circuits/soundness.md, lookup separation).
    #[test]
    fn a_lookup_is_not_paid_by_another_table() {
        let mut t = Transcript::new(b"groups");
        let alpha = t.squeeze("logup-alpha");
        // table A = {0..4}, table B = {2..6}: the value 3 is in both
        let table = |lo: u64| -> Vec<Fr> { (lo..lo + 4).map(|j| alpha - Fr::from(j)).collect() };
        let lookups = |v: u64| {
            (
                vec![Fr::one(), Fr::zero()],
                vec![alpha - Fr::from(v), Fr::one()],
            )
        };
        let mult = |m: [i64; 4]| m.iter().map(|x| -from_i64(*x)).collect::<Vec<_>>();
        let run = |ma: [i64; 4], mb: [i64; 4]| {
            let trees = vec![
                lookups(3),
                (mult(ma), table(0)),
                lookups(3),
                (mult(mb), table(2)),
            ];
            let depths: Vec<usize> = trees
                .iter()
                .map(|(p, _)| p.len().trailing_zeros() as usize)
                .collect();
            let mut tp = Transcript::new(b"g");
            let (proof, _) = prove(&mut tp, trees);
            verify(&mut Transcript::new(b"g"), &depths, &[2, 2], &proof)
        };
        // honest: each lookup of 3 paid by its own table
        assert!(run([0, 0, 0, 1], [0, 1, 0, 0]).is_ok());
        // group A's lookup paid by table B's entry 3: the total is still zero
        let err = run([0, 0, 0, 0], [0, 2, 0, 0]).unwrap_err();
        assert_eq!(err.check(), Some("logup.group-sum"), "{err}");
        assert!(err.to_string().contains("logup group 0"), "{err}");
    }

    /// The all-layers build this module used to do (the oracle): `layers[k]` has `2^k`
    /// fractions, `layers[depth]` the leaves.
    fn naive_layers(p: Vec<Fr>, q: Vec<Fr>) -> Vec<(Vec<Fr>, Vec<Fr>)> {
        let depth = p.len().trailing_zeros() as usize;
        let mut layers = vec![(Vec::new(), Vec::new()); depth + 1];
        layers[depth] = (p, q);
        for k in (1..depth).rev() {
            let (pc, qc) = &layers[k + 1];
            layers[k] = (0..1usize << k)
                .map(|x| {
                    let (p0, p1, q0, q1) = (pc[2 * x], pc[2 * x + 1], qc[2 * x], qc[2 * x + 1]);
                    (p0 * q1 + p1 * q0, q0 * q1)
                })
                .unzip();
        }
        layers
    }

    fn split_even_odd(v: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
        (
            v.iter().step_by(2).copied().collect(),
            v.iter().skip(1).step_by(2).copied().collect(),
        )
    }

    /// The streaming producer hands the pass exactly the oracle's layers, split, for
    /// every depth (below, at and above the kept/recomputed boundary, and past the
    /// parallel chunk size), whether the small layers were kept or are rebuilt.
    #[test]
    fn streamed_layers_match_the_all_layers_build() {
        use crate::testing::rand_frs;
        for depth in 1..=13usize {
            let p = rand_frs(1 << depth, 2 * depth as u64);
            let q = rand_frs(1 << depth, 2 * depth as u64 + 1);
            let naive = naive_layers(p.clone(), q.clone());
            for keep in [true, false] {
                let mut tree = TreeLayers::new(p.clone(), q.clone(), keep);
                let (rp, rq) = &naive[1];
                assert_eq!(tree.root(), [rp[0], rp[1], rq[0], rq[1]], "depth {depth}");
                for k in 1..depth {
                    let (np, nq) = &naive[k + 1];
                    let ((p0, p1), (q0, q1)) = (split_even_odd(np), split_even_odd(nq));
                    assert_eq!(tree.children(k), [p0, p1, q0, q1], "depth {depth}, k {k}");
                }
            }
        }
    }

    /// Several trees of mixed depths: each hands its pass the oracle's layers, the first
    /// from the small layers it kept, the others from layers rebuilt at their turn.
    #[test]
    fn layer_trees_keeps_each_trees_values() {
        use crate::testing::rand_frs;
        let trees: Vec<(Vec<Fr>, Vec<Fr>)> = [5usize, 1, 7, 3]
            .iter()
            .map(|&d| {
                (
                    rand_frs(1 << d, 40 + d as u64),
                    rand_frs(1 << d, 50 + d as u64),
                )
            })
            .collect();
        let all = layer_trees(trees.clone());
        for (i, (mut tree, (p, q))) in all.into_iter().zip(trees).enumerate() {
            // only the first tree holds layers besides its leaves before its pass
            assert_eq!(tree.kept.is_empty(), i > 0, "tree {i}");
            let depth = tree.depth();
            let naive = naive_layers(p, q);
            let (rp, rq) = &naive[1];
            assert_eq!(tree.root(), [rp[0], rp[1], rq[0], rq[1]], "tree {i}");
            for k in 1..depth {
                let (np, nq) = &naive[k + 1];
                let ((p0, p1), (q0, q1)) = (split_even_odd(np), split_even_odd(nq));
                assert_eq!(tree.children(k), [p0, p1, q0, q1]);
            }
        }
    }

    #[test]
    fn tampered_layer_rejected() {
        let values: Vec<i64> = (0..100).collect();
        let mut mult = vec![0i64; 256];
        values.iter().for_each(|v| mult[*v as usize] += 1);
        let rp = Range { depth: 9 };
        let mut bytes = rp.prove(&(values, mult));
        assert!(rp.verify(&bytes).is_ok());
        let n = bytes.len();
        bytes[n - 100] ^= 1;
        assert!(rp.verify(&bytes).is_err());
    }
}
