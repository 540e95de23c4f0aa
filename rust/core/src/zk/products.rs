//! The batched proof of product (circuits/sigma.md 7): one proof that `x_i y_i = z_i`
//! for all `m` products of a hiding proof, at 2 + 6 points and `2m + 5` scalars instead
//! of `3m` points and `5m` scalars.
//!
//! The prover commits the vectors of left and right factors (`V_x`, `V_y`, vector
//! commitments over `G_0..G_{m-1}`), the transcript gives `delta` (which ties the
//! vectors to the factors' own commitments) and `gamma` (which folds the `m` product
//! equations into one), and one sigma proof answers the sigma batch's challenge `c`.
//! Its five equations join the caller's merged check.

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::CurveGroup;
use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::blinds::Blinds;
use super::hidden::Hidden;
use super::pedersen::Gens;
use super::sigma::Equation;
use crate::encoding::{g1_to_bytes, Reader, Writer};
use crate::error::{format_at, Result};
use crate::field::{inner_product, powers, Fr};
use crate::transcript::Transcript;

/// The most products one proof may hold (the generators a vector commitment uses,
/// sigma.md 7; the longest dot product's bound).
pub const MAX_PRODUCTS: usize = 1 << 15;

/// The prover's statement: the openings of `x_i`, `y_i`, `z_i` (an inverse is
/// `(expr, inv, 1)` with `1` public, blinder 0).
pub type Triple = (Hidden, Hidden, Hidden);

/// The verifier's statement as points (the Rust check of tests): `(X_i, Y_i, Z_i)`.
pub type PointTriple = (G1Projective, G1Projective, G1Projective);

/// The batched proof: `V_x`, `V_y` (sent before `"zk-linear"`), the six first messages
/// `D_x, D_y, B_x, B_y, T_1, T_0`, the responses `f_x`, `f_y` and five blinder responses.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductProof {
    pub vectors: [G1Affine; 2],
    pub first: [G1Affine; 6],
    pub fx: Vec<Fr>,
    pub fy: Vec<Fr>,
    pub u: [Fr; 5],
}

/// `delta` and `gamma`, squeezed after `V_x`, `V_y`.
#[derive(Clone, Copy, Debug)]
pub struct Challenges {
    pub delta: Fr,
    pub gamma: Fr,
}

/// Absorb `V_x`, `V_y` and squeeze `delta`, `gamma` (sigma.md 7, both sides).
pub fn absorb_vectors(t: &mut Transcript, vectors: &[G1Affine; 2]) -> Challenges {
    t.absorb_points("zk-product-vectors", vectors);
    let delta = t.squeeze("zk-product-link");
    Challenges {
        delta,
        gamma: t.squeeze("zk-product-batch"),
    }
}

/// The prover between its phases: what it committed and the nonces of the first
/// messages.
pub struct Pending {
    vectors: [G1Affine; 2],
    ch: Challenges,
    s: [Fr; 2],
    first: [G1Affine; 6],
    d: [Vec<Fr>; 2],
    r: [Fr; 6],
}

/// Phase one: commit the factor vectors, absorb them and take `delta`, `gamma`.
/// Returns the vectors' openings for [`first`].
pub fn commit(
    gens: &Gens,
    t: &mut Transcript,
    triples: &[Triple],
    blinds: &mut Blinds,
) -> ([G1Affine; 2], [Fr; 2], Challenges) {
    let (x, y) = factors(triples);
    let s = [blinds.draw(), blinds.draw()];
    let vectors = [gens.commit_vec(&x, s[0]), gens.commit_vec(&y, s[1])];
    let ch = absorb_vectors(t, &vectors);
    (vectors, s, ch)
}

fn factors(triples: &[Triple]) -> (Vec<Fr>, Vec<Fr>) {
    triples.iter().map(|(x, y, _)| (x.v, y.v)).unzip()
}

