//! LogUp-GKR (circuits/logup.md): a GKR proof that a vector of fractions `p_i / q_i`
//! sums to zero, layer by layer through the binary tree of fraction additions.
//! Lookups put `1 / (alpha - f)` leaves against `-m_j / (alpha - j)` table leaves.

use ark_ff::{Field, Zero};
use rayon::prelude::*;

use crate::encoding::{Reader, Writer, MAX_NUM_VARS};
use crate::error::{format_err, reject, Result};
use crate::field::Fr;
use crate::mle::{eq_eval, eq_table};
use crate::sumcheck::{self, FractionLayer, SumcheckProof};
use crate::transcript::Transcript;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogupProof {
    pub depth: usize,
    /// `[p_1(0), p_1(1), q_1(0), q_1(1)]`.
    pub root: [Fr; 4],
    /// For layers `k = 1..depth-1`: the sumcheck and `[p0(s), p1(s), q0(s), q1(s)]`.
    pub layers: Vec<(SumcheckProof, [Fr; 4])>,
}

impl LogupProof {
    pub fn write(&self, w: &mut Writer) {
        w.u32(self.depth as u32);
        self.root.iter().for_each(|x| w.fr(x));
        for (sc, e) in &self.layers {
            sc.write(w);
            e.iter().for_each(|x| w.fr(x));
        }
    }

    pub fn read(r: &mut Reader, depth: usize) -> Result<Self> {
        let d = r.u32("logup depth")? as usize;
        if d != depth || d == 0 || d > MAX_NUM_VARS as usize + 2 {
            return format_err(format!("logup depth {d}, expected {depth}"));
        }
        let four = |r: &mut Reader| -> Result<[Fr; 4]> {
            Ok([
                r.fr("logup value")?,
                r.fr("logup value")?,
                r.fr("logup value")?,
                r.fr("logup value")?,
            ])
        };
        let root = four(r)?;
        let layers = (1..d)
            .map(|k| Ok((SumcheckProof::read(r, k, 3)?, four(r)?)))
            .collect::<Result<_>>()?;
        Ok(Self {
            depth: d,
            root,
            layers,
        })
    }
}

fn split_even_odd(v: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    (
        v.iter().step_by(2).copied().collect(),
        v.iter().skip(1).step_by(2).copied().collect(),
    )
}

fn line(a: Fr, b: Fr, mu: Fr) -> Fr {
    a + mu * (b - a)
}

/// Prove `sum_i p[i] / q[i] = 0` for leaves of length `2^D`, `D >= 1`. Returns the
/// proof and the final point `rho` (the caller proves `p(rho)`, `q(rho)`).
pub fn prove(t: &mut Transcript, p: Vec<Fr>, q: Vec<Fr>) -> (LogupProof, Vec<Fr>) {
    assert!(p.len() == q.len() && p.len() >= 2 && p.len().is_power_of_two());
    let depth = p.len().trailing_zeros() as usize;
    // layers[k] = (p_k, q_k) with 2^k entries; layers[depth] are the leaves.
    let mut layers: Vec<(Vec<Fr>, Vec<Fr>)> = vec![(Vec::new(), Vec::new()); depth + 1];
    layers[depth] = (p, q);
    for k in (1..depth).rev() {
        let (pc, qc) = &layers[k + 1];
        let node = |x: usize| {
            let (p0, p1, q0, q1) = (pc[2 * x], pc[2 * x + 1], qc[2 * x], qc[2 * x + 1]);
            (p0 * q1 + p1 * q0, q0 * q1)
        };
        let (np, nq): (Vec<Fr>, Vec<Fr>) = if k >= 12 {
            (0..1usize << k).into_par_iter().map(node).unzip()
        } else {
            (0..1usize << k).map(node).unzip()
        };
        layers[k] = (np, nq);
    }
    let root = [
        layers[1].0[0],
        layers[1].0[1],
        layers[1].1[0],
        layers[1].1[1],
    ];
    t.absorb_frs("logup-root", &root);
    let mut mu = t.squeeze("logup-mu");
    let mut r = vec![mu];
    let mut claim_p = line(root[0], root[1], mu);
    let mut claim_q = line(root[2], root[3], mu);
    let mut out = Vec::with_capacity(depth.saturating_sub(1));
    for k in 1..depth {
        let lambda = t.squeeze("logup-lambda");
        let (pc, qc) = &layers[k + 1];
        let (p0, p1) = split_even_odd(pc);
        let (q0, q1) = split_even_odd(qc);
        let mut inst = FractionLayer::new(eq_table(&r), p0, p1, q0, q1, lambda);
        let (sc, s) = sumcheck::prove(t, &mut inst, claim_p + lambda * claim_q);
        let e = inst.final_evals();
        t.absorb_frs("logup-layer-evals", &e);
        mu = t.squeeze("logup-mu");
        r = std::iter::once(mu).chain(s).collect();
        claim_p = line(e[0], e[1], mu);
        claim_q = line(e[2], e[3], mu);
        out.push((sc, e));
    }
    (
        LogupProof {
            depth,
            root,
            layers: out,
        },
        r,
    )
}

