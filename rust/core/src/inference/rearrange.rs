//! The rearrange gadget (circuits/rearrange.md): transpose, reshape and concat along
//! any axis as a public 0/1 selection of the parts' entries,
//!
//! ```text
//! acc(r_o, r_b) = sum_k E_k,   sum_i Sel_k(r_o, i) X_k(i, r_b) = E_k
//! ```
//!
//! with one dense-group instance per part over `log2 pad(width_k)` variables. The
//! selection is arbitrary, so its tables are built from the index map (one entry per
//! real output entry) rather than from a structured wiring MLE.

use std::cell::Cell;

use ark_ff::Zero;

use super::circuit::{Circuit, Gadget, Producer, TensorRef, MAX_FEATURES};
use super::combine::{PartInstance, MAX_PARTS};
use super::matmul::fold_rows;
use super::tensors::{tensor_table, Columns};
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;
use crate::sumcheck::PairProduct;

/// Views have 1 to 6 dims.
pub const MAX_VIEW_DIMS: usize = 6;

fn invalid<T>(i: usize, what: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: rearrange {what}"
    )))
}

/// One real output entry: `dst(j)` in the output, and `src(j) = (part, src)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub dst: u32,
    pub part: u32,
    pub src: u32,
}

/// A rearrange's index map, in output logical order, with the padded widths of
/// the output and of each part (their tables' row lengths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RearrangeMap {
    pub out_pad: usize,
    pub part_pad: Vec<usize>,
    pub entries: Vec<Entry>,
}

/// A layout's width: `n` for `[n]`, `prod pad(sh)` for a spatial layout; `None`
/// outside the limits (1 to 3 dims, each `>= 1`, padded width `<= 2^20`).
pub fn layout_width(sh: &[usize]) -> Option<usize> {
    if sh.is_empty() || sh.len() > 3 {
        return None;
    }
    let padded = super::circuit::padded_size(sh).filter(|&w| w <= MAX_FEATURES)?;
    Some(if sh.len() == 1 { sh[0] } else { padded })
}

/// `pos(i)` for every real entry in logical order: row-major over the padded dims
/// (a flat layout's one dim makes this `pos(i) = i`).
fn positions(sh: &[usize]) -> Vec<usize> {
    let mut out = vec![0usize];
    let mut stride = 1usize;
    // Built from the last axis up: each pass prepends a slower axis.
    for &d in sh.iter().rev() {
        let prev = std::mem::take(&mut out);
        out.reserve(prev.len() * d);
        for v in 0..d {
            out.extend(prev.iter().map(|p| p + v * stride));
        }
        stride *= d.next_power_of_two();
    }
    out
}

fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

impl RearrangeMap {
    /// The map of a producer's `(shapes, views, axis, perm, out_shape)`, or `None`
    /// if any structural check of rearrange.md section 1 fails (widths of the
    /// referenced tensors are the caller's).
    pub fn new(
        shapes: &[Vec<usize>],
        views: &[Vec<usize>],
        axis: usize,
        perm: &[usize],
        out_shape: &[usize],
    ) -> Option<Self> {
        let k = shapes.len();
        if !(1..=MAX_PARTS).contains(&k) || views.len() != k {
            return None;
        }
        let m = views[0].len();
        if !(1..=MAX_VIEW_DIMS).contains(&m) || axis >= m || perm.len() != m {
            return None;
        }
        let mut seen = [false; MAX_VIEW_DIMS];
        for &p in perm {
            if p >= m || std::mem::replace(&mut seen[p], true) {
                return None;
            }
        }
        let mut part_pad = Vec::with_capacity(k);
        let mut total = 0usize;
        for (sh, v) in shapes.iter().zip(views) {
            let w = layout_width(sh)?;
            let n = product(sh)?;
            if v.len() != m || v.contains(&0) || product(v)? != n {
                return None;
            }
            if !(0..m).all(|d| d == axis || v[d] == views[0][d]) {
                return None;
            }
            part_pad.push(w.next_power_of_two());
            total = total.checked_add(n)?;
        }
        let out_w = layout_width(out_shape)?;
        if product(out_shape)? != total || total > MAX_FEATURES {
            return None;
        }
        // V = concat_a(views); O's axis t is V's axis perm[t].
        let mut vshape = views[0].clone();
        vshape[axis] = views.iter().map(|v| v[axis]).sum();
        let oshape: Vec<usize> = perm.iter().map(|&p| vshape[p]).collect();
        // The part and offset of each coordinate along the concat axis.
        let mut along = Vec::with_capacity(vshape[axis]);
        for (p, v) in views.iter().enumerate() {
            along.extend((0..v[axis]).map(|c| (p, c)));
        }
        let strides: Vec<Vec<usize>> = views
            .iter()
            .map(|v| {
                let mut s = vec![1usize; m];
                for d in (0..m - 1).rev() {
                    s[d] = s[d + 1] * v[d + 1];
                }
                s
            })
            .collect();
        let part_pos: Vec<Vec<usize>> = shapes.iter().map(|s| positions(s)).collect();
        let out_pos = positions(out_shape);
        let mut entries = Vec::with_capacity(total);
        let mut vi = [0usize; MAX_VIEW_DIMS];
        for (j, &dst) in out_pos.iter().enumerate() {
            let mut rest = j;
            for t in (0..m).rev() {
                vi[perm[t]] = rest % oshape[t];
                rest /= oshape[t];
            }
            let (p, ca) = along[vi[axis]];
            let i: usize = (0..m)
                .map(|d| if d == axis { ca } else { vi[d] } * strides[p][d])
                .sum();
            entries.push(Entry {
                dst: u32::try_from(dst).ok()?,
                part: p as u32,
                src: u32::try_from(part_pos[p][i]).ok()?,
            });
        }
        Some(RearrangeMap {
            out_pad: out_w.next_power_of_two(),
            part_pad,
            entries,
        })
    }

