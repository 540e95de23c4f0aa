//! The spatial-sum gadget (circuits/nonlinear.md section 2): the sum over the real
//! spatial region of each channel, checked by one instance in the dense group
//!
//! ```text
//! acc(r_c, r_b) = sum_{x', y'} 2^l M(x', y') X(x', y', r_c, r_b),   M = lt(x', S_2) lt(y', S_1)
//! ```
//!
//! A 1-D map `[C, S_1]` is the 2-D map `[C, 1, S_1]` (spatial.rs): its first axis has
//! no variables and `lt(., 1) = 1` over zero coordinates.

use ark_ff::{One, Zero};

use super::circuit::Circuit;
use super::matmul::fold_rows;
use super::producer::Spatialsum;
use super::tensors::{tensor_table, Columns};
use crate::error::Result;
use crate::field::{pow2, Fr};
use crate::mle::eq_table;
use crate::sumcheck::PairProduct;

/// The real spatial sizes `(S_1, S_2)` of a spatialsum's `in_shape` (1-D: `(1, S_1)`).
pub fn spatial_dims(in_shape: &[usize]) -> (usize, usize) {
    if in_shape.len() == 2 {
        (1, in_shape[1])
    } else {
        (in_shape[1], in_shape[2])
    }
}

/// `M(x', y') = [x' < S_2][y' < S_1]` as a table indexed `x' + pad(S_2) y'`.
pub fn mask_table((s1, s2): (usize, usize)) -> Vec<Fr> {
    let (p1, p2) = (s1.next_power_of_two(), s2.next_power_of_two());
    (0..p1 * p2)
        .map(|i| Fr::from(u64::from(i % p2 < s2 && i / p2 < s1)))
        .collect()
}

/// `lt(x, n)` of inference.md section 4: the MLE of `[index < n]` in `O(len)`
/// (coordinates beyond `x`'s length count as 0). What a verifier computes.
pub fn lt(x: &[Fr], n: usize) -> Fr {
    let coord = |k: usize| x.get(k).copied().unwrap_or(Fr::zero());
    let top = usize::BITS as usize - n.leading_zeros() as usize;
    let len = top.max(x.len());
    // suffix[k] = prod_{j > k} eq(x_j, bit j of n), accumulated from the top.
    let mut out = Fr::zero();
    let mut suffix = Fr::one();
    for k in (0..len).rev() {
        let bit = (n >> k) & 1 == 1;
        let xk = coord(k);
        if bit {
            out += suffix * (Fr::one() - xk);
        }
        suffix *= if bit { xk } else { Fr::one() - xk };
    }
    out
}

/// A spatialsum's instance: the pair `(2^l M, X(., r_c, r_b))` over `(x', y')`.
pub fn instance(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    p: &Spatialsum,
    r_g: &[Fr],
) -> Result<PairProduct<'static>> {
    let scale = pow2(p.lshift);
    let m: Vec<Fr> = mask_table(p.dims())
        .into_iter()
        .map(|v| v * scale)
        .collect();
    // x's table is row-major (b, c, y', x'): its high variables are (r_c, r_b).
    let xt = tensor_table(c, cols, p.x, input, b);
    let xr = fold_rows(&xt, &eq_table(r_g), m.len());
    PairProduct::new(m, xr)
}

/// The reference accumulator over the padded output (`bp` rows of `pad(C)`):
/// `2^l` times the sum of each channel's real region of the padded input `xt`.
pub fn reference_acc(in_shape: &[usize], lshift: u32, xt: &[i128], bp: usize) -> Vec<i128> {
    let (s1, s2) = spatial_dims(in_shape);
    let (p1, p2) = (s1.next_power_of_two(), s2.next_power_of_two());
    let pc = in_shape[0].next_power_of_two();
    let mut acc = vec![0i128; bp * pc];
    for (row, a) in acc.iter_mut().enumerate() {
        let base = row * p1 * p2;
        let mut sum = 0i128;
        for y in 0..s1 {
            for x in 0..s2 {
                sum += xt[base + x + p2 * y];
            }
        }
        *a = sum << lshift;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mle::evaluate;
    use crate::sumcheck::SumcheckProver;
    use crate::testing::rand_frs;

    #[test]
    fn lt_matches_the_mask_table() {
        for (s1, s2) in [
            (1usize, 1usize),
            (1, 3),
            (3, 3),
            (7, 7),
            (1, 8),
            (5, 4),
            (2, 9),
        ] {
            let (l1, l2) = (
                s1.next_power_of_two().trailing_zeros() as usize,
                s2.next_power_of_two().trailing_zeros() as usize,
            );
            let p = rand_frs(l1 + l2, (s1 * 31 + s2) as u64);
            let (px, py) = p.split_at(l2);
            let m = evaluate(&mask_table((s1, s2)), &p);
            assert_eq!(m, lt(px, s2) * lt(py, s1), "{s1}x{s2}");
        }
        // Boolean points: lt is the indicator itself.
        for n in 0..9usize {
            for i in 0..8usize {
                let bits: Vec<Fr> = (0..3).map(|k| Fr::from(((i >> k) & 1) as u64)).collect();
                assert_eq!(lt(&bits, n), Fr::from(u64::from(i < n)), "{i} < {n}");
            }
        }
    }

    #[test]
    fn sum_over_the_real_region_is_the_masked_mle_sum() {
        // A [3, 3, 5] map in its padded layout (4 x 4 x 8), batch 2: the instance's
        // sum equals the MLE of the reference accumulator at (r_c, r_b).
        let shape = [3usize, 3, 5];
        let (pc, p1, p2) = (4usize, 4usize, 8usize);
        let xt: Vec<i128> = (0..2 * pc * p1 * p2)
            .map(|i| (i as i128 * 7919) % 61 - 30)
            .collect();
        let acc = reference_acc(&shape, 2, &xt, 2);
        let r = rand_frs(3, 9);
        let xfr: Vec<Fr> = xt
            .iter()
            .map(|v| crate::field::from_i64(*v as i64))
            .collect();
        let m: Vec<Fr> = mask_table((3, 5)).iter().map(|v| *v * pow2(2)).collect();
        let xr = fold_rows(&xfr, &eq_table(&r), p1 * p2);
        let inst = PairProduct::new(m, xr).unwrap();
        let accf: Vec<Fr> = acc
            .iter()
            .map(|v| crate::field::from_i64(*v as i64))
            .collect();
        assert_eq!(inst.claim(), evaluate(&accf, &r));
        assert_eq!(inst.num_vars(), 5);
        // Naive accumulator check on one entry.
        let row = 5; // b = 1, c = 1
        let naive: i128 = (0..3)
            .flat_map(|y| (0..5).map(move |x| (x, y)))
            .map(|(x, y)| xt[row * 32 + x + 8 * y])
            .sum();
        assert_eq!(acc[row], naive << 2);
    }
}
