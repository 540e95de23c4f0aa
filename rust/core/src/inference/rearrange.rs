//! The rearrange gadget (circuits/rearrange.md): a public gather (transpose,
//! reshape, concat along any axis, broadcast, choice by region) as a public 0/1
//! selection of the parts' entries,
//!
//! ```text
//! acc(r_o, r_b) = sum_k E_k,   sum_i Sel_k(r_o, i) X_k(i, r_b) = E_k
//! ```
//!
//! with one dense-group instance per part over `log2 pad(width_k)` variables. The
//! selection is arbitrary, so its tables are built from the index map (one entry per
//! real output entry) rather than from a structured wiring MLE. The producer
//! describes the map by blocks tiling the output's index space (section 1).

use crate::pipeline::features_batch;
use ark_ff::Zero;
use serde::Deserialize;

use super::circuit::{Circuit, Gadget, MAX_FEATURES};
use super::limits::{
    MAX_REARRANGE_BLOCKS, MAX_REARRANGE_PARTS, MAX_REARRANGE_STRIDE, MAX_VIEW_DIMS,
};
use super::parts::{part_instances, part_values, PartInstance};
use super::producer::{earlier, ProducerJson, TensorRef};
use super::tensors::Columns;
use crate::error::{Error, Result};
use crate::field::Fr;
use crate::mle::eq_table;

fn invalid<T>(i: usize, what: &str) -> Result<T> {
    Err(Error::InvalidArgument(format!(
        "circuit: gadget {i}: rearrange {what}"
    )))
}