    /// The gadget's `features`: `n` for a flat output, `prod pad(sh_out)` otherwise.
    pub fn features(out_shape: &[usize]) -> Option<usize> {
        layout_width(out_shape)
    }

    /// The tables `Sel_k(r_o, .)` of every part, scattered from `eq(r_o, .)` in
    /// one pass over the entries.
    pub fn sel_tables(&self, r_o: &[Fr]) -> Vec<Vec<Fr>> {
        let eo = eq_table(r_o);
        let mut t: Vec<Vec<Fr>> = self.part_pad.iter().map(|&n| vec![Fr::zero(); n]).collect();
        for e in &self.entries {
            t[e.part as usize][e.src as usize] = eo[e.dst as usize];
        }
        t
    }

    /// The verifier's `Sel_k(r_o, s)` (rearrange.md section 4): a sum over the
    /// output's real entries of part `k`, O(|out| + |part_k|).
    pub fn sel_eval(&self, k: usize, r_o: &[Fr], s: &[Fr]) -> Fr {
        let (eo, es) = (eq_table(r_o), eq_table(s));
        self.entries
            .iter()
            .filter(|e| e.part as usize == k)
            .map(|e| eo[e.dst as usize] * es[e.src as usize])
            .sum()
    }
}

/// The checks of a rearrange gadget `i` (rearrange.md section 1).
pub fn validate(c: &Circuit, i: usize, g: &Gadget) -> Result<()> {
    let Producer::Rearrange {
        parts,
        shapes,
        views,
        axis,
        perm,
        out_shape,
    } = &g.producer
    else {
        return invalid(i, "is not a rearrange gadget");
    };
    let refs_ok = parts.iter().all(|p| match p {
        TensorRef::Input => true,
        TensorRef::Gadget(j) => *j < i,
    });
    if !(1..=MAX_PARTS).contains(&parts.len()) || shapes.len() != parts.len() || !refs_ok {
        return invalid(i, "parts out of limits");
    }
    if RearrangeMap::new(shapes, views, *axis, perm, out_shape).is_none() {
        return invalid(i, "layouts, views or perm do not match");
    }
    let widths_ok = parts
        .iter()
        .zip(shapes)
        .all(|(p, s)| layout_width(s) == Some(c.width(*p)));
    if !widths_ok || RearrangeMap::features(out_shape) != Some(g.features) {
        return invalid(i, "widths do not match");
    }
    Ok(())
}

/// The parts and index map of a rearrange gadget.
pub fn rearrange_params(c: &Circuit, g: usize) -> Option<(&[TensorRef], RearrangeMap)> {
    match &c.gadgets[g].producer {
        Producer::Rearrange {
            parts,
            shapes,
            views,
            axis,
            perm,
            out_shape,
        } => Some((
            parts,
            RearrangeMap::new(shapes, views, *axis, perm, out_shape)?,
        )),
        _ => None,
    }
}