/// Phase two: the nonces and the six first messages (after `"zk-linear"`, before the
/// sigma batch's `"sigma-first"`, which absorbs them first).
pub fn first(
    gens: &Gens,
    triples: &[Triple],
    committed: ([G1Affine; 2], [Fr; 2], Challenges),
    blinds: &mut Blinds,
) -> Pending {
    let (vectors, s, ch) = committed;
    let m = triples.len();
    let (x, y) = factors(triples);
    let dx = blinds.draw_n(m);
    let dy = blinds.draw_n(m);
    let r: [Fr; 6] = std::array::from_fn(|_| blinds.draw());
    let deltas = powers(ch.delta, m);
    let gammas = powers(ch.gamma, m);
    let (t1, t0) = (0..m)
        .into_par_iter()
        .map(|i| {
            let g = gammas[i];
            (g * (dx[i] * y[i] + x[i] * dy[i]), g * dx[i] * dy[i])
        })
        .reduce(
            || (Fr::from(0u64), Fr::from(0u64)),
            |a, b| (a.0 + b.0, a.1 + b.1),
        );
    let first = [
        gens.commit_vec(&dx, r[0]),
        gens.commit_vec(&dy, r[1]),
        gens.commit_scalar(inner_product(&deltas, &dx), r[2]),
        gens.commit_scalar(inner_product(&deltas, &dy), r[3]),
        gens.commit_scalar(t1, r[4]),
        gens.commit_scalar(t0, r[5]),
    ];
    Pending {
        vectors,
        ch,
        s,
        first,
        d: [dx, dy],
        r,
    }
}

impl Pending {
    pub fn first_messages(&self) -> &[G1Affine; 6] {
        &self.first
    }
}

/// Phase three: the responses to the sigma batch's challenge `c`.
pub fn respond(p: Pending, triples: &[Triple], c: Fr) -> ProductProof {
    let m = triples.len();
    let deltas = powers(p.ch.delta, m);
    let gammas = powers(p.ch.gamma, m);
    let fold = |w: &[Fr], pick: fn(&Triple) -> Fr| -> Fr {
        w.iter().zip(triples).map(|(w, tr)| *w * pick(tr)).sum()
    };
    let tx = fold(&deltas, |tr| tr.0.t);
    let ty = fold(&deltas, |tr| tr.1.t);
    let tz = fold(&gammas, |tr| tr.2.t);
    let [dx, dy] = p.d;
    let fx = dx
        .iter()
        .zip(triples)
        .map(|(d, tr)| *d + c * tr.0.v)
        .collect();
    let fy = dy
        .iter()
        .zip(triples)
        .map(|(d, tr)| *d + c * tr.1.v)
        .collect();
    let r = p.r;
    let u = [
        r[0] + c * p.s[0],
        r[1] + c * p.s[1],
        r[2] + c * tx,
        r[3] + c * ty,
        r[5] + c * r[4] + c * c * tz,
    ];
    ProductProof {
        vectors: p.vectors,
        first: p.first,
        fx,
        fy,
        u,
    }
}

impl ProductProof {
    /// `V_x`, `V_y` (before `tau` on the wire).
    pub fn write_vectors(&self, w: &mut Writer) {
        self.vectors.iter().for_each(|p| w.bytes(&g1_to_bytes(p)));
    }

    /// The sigma part: six points, then `f_x`, `f_y`, `u` (first in the sigma batch).
    pub fn write_sigma(&self, w: &mut Writer) {
        self.first.iter().for_each(|p| w.bytes(&g1_to_bytes(p)));
        self.responses().iter().for_each(|x| w.fr(x));
    }

    /// Every response in wire order (what `"sigma-responses"` absorbs first).
    pub fn responses(&self) -> Vec<Fr> {
        let mut out = self.fx.clone();
        out.extend(&self.fy);
        out.extend(self.u);
        out
    }

    /// Read `V_x`, `V_y` (the sigma part comes later: [`ProductProof::read_sigma`]).
    pub fn read_vectors(r: &mut Reader<'_>) -> Result<[G1Affine; 2]> {
        Ok([
            r.point("zk-product-vectors")?,
            r.point("zk-product-vectors")?,
        ])
    }