/// Verify; returns `(rho, P, Q)`: the caller must check `p(rho) = P`, `q(rho) = Q`
/// against its leaf layout.
pub fn verify(t: &mut Transcript, depth: usize, proof: &LogupProof) -> Result<(Vec<Fr>, Fr, Fr)> {
    if proof.depth != depth || depth == 0 || proof.layers.len() != depth - 1 {
        return reject("logup: proof shape differs from the statement");
    }
    let root = proof.root;
    t.absorb_frs("logup-root", &root);
    if root[0] * root[3] + root[1] * root[2] != Fr::zero() {
        return reject("logup: the fractions do not sum to zero (a lookup is not in its table)");
    }
    if (root[2] * root[3]).is_zero() {
        return reject("logup: zero denominator at the root");
    }
    let mut mu = t.squeeze("logup-mu");
    let mut r = vec![mu];
    let mut claim_p = line(root[0], root[1], mu);
    let mut claim_q = line(root[2], root[3], mu);
    for (k, (sc, e)) in proof.layers.iter().enumerate().map(|(i, x)| (i + 1, x)) {
        let lambda = t.squeeze("logup-lambda");
        let ctx = format!("logup layer {k}");
        let (s, fin) = sumcheck::verify(t, &ctx, claim_p + lambda * claim_q, k, 3, sc)?;
        t.absorb_frs("logup-layer-evals", e);
        let want = eq_eval(&r, &s) * (e[0] * e[3] + e[1] * e[2] + lambda * e[2] * e[3]);
        if fin != want {
            return reject(format!(
                "{ctx}: final value does not match the child evaluations"
            ));
        }
        mu = t.squeeze("logup-mu");
        r = std::iter::once(mu).chain(s).collect();
        claim_p = line(e[0], e[1], mu);
        claim_q = line(e[2], e[3], mu);
    }
    Ok((r, claim_p, claim_q))
}

/// `1 / x` helper for tests and leaf construction.
pub fn inverse(x: Fr) -> Option<Fr> {
    x.inverse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::from_i64;
    use ark_ff::One;
    use crate::mle::evaluate;
    use crate::testing::{assert_cheats_rejected, Protocol};

    /// Range lookups into [0, 256): leaves for the values then the table.
    struct Range {
        depth: usize,
    }

    fn leaves(values: &[i64], mult: &[i64], alpha: Fr, depth: usize) -> (Vec<Fr>, Vec<Fr>) {
        let mut p = vec![Fr::zero(); 1 << depth];
        let mut q = vec![Fr::one(); 1 << depth];
        for (i, v) in values.iter().enumerate() {
            p[i] = Fr::one();
            q[i] = alpha - from_i64(*v);
        }
        let base = (1 << depth) - 256;
        for j in 0..256 {
            p[base + j] = -from_i64(mult[j]);
            q[base + j] = alpha - Fr::from(j as u64);
        }
        (p, q)
    }

    impl Protocol for Range {
        type Witness = (Vec<i64>, Vec<i64>);
        fn prove(&self, w: &Self::Witness) -> Vec<u8> {
            let mut t = Transcript::new(b"range");
            let alpha = t.squeeze("logup-alpha");
            let (p, q) = leaves(&w.0, &w.1, alpha, self.depth);
            let (proof, rho) = prove(&mut t, p.clone(), q.clone());
            let mut wr = Writer::new();
            proof.write(&mut wr);
            // The test plays the PCS: it hands over p(rho), q(rho) honestly.
            wr.fr(&evaluate(&p, &rho));
            wr.fr(&evaluate(&q, &rho));
            wr.finish()
        }
        fn verify(&self, bytes: &[u8]) -> Result<()> {
            let mut r = Reader::new(bytes);
            let proof = LogupProof::read(&mut r, self.depth)?;
            let (pe, qe) = (r.fr("p")?, r.fr("q")?);
            r.finish()?;
            let mut t = Transcript::new(b"range");
            t.squeeze("logup-alpha");
            let (_, p, q) = verify(&mut t, self.depth, &proof)?;
            if p != pe || q != qe {
                return reject("leaf claims");
            }
            Ok(())
        }
    }

    #[test]
    fn range_lookups_complete_and_sound() {
        let values: Vec<i64> = (0..700).map(|i| (i * 37) % 256).collect();
        let mut mult = vec![0i64; 256];
        values.iter().for_each(|v| mult[*v as usize] += 1);
        assert_cheats_rejected(
            &Range { depth: 10 },
            &(values, mult),
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