/// Rearrange gadget `g`'s instances in part order: the pair
/// `(Sel_k(r_o, .), X_k(., r_b))` over `i < pad(width_k)` (the index map is
/// computed once for all parts).
pub fn rearrange_instances(
    c: &Circuit,
    cols: &Columns,
    (input, b): (&[i64], usize),
    g: usize,
    r_g: &[Fr],
) -> Result<Vec<PartInstance>> {
    let (parts, map) = rearrange_params(c, g).expect("a validated rearrange");
    let (r_o, r_b) = r_g.split_at(super::log2(map.out_pad));
    let eb = eq_table(r_b);
    let sels = map.sel_tables(r_o);
    let mut out = Vec::with_capacity(parts.len());
    for ((&x, sel), &n) in parts.iter().zip(sels).zip(&map.part_pad) {
        let xr = fold_rows(&tensor_table(c, cols, x, input, b), &eb, n);
        out.push(PartInstance {
            inst: PairProduct::new(sel, xr)?,
            x,
            r_s: Vec::new(),
            r_b: r_b.to_vec(),
        });
    }
    Ok(out)
}

thread_local! {
    static PART_SKEW: Cell<u64> = const { Cell::new(0) };
}

/// Test hook (a cheating prover): while nonzero, a rearrange's parts' values sent
/// are `E_1 + delta, E_2 - delta, E_3.., E_K` (their sum kept; no effect with one
/// part). Thread-local.
#[doc(hidden)]
pub fn set_part_skew(delta: u64) {
    PART_SKEW.with(|s| s.set(delta));
}

/// The parts' values `E_1..E_K` of rearrange gadget `g` at its point `r_g`.
pub fn rearrange_parts(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    g: usize,
    r_g: &[Fr],
) -> Result<Vec<Fr>> {
    let mut e: Vec<Fr> = rearrange_instances(c, cols, ib, g, r_g)?
        .iter()
        .map(|p| p.inst.claim())
        .collect();
    if e.len() >= 2 {
        let delta = Fr::from(PART_SKEW.with(|s| s.get()));
        e[0] += delta;
        e[1] -= delta;
    }
    Ok(e)
}