    /// Read the sigma part of a proof of `m` products.
    pub fn read_sigma(r: &mut Reader<'_>, vectors: [G1Affine; 2], m: usize) -> Result<Self> {
        if m > MAX_PRODUCTS {
            return format_at("proof.limits", "more than 2^15 products");
        }
        let mut first = [G1Affine::default(); 6];
        for p in first.iter_mut() {
            *p = r.point("sigma first message")?;
        }
        let mut read =
            |n: usize| -> Result<Vec<Fr>> { (0..n).map(|_| r.fr("sigma response")).collect() };
        let (fx, fy, u) = (read(m)?, read(m)?, read(5)?);
        Ok(Self {
            vectors,
            first,
            fx,
            fy,
            u: [u[0], u[1], u[2], u[3], u[4]],
        })
    }
}

/// The five equations at the sigma challenge `c` (sigma.md 7), each as `lhs - rhs`.
pub fn equations(
    gens: &Gens,
    triples: &[PointTriple],
    p: &ProductProof,
    ch: Challenges,
    c: Fr,
) -> Result<Vec<Equation>> {
    let m = triples.len();
    if p.fx.len() != m || p.fy.len() != m {
        return format_at(
            "sigma.shape",
            "a product proof's size does not match its products",
        );
    }
    if m > gens.g().len() {
        return format_at("sigma.shape", "more products than generators");
    }
    let (g_e, h, m1) = (gens.g_e, gens.h, -Fr::one());
    let (deltas, gammas) = (powers(ch.delta, m), powers(ch.gamma, m));
    let affine = |pick: fn(&PointTriple) -> G1Projective| -> Vec<G1Affine> {
        G1Projective::normalize_batch(&triples.iter().map(pick).collect::<Vec<_>>())
    };
    let (xs, ys, zs) = (affine(|t| t.0), affine(|t| t.1), affine(|t| t.2));
    let vector = |f: &[Fr], u: Fr, d: G1Affine, v: G1Affine| -> Equation {
        let mut e: Equation = f.iter().copied().zip(gens.g().iter().copied()).collect();
        e.extend([(u, h), (m1, d), (-c, v)]);
        e
    };
    let link = |f: &[Fr], u: Fr, b: G1Affine, pts: &[G1Affine]| -> Equation {
        let mut e = vec![(inner_product(&deltas, f), g_e), (u, h), (m1, b)];
        e.extend(deltas.iter().zip(pts).map(|(w, q)| (-c * w, *q)));
        e
    };
    let (f, u) = (&p.first, &p.u);
    let gf: Vec<Fr> = gammas.iter().zip(&p.fx).map(|(g, x)| *g * x).collect();
    let mut prod = vec![
        (inner_product(&gf, &p.fy), g_e),
        (u[4], h),
        (m1, f[5]),
        (-c, f[4]),
    ];
    prod.extend(gammas.iter().zip(&zs).map(|(w, q)| (-c * c * w, *q)));
    Ok(vec![
        vector(&p.fx, u[0], f[0], p.vectors[0]),
        vector(&p.fy, u[1], f[1], p.vectors[1]),
        link(&p.fx, u[2], f[2], &xs),
        link(&p.fy, u[3], f[3], &ys),
        prod,
    ])
}

/// The proof alone (sigma.md 7's standalone form: its own `"sigma-first"`, `"sigma-c"`,
/// `"sigma-responses"`, `"sigma-merge"`); the caller has absorbed the statement.
pub fn prove_alone(
    gens: &Gens,
    t: &mut Transcript,
    triples: &[Triple],
    blinds: &mut Blinds,
) -> ProductProof {
    let committed = commit(gens, t, triples, blinds);
    let pending = first(gens, triples, committed, blinds);
    t.absorb_points("sigma-first", pending.first_messages());
    let c = t.squeeze("sigma-c");
    let proof = respond(pending, triples, c);
    t.absorb_frs("sigma-responses", &proof.responses());
    t.squeeze("sigma-merge");
    proof
}