/// One block of the producer (rearrange.md section 1): the box
/// `start <= o < start + size` of the index space reads part `part`'s real entry
/// `offset + sum_j (o_j - start_j) strides_j`. Exactly these keys.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub part: usize,
    pub start: Vec<usize>,
    pub size: Vec<usize>,
    pub offset: u64,
    pub strides: Vec<u64>,
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
    if sh.is_empty() || sh.len() > 3 || sh.contains(&0) {
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

/// `pos(i)` of one real entry (logical index `i < prod sh`).
fn position(sh: &[usize], mut i: usize) -> usize {
    let (mut pos, mut stride) = (0usize, 1usize);
    for &d in sh.iter().rev() {
        pos += (i % d) * stride;
        i /= d;
        stride *= d.next_power_of_two();
    }
    pos
}

fn product(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

impl RearrangeMap {
    /// The map of a producer's `(shapes, out_shape, dims, blocks)`, or the first
    /// structural check of rearrange.md section 1 that fails (widths of the
    /// referenced tensors are the caller's). O(|out| + sum of the blocks' dims).
    pub fn new(
        shapes: &[Vec<usize>],
        out_shape: &[usize],
        dims: &[usize],
        blocks: &[Block],
    ) -> std::result::Result<Self, &'static str> {
        let k = shapes.len();
        if !(1..=MAX_REARRANGE_PARTS).contains(&k) {
            return Err("parts out of limits");
        }
        let mut part_pad = Vec::with_capacity(k);
        let mut part_real = Vec::with_capacity(k);
        for sh in shapes {
            let w = layout_width(sh).ok_or("part layout out of limits")?;
            part_pad.push(w.next_power_of_two());
            part_real.push(product(sh).ok_or("part layout out of limits")?);
        }
        let out_w = layout_width(out_shape).ok_or("out_shape out of limits")?;
        let total = product(out_shape).ok_or("out_shape out of limits")?;
        if total > MAX_FEATURES {
            return Err("out_shape out of limits");
        }
        let m = dims.len();
        if !(1..=MAX_VIEW_DIMS).contains(&m) || dims.contains(&0) || product(dims) != Some(total) {
            return Err("dims do not match out_shape");
        }
        if !(1..=MAX_REARRANGE_BLOCKS).contains(&blocks.len()) {
            return Err("blocks out of limits");
        }
        // Each block on its own: lengths, the box inside dims, offset and strides,
        // the corner inside the part; the volumes must sum to prod dims.
        let mut volume = 0usize;
        for b in blocks {
            if b.part >= k || b.start.len() != m || b.size.len() != m || b.strides.len() != m {
                return Err("block part or lengths out of limits");
            }
            let in_box = (0..m).all(|j| {
                b.size[j] >= 1 && b.start[j] < dims[j] && b.size[j] <= dims[j] - b.start[j]
            });
            if !in_box {
                return Err("block box outside dims");
            }
            if b.offset >= MAX_REARRANGE_STRIDE
                || b.strides.iter().any(|&t| t >= MAX_REARRANGE_STRIDE)
            {
                return Err("block offset or stride out of limits");
            }
            // At most 2^31 + 6 * 2^20 * 2^31: no overflow in u64.
            let corner = b.offset
                + (0..m)
                    .map(|j| (b.size[j] as u64 - 1) * b.strides[j])
                    .sum::<u64>();
            if corner >= part_real[b.part] as u64 {
                return Err("block reads past its part");
            }
            // Each size <= its dim, so the volume is <= prod dims <= 2^20.
            volume += product(&b.size).ok_or("block box outside dims")?;
            if volume > total {
                return Err("blocks do not tile dims");
            }
        }
        if volume != total {
            return Err("blocks do not tile dims");
        }
        // Scatter each box into the map; the bitmap catches an index covered twice
        // (with the volumes summing to prod dims, the tiling is then exact).
        let mut rowstride = vec![1usize; m];
        for j in (0..m - 1).rev() {
            rowstride[j] = rowstride[j + 1] * dims[j + 1];
        }
        let out_pos = positions(out_shape);
        let mut covered = vec![false; total];
        let unset = Entry {
            dst: 0,
            part: 0,
            src: 0,
        };
        let mut entries = vec![unset; total];
        let mut o = [0usize; MAX_VIEW_DIMS];
        for b in blocks {
            let sh = &shapes[b.part];
            o[..m].fill(0);
            loop {
                let j: usize = (0..m).map(|d| (b.start[d] + o[d]) * rowstride[d]).sum();
                let i =
                    b.offset as usize + (0..m).map(|d| o[d] * b.strides[d] as usize).sum::<usize>();
                if std::mem::replace(&mut covered[j], true) {
                    return Err("blocks overlap");
                }
                entries[j] = Entry {
                    dst: out_pos[j] as u32,
                    part: b.part as u32,
                    src: position(sh, i) as u32,
                };
                // The odometer over the box, last axis fastest.
                let mut d = m;
                while d > 0 {
                    d -= 1;
                    o[d] += 1;
                    if o[d] < b.size[d] {
                        break;
                    }
                    o[d] = 0;
                }
                if o[..m].iter().all(|&v| v == 0) {
                    break;
                }
            }
        }
        Ok(RearrangeMap {
            out_pad: out_w.next_power_of_two(),
            part_pad,
            entries,
        })
    }

    /// The gadget's `features`: `n` for a flat output, `prod pad(sh_out)` otherwise.
    pub fn features(out_shape: &[usize]) -> Option<usize> {
        layout_width(out_shape)
    }

    /// The tables `Sel_k(r_o, .)` of every part, accumulated from `eq(r_o, .)` in
    /// one pass over the entries (a part entry read by several outputs sums their
    /// `eq`s).
    pub fn sel_tables(&self, r_o: &[Fr]) -> Vec<Vec<Fr>> {
        let eo = eq_table(r_o);
        let mut t: Vec<Vec<Fr>> = self.part_pad.iter().map(|&n| vec![Fr::zero(); n]).collect();
        for e in &self.entries {
            t[e.part as usize][e.src as usize] += eo[e.dst as usize];
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

/// A validated rearrange: its parts, output layout and index map.
#[derive(Clone, Debug)]
pub struct Rearrange {
    pub parts: Vec<TensorRef>,
    pub out_shape: Vec<usize>,
    pub map: RearrangeMap,
}

/// A rearrange as read: a public gather (transpose, reshape, concat along any axis,
/// broadcast, choice by region) described by blocks tiling the output's index space
/// (section 1).
#[derive(Clone, Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "struct variant ProducerJson::Rearrange with 5 elements"
)]
pub struct RearrangeJson {
    pub parts: Vec<TensorRef>,
    pub shapes: Vec<Vec<usize>>,
    pub out_shape: Vec<usize>,
    pub dims: Vec<usize>,
    pub blocks: Vec<Block>,
}

/// The checks of a rearrange gadget `i` (rearrange.md section 1), and its producer
/// with its index map.
pub fn build(
    c: &Circuit<ProducerJson>,
    i: usize,
    g: &Gadget<ProducerJson>,
    j: &RearrangeJson,
) -> Result<Rearrange> {
    let RearrangeJson {
        parts,
        shapes,
        out_shape,
        dims,
        blocks,
    } = j;
    let refs_ok = parts.iter().all(|p| earlier(i, *p));
    if !(1..=MAX_REARRANGE_PARTS).contains(&parts.len()) || shapes.len() != parts.len() || !refs_ok
    {
        return invalid(i, "parts out of limits");
    }
    let map = match RearrangeMap::new(shapes, out_shape, dims, blocks) {
        Ok(map) => map,
        Err(what) => return invalid(i, what),
    };
    let widths_ok = parts
        .iter()
        .zip(shapes)
        .all(|(p, s)| layout_width(s) == Some(c.width(*p)));
    if !widths_ok || RearrangeMap::features(out_shape) != Some(g.features) {
        return invalid(i, "widths do not match");
    }
    Ok(Rearrange {
        parts: parts.clone(),
        out_shape: out_shape.clone(),
        map,
    })
}

/// A rearrange's instances in part order: the pair `(Sel_k(r_o, .), X_k(., r_b))`
/// over `i < pad(width_k)` (the index map built once, by the parser).
pub fn rearrange_instances(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    p: &Rearrange,
    r_g: &[Fr],
) -> Result<Vec<PartInstance>> {
    let (r_o, r_b) = features_batch(r_g, super::log2(p.map.out_pad));
    part_instances(c, cols, ib, &p.parts, p.map.sel_tables(r_o), (&[], r_b))
}

/// A rearrange's parts' values `E_1..E_K` at its point `r_g`.
pub fn rearrange_parts(
    c: &Circuit,
    cols: &Columns,
    ib: (&[i64], usize),
    p: &Rearrange,
    r_g: &[Fr],
) -> Result<Vec<Fr>> {
    Ok(part_values(&rearrange_instances(c, cols, ib, p, r_g)?))
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
    use crate::inference::matmul::fold_rows;
    use crate::inference::testkit_rearrange::views_blocks;
    use crate::mle::evaluate;
    use crate::sumcheck::PairProduct;
    use crate::testing::rand_frs;

    fn blk(part: usize, start: &[usize], size: &[usize], offset: u64, strides: &[u64]) -> Block {
        Block {
            part,
            start: start.to_vec(),
            size: size.to_vec(),
            offset,
            strides: strides.to_vec(),
        }
    }

    /// The naive map: for every index `o` of the space, the one block holding it
    /// (by a scan over the blocks), `i(o)` and the positions.
    fn naive(
        shapes: &[Vec<usize>],
        out_shape: &[usize],
        dims: &[usize],
        blocks: &[Block],
    ) -> Vec<Entry> {
        let total: usize = dims.iter().product();
        let out_pos = positions(out_shape);
        (0..total)
            .map(|j| {
                let mut o = vec![0usize; dims.len()];
                let mut rest = j;
                for d in (0..dims.len()).rev() {
                    o[d] = rest % dims[d];
                    rest /= dims[d];
                }
                let holding: Vec<&Block> = blocks
                    .iter()
                    .filter(|b| {
                        (0..dims.len()).all(|d| b.start[d] <= o[d] && o[d] < b.start[d] + b.size[d])
                    })
                    .collect();
                assert_eq!(holding.len(), 1);
                let b = holding[0];
                let i = b.offset as usize
                    + (0..dims.len())
                        .map(|d| (o[d] - b.start[d]) * b.strides[d] as usize)
                        .sum::<usize>();
                Entry {
                    dst: out_pos[j] as u32,
                    part: b.part as u32,
                    src: positions(&shapes[b.part])[i] as u32,
                }
            })
            .collect()
    }

    /// The old semantics, `transpose(concat_axis(views), perm)`, entry by entry.
    fn naive_views(
        shapes: &[Vec<usize>],
        views: &[Vec<usize>],
        axis: usize,
        perm: &[usize],
        out_shape: &[usize],
    ) -> Vec<Entry> {
        let m = perm.len();
        let mut vshape = views[0].clone();
        vshape[axis] = views.iter().map(|v| v[axis]).sum();
        let oshape: Vec<usize> = perm.iter().map(|&p| vshape[p]).collect();
        let total: usize = oshape.iter().product();
        let out_pos = positions(out_shape);
        (0..total)
            .map(|j| {
                let mut vi = vec![0usize; m];
                let mut rest = j;
                for t in (0..m).rev() {
                    vi[perm[t]] = rest % oshape[t];
                    rest /= oshape[t];
                }
                let (mut p, mut ca) = (0, vi[axis]);
                while ca >= views[p][axis] {
                    ca -= views[p][axis];
                    p += 1;
                }
                vi[axis] = ca;
                let i = (0..m).fold(0, |acc, d| acc * views[p][d] + vi[d]);
                Entry {
                    dst: out_pos[j] as u32,
                    part: p as u32,
                    src: positions(&shapes[p])[i] as u32,
                }
            })
            .collect()
    }

    #[test]
    fn positions_follow_the_padded_layout() {
        assert_eq!(positions(&[5]), vec![0, 1, 2, 3, 4]);
        assert_eq!(positions(&[2, 3]), vec![0, 1, 2, 4, 5, 6]);
        assert_eq!(
            positions(&[2, 2, 3]),
            vec![0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14]
        );
        for sh in [vec![5], vec![2, 3], vec![3, 5, 6]] {
            let p = positions(&sh);
            assert!((0..p.len()).all(|i| position(&sh, i) == p[i]));
        }
    }

    #[test]
    fn transpose_map_by_hand() {
        // [2, 3] read as (c, s) and transposed to a flat (s, c) order.
        let b = blk(0, &[0, 0], &[3, 2], 0, &[1, 3]);
        let map = RearrangeMap::new(&[vec![2, 3]], &[6], &[3, 2], &[b]).unwrap();
        let src: Vec<u32> = map.entries.iter().map(|e| e.src).collect();
        assert_eq!(src, vec![0, 4, 1, 5, 2, 6]);
        let dst: Vec<u32> = map.entries.iter().map(|e| e.dst).collect();
        assert_eq!(dst, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!((map.out_pad, map.part_pad.clone()), (8, vec![8]));
    }

    /// Blocks from views reproduce the old `views`/`axis`/`perm` semantics, and the
    /// map agrees with the naive scan over blocks.
    #[test]
    fn maps_match_the_naive_oracles() {
        /// `(shapes, views, axis, perm, out_shape)`.
        type Case = (
            Vec<Vec<usize>>,
            Vec<Vec<usize>>,
            usize,
            Vec<usize>,
            Vec<usize>,
        );
        let cases: Vec<Case> = vec![
            (
                vec![vec![3, 5, 6]],
                vec![vec![3, 5, 6]],
                0,
                vec![1, 2, 0],
                vec![90],
            ),
            (vec![vec![45]], vec![vec![45]], 0, vec![0], vec![5, 3, 3]),
            (
                vec![vec![3, 5, 6], vec![3, 2, 6]],
                vec![vec![3, 5, 6], vec![3, 2, 6]],
                1,
                vec![0, 1, 2],
                vec![3, 7, 6],
            ),
            (
                vec![vec![3, 5, 6], vec![18], vec![3, 3, 6]],
                vec![vec![3, 5, 6], vec![3, 1, 6], vec![3, 3, 6]],
                1,
                vec![0, 2, 1],
                vec![3, 6, 9],
            ),
            (
                vec![vec![2, 3, 5], vec![2, 3, 5]],
                vec![vec![2, 3, 5], vec![2, 3, 5]],
                0,
                vec![2, 0, 1],
                vec![5, 4, 3],
            ),
        ];
        for (shapes, views, axis, perm, out) in cases {
            let (dims, blocks) = views_blocks(&views, axis, &perm);
            let map = RearrangeMap::new(&shapes, &out, &dims, &blocks).unwrap();
            assert_eq!(map.entries, naive_views(&shapes, &views, axis, &perm, &out));
            assert_eq!(map.entries, naive(&shapes, &out, &dims, &blocks));
        }
        // A broadcast and a choice by region with a repeated read.
        let sh = [vec![3], vec![3, 5, 6]];
        let blocks = [
            blk(0, &[0, 0, 0], &[3, 2, 6], 0, &[1, 0, 0]),
            blk(1, &[0, 2, 0], &[3, 3, 4], 12, &[30, 6, 1]),
            blk(1, &[0, 2, 4], &[3, 3, 2], 7, &[0, 1, 0]),
        ];
        let map = RearrangeMap::new(&sh, &[3, 5, 6], &[3, 5, 6], &blocks).unwrap();
        assert_eq!(map.entries, naive(&sh, &[3, 5, 6], &[3, 5, 6], &blocks));
        assert_eq!(map.entries[5].src, 0);
        assert_eq!(map.entries[6 * 2 + 5].src, 9);
        assert_eq!(map.entries[30 + 5].src, 1);
    }

    #[test]
    fn structural_checks() {
        let sh = [vec![3, 5, 6], vec![3, 2, 6]];
        let (dims, blocks) = views_blocks(&sh, 1, &[0, 1, 2]);
        let ok = |sh: &[Vec<usize>], o: &[usize], d: &[usize], b: &[Block]| {
            RearrangeMap::new(sh, o, d, b).is_ok()
        };
        assert!(ok(&sh, &[3, 7, 6], &dims, &blocks));
        let with = |f: &dyn Fn(&mut Vec<Block>)| {
            let mut b = blocks.clone();
            f(&mut b);
            b
        };
        let bad: Vec<Vec<Block>> = vec![
            with(&|b| b[1].part = 2),
            with(&|b| b[1].start = vec![0, 5]),
            with(&|b| b[1].size = vec![3, 2]),
            with(&|b| b[1].strides = vec![12, 6]),
            // Outside dims; a zero size; overlapping (and a gap); one block missing.
            with(&|b| b[1].start[1] = 6),
            with(&|b| b[1].size[0] = 0),
            with(&|b| b[1].start[1] = 4),
            with(&|b| {
                b.pop();
            }),
            with(&|b| b.clear()),
            // Reading past the part; offset or stride at 2^31.
            with(&|b| b[1].offset = 1),
            with(&|b| b[1].strides[2] = 2),
            with(&|b| b[1].offset = 1 << 31),
            with(&|b| b[1].strides[0] = 1 << 31),
        ];
        for (n, b) in bad.iter().enumerate() {
            assert!(!ok(&sh, &[3, 7, 6], &dims, b), "case {n}");
        }
        // Same volume, overlapping: two copies of the first row over rows 0..1 and
        // a block covering 1..7 (rows 0 doubled, none missing by volume).
        let dup = vec![
            blk(0, &[0, 0, 0], &[3, 1, 6], 0, &[30, 6, 1]),
            blk(0, &[0, 0, 0], &[3, 1, 6], 0, &[30, 6, 1]),
            blk(0, &[0, 2, 0], &[3, 5, 6], 0, &[30, 6, 1]),
        ];
        assert_eq!(
            RearrangeMap::new(&sh, &[3, 7, 6], &dims, &dup),
            Err("blocks overlap")
        );
        // Dims not matching out_shape; 7 dims; a zero dim; a wrong output count.
        assert!(!ok(&sh, &[3, 7, 6], &[3, 7, 5], &blocks));
        let one = [blk(
            0,
            &[0; 7],
            &[3, 5, 6, 1, 1, 1, 1],
            0,
            &[30, 6, 1, 0, 0, 0, 0],
        )];
        assert!(!ok(&sh[..1], &[90], &[3, 5, 6, 1, 1, 1, 1], &one));
        assert!(!ok(&sh, &[3, 7, 6], &[3, 7, 6, 0], &blocks));
        assert!(!ok(&sh, &[3, 7, 5], &dims, &blocks));
        assert!(!ok(&[vec![0]], &[1], &[1], &[blk(0, &[0], &[1], 0, &[0])]));
        // 4097 blocks of one entry each.
        let many: Vec<Block> = (0..4097).map(|j| blk(0, &[j], &[1], 0, &[0])).collect();
        assert!(!ok(&[vec![1]], &[4097], &[4097], &many));
        assert!(ok(&[vec![1]], &[4096], &[4096], &many[..4096]));
    }

    /// Sel_k's MLE by brute force over every (o, i), against the scattered table,
    /// and the parts' claims against acc's MLE at a random point (with a broadcast
    /// part, whose entries are read several times).
    #[test]
    fn parts_sum_to_the_rearrangement() {
        // A flat part of 18 viewed as [3, 1, 6] between [3, 5, 6] and [3, 3, 6],
        // concatenated along axis 1 and transposed to [3, 6, 9].
        let shapes = vec![vec![3, 5, 6], vec![18], vec![3, 3, 6], vec![3]];
        let views = [vec![3, 5, 6], vec![3, 1, 6], vec![3, 3, 6]];
        let (dims, mut blocks) = views_blocks(&views, 1, &[0, 2, 1]);
        assert_eq!(dims, vec![3, 6, 9]);
        // Column w = 5 (all channels and rows) reads the broadcast part 3 instead.
        let mut split = Vec::new();
        for b in &blocks {
            let mut left = b.clone();
            left.size[1] = 5;
            split.push(left);
        }
        split.push(blk(3, &[0, 5, 0], &[3, 1, 9], 0, &[1, 0, 0]));
        blocks = split;
        let map = RearrangeMap::new(&shapes, &[3, 6, 9], &dims, &blocks).unwrap();
        assert_eq!(map.entries, naive(&shapes, &[3, 6, 9], &dims, &blocks));
        assert_eq!(
            (map.out_pad, map.part_pad.clone()),
            (512, vec![256, 32, 128, 4])
        );
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
        // Output (c, w, h) is V[c, h, w]; h = 5 is part 1's only row; w = 5 is part 3.
        let out_at = |c: usize, w: usize, h: usize| acc[(c * 8 + w) * 16 + h];
        assert_eq!(out_at(2, 4, 5), parts[1][2 * 6 + 4]);
        assert_eq!(out_at(1, 3, 7), parts[2][(4 + 1) * 8 + 3]);
        assert_eq!(out_at(1, 3, 9), 0);
        assert_eq!(out_at(1, 5, 7), parts[3][1]);
        assert_eq!(out_at(2, 5, 0), parts[3][2]);
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