/// The rearranged tensor over the padded output (`bp` rows): each real output
/// entry copied from its part, 0 at padded positions.
pub fn rearrange_acc(map: &RearrangeMap, parts: &[Vec<i128>], bp: usize) -> Vec<i128> {
    let mut acc = vec![0i128; bp * map.out_pad];
    for r in 0..bp {
        let row = &mut acc[r * map.out_pad..(r + 1) * map.out_pad];
        for e in &map.entries {
            let (k, n) = (e.part as usize, map.part_pad[e.part as usize]);
            row[e.dst as usize] = parts[k][r * n + e.src as usize];
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::from_i64;
    use crate::mle::evaluate;
    use crate::testing::rand_frs;

    #[test]
    fn positions_follow_the_padded_layout() {
        assert_eq!(positions(&[5]), vec![0, 1, 2, 3, 4]);
        assert_eq!(positions(&[2, 3]), vec![0, 1, 2, 4, 5, 6]);
        assert_eq!(
            positions(&[2, 2, 3]),
            vec![0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14]
        );
    }

    #[test]
    fn transpose_map_by_hand() {
        // [2, 3] read as (c, s) and transposed to a flat (s, c) order.
        let map = RearrangeMap::new(&[vec![2, 3]], &[vec![2, 3]], 0, &[1, 0], &[6]).unwrap();
        let src: Vec<u32> = map.entries.iter().map(|e| e.src).collect();
        assert_eq!(src, vec![0, 4, 1, 5, 2, 6]);
        let dst: Vec<u32> = map.entries.iter().map(|e| e.dst).collect();
        assert_eq!(dst, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!((map.out_pad, map.part_pad.clone()), (8, vec![8]));
    }

    #[test]
    fn structural_checks() {
        let ok = |sh: &[Vec<usize>], v: &[Vec<usize>], a, p: &[usize], o: &[usize]| {
            RearrangeMap::new(sh, v, a, p, o).is_some()
        };
        let sh = [vec![3, 5, 6], vec![3, 2, 6]];
        let v = [vec![3, 5, 6], vec![3, 2, 6]];
        assert!(ok(&sh, &v, 1, &[0, 1, 2], &[3, 7, 6]));
        // Views disagreeing off the axis, an axis out of range, a repeated perm,
        // a wrong output count, a view not covering its part.
        assert!(!ok(&sh, &v, 0, &[0, 1, 2], &[6, 7, 6]));
        assert!(!ok(&sh, &v, 3, &[0, 1, 2], &[3, 7, 6]));
        assert!(!ok(&sh, &v, 1, &[0, 1, 1], &[3, 7, 6]));
        assert!(!ok(&sh, &v, 1, &[0, 1, 2], &[3, 7, 5]));
        assert!(!ok(
            &sh,
            &[vec![3, 5, 6], vec![3, 2, 5]],
            1,
            &[0, 1, 2],
            &[3, 7, 6]
        ));
        assert!(!ok(
            &[vec![4]],
            &[vec![4, 1, 1, 1, 1, 1, 1]],
            0,
            &[0; 7],
            &[4]
        ));
        assert!(!ok(&[vec![0]], &[vec![0]], 0, &[0], &[0]));
    }

    /// Sel_k's MLE by brute force over every (o, i), against the scattered table,
    /// and the parts' claims against acc's MLE at a random point.
    #[test]
    fn parts_sum_to_the_rearrangement() {
        // A flat part of 18 viewed as [3, 1, 6] between [3, 5, 6] and [3, 3, 6],
        // concatenated along axis 1 and transposed to [3, 6, 9].
        let shapes = [vec![3, 5, 6], vec![18], vec![3, 3, 6]];
        let views = [vec![3, 5, 6], vec![3, 1, 6], vec![3, 3, 6]];
        let map = RearrangeMap::new(&shapes, &views, 1, &[0, 2, 1], &[3, 6, 9]).unwrap();
        assert_eq!(
            (map.out_pad, map.part_pad.clone()),
            (512, vec![256, 32, 128])
        );
        // Every part entry is read once and only real ones.
        let mut hit: Vec<Vec<bool>> = map.part_pad.iter().map(|&n| vec![false; n]).collect();
        for e in &map.entries {
            assert!(!std::mem::replace(
                &mut hit[e.part as usize][e.src as usize],
                true
            ));
        }
        let bp = 2;
        let parts: Vec<Vec<i128>> = map
            .part_pad
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                (0..bp * n)
                    .map(|i| ((i * 37 + k * 11) % 53) as i128 - 26)
                    .collect()
            })
            .collect();
        let acc = rearrange_acc(&map, &parts, bp);
        // Output (c, w, h) is V[c, h, w]; h = 5 is part 1's only row.
        let out_at = |c: usize, w: usize, h: usize| acc[(c * 8 + w) * 16 + h];
        assert_eq!(out_at(2, 4, 5), parts[1][2 * 6 + 4]);
        assert_eq!(out_at(1, 3, 7), parts[2][(4 + 1) * 8 + 3]);
        assert_eq!(out_at(1, 3, 9), 0);
        let accf: Vec<Fr> = acc.iter().map(|v| from_i64(*v as i64)).collect();
        let r = rand_frs(9 + 1, 3);
        let (r_o, r_b) = r.split_at(9);
        let sels = map.sel_tables(r_o);
        let mut sum = Fr::zero();
        for (k, xt) in parts.iter().enumerate() {
            let n = map.part_pad[k];
            let xf: Vec<Fr> = xt.iter().map(|v| from_i64(*v as i64)).collect();
            let xr = fold_rows(&xf, &eq_table(r_b), n);
            let s = rand_frs(super::super::log2(n), 7 + k as u64);
            // Brute force: the 0/1 matrix Sel_k(o, i) as a table over (i, o), i lowest.
            let mut full = vec![Fr::zero(); n * map.out_pad];
            for e in map.entries.iter().filter(|e| e.part as usize == k) {
                full[e.dst as usize * n + e.src as usize] = Fr::from(1u64);
            }
            let brute = evaluate(&full, &[&s[..], r_o].concat());
            assert_eq!(brute, evaluate(&sels[k], &s));
            assert_eq!(brute, map.sel_eval(k, r_o, &s));
            sum += PairProduct::new(sels[k].clone(), xr).unwrap().claim();
        }
        assert_eq!(sum, evaluate(&accf, &r));
    }
}