/// Check a proof made by [`prove_alone`]: one MSM, `sigma.equations` unless it is the
/// identity.
pub fn verify_alone(
    gens: &Gens,
    t: &mut Transcript,
    triples: &[PointTriple],
    p: &ProductProof,
) -> Result<()> {
    let ch = absorb_vectors(t, &p.vectors);
    t.absorb_points("sigma-first", &p.first);
    let c = t.squeeze("sigma-c");
    t.absorb_frs("sigma-responses", &p.responses());
    let rho = t.squeeze("sigma-merge");
    if super::sigma::fold(&equations(gens, triples, p, ch, c)?, rho).is_zero() {
        Ok(())
    } else {
        crate::error::reject_at("sigma.equations", "the batched proof of product fails")
    }
}

/// A small statement with its openings (test builds only): the unit tests' and
/// `circuits/vectors/sigma.json`'s batched proof. `z_last` is the value the last
/// product commits (honest: 6); the third entry is an inverse (`3 * inv == 1`).
#[cfg(any(test, feature = "testkit"))]
pub fn example_triples(z_last: Fr) -> Vec<Triple> {
    use ark_ff::Field;
    let h = |v: u64, t: u64| Hidden {
        v: Fr::from(v),
        t: Fr::from(t),
    };
    let inv3 = Hidden {
        v: Fr::from(3u64).inverse().expect("3 != 0"),
        t: Fr::from(31u64),
    };
    vec![
        (h(6, 1), h(7, 2), h(42, 3)),
        (h(5, 4), h(0, 5), h(0, 6)),
        (h(3, 7), inv3, Hidden::public(Fr::one())),
        (
            h(2, 8),
            h(3, 9),
            Hidden {
                v: z_last,
                t: Fr::from(10u64),
            },
        ),
    ]
}

/// The triples' commitments (test builds only).
#[cfg(any(test, feature = "testkit"))]
pub fn points_of(gens: &Gens, triples: &[Triple]) -> Vec<PointTriple> {
    let p = |h: &Hidden| gens.commit_scalar_proj(h.v, h.t);
    triples.iter().map(|(x, y, z)| (p(x), p(y), p(z))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::generators::{seed_digest, DEFAULT_SEED};
    use crate::zk::sigma::fold;

    fn gens() -> Gens {
        Gens::new(&seed_digest(DEFAULT_SEED), 4)
    }

    /// Prove standalone (vectors, challenges, first messages, `c`) and check the five
    /// equations folded by one weight.
    fn run(triples: &[Triple], tamper: impl Fn(&mut ProductProof)) -> bool {
        let g = gens();
        let mut t = Transcript::new(b"t");
        let mut blinds = Blinds::from_seed([9; 32], [0; 32]);
        let committed = commit(&g, &mut t, triples, &mut blinds);
        let ch = committed.2;
        let pending = first(&g, triples, committed, &mut blinds);
        let c = t.squeeze("sigma-c");
        let mut proof = respond(pending, triples, c);
        tamper(&mut proof);
        let eqs = equations(&g, &points_of(&g, triples), &proof, ch, c).unwrap();
        fold(&eqs, Fr::from(5u64)).is_zero()
    }

    #[test]
    fn honest_products_verify() {
        assert!(run(&example_triples(Fr::from(6u64)), |_| {}));
    }

    #[test]
    fn a_false_product_is_rejected() {
        assert!(!run(&example_triples(Fr::from(7u64)), |_| {}));
    }

    #[test]
    fn every_response_and_first_message_is_bound() {
        let tr = example_triples(Fr::from(6u64));
        for j in 0..2 * tr.len() + 5 {
            let bump = |p: &mut ProductProof| {
                let k = p.fx.len();
                match j {
                    j if j < k => p.fx[j] += Fr::one(),
                    j if j < 2 * k => p.fy[j - k] += Fr::one(),
                    j => p.u[j - 2 * k] += Fr::one(),
                }
            };
            assert!(!run(&tr, bump), "response {j}");
        }
        for j in 0..8 {
            let moved = |p: &mut ProductProof| match j {
                j if j < 6 => p.first[j] = gens().h,
                j => p.vectors[j - 6] = gens().h,
            };
            assert!(!run(&tr, moved), "point {j}");
        }
    }
}
