//! Cheating witnesses of the softmax pipelines (nonlinear.md sections 6, 7, 12) at
//! batch 1, shared by the relation tests and the vectors: each names the relation of
//! support/relations.rs it breaks and the rejection a verifier gives.
//!
//! A pipeline starts at its rowmax gadget `gm`: `gm + 1` the broadcast subtraction,
//! `gm + 2` the exp table, `gm + 3` the row sum, `gm + 4` rowdiv. The cheats edit one
//! row: group `k` (entries `k P .. k P + P` of `x`'s length, entry `k` of a row
//! value). softmax_head: `gm = 1` (after the dense logits), `k = 0`, `G = 1`.

use zkml_core::inference::circuit::{Circuit, ColumnKind, Producer};
use zkml_core::inference::testkit::{witness, witness_edited, witness_tampered, TestModel};

pub struct Cheat {
    pub name: &'static str,
    pub why: &'static str,
    /// A substring of the first failure support/relations.rs reports (read by
    /// tests/softmax.rs, not by the vectors).
    #[allow(dead_code)]
    pub relation: &'static str,
    pub cols: Vec<Vec<i64>>,
    pub out: Vec<i64>,
}

fn column(c: &Circuit, g: usize, kind: ColumnKind) -> usize {
    c.columns()
        .iter()
        .position(|s| s.gadget == g && s.kind == kind)
        .unwrap()
}

pub fn softmax_cheats(m: &TestModel, c: &Circuit, input: &[i64]) -> Vec<Cheat> {
    row_cheats(m, c, input, 1, 0)
}

/// The cheats of a grouped pipeline (rowmax gadget `gm`) on its last real group:
/// softmax_cheats' edits of that row, then a selector on a non-maximum entry, the
/// row sum of the group changed and the maxima of two groups swapped.
pub fn grouped_cheats(m: &TestModel, c: &Circuit, input: &[i64], gm: usize) -> Vec<Cheat> {
    let k = c.gadgets[gm].features - 1;
    let mut out = row_cheats(m, c, input, gm, k);
    let (b, st) = (1usize, &m.model_stack);
    let (p, n) = rowmax_pn(c, gm);
    let (mut cols, o) = witness(c, st, input, b);
    let (si, di) = (
        column(c, gm, ColumnKind::RowSel),
        column(c, gm, ColumnKind::RowDiff),
    );
    let row = k * p..k * p + n;
    let sel = row.clone().find(|&i| cols[si][i] == 1).unwrap();
    let j = row.clone().find(|&i| cols[di][i] != 0).unwrap();
    cols[si][sel] = 0;
    cols[si][j] = 1;
    out.push(Cheat {
        name: "rowmax selector on a non-maximum entry",
        why: "rowmax zerocheck: S D != 0 at the selected entry",
        relation: "rowmax zerocheck",
        cols,
        out: o,
    });
    let (cols, o) = witness_tampered(c, st, input, b, gm + 3, &move |z| z[k] += 1);
    out.push(Cheat {
        name: "row sum of one group changed",
        why: "spatialsum instance: acc(r_g) != sum 2^l M X (the group's row value)",
        relation: "spatialsum",
        cols,
        out: o,
    });
    let (cols, o) = witness_tampered(c, st, input, b, gm, &move |z| z.swap(0, k));
    out.push(Cheat {
        name: "row maxima of two groups swapped",
        why: "LogUp range check: D = z_b - x is negative in the group with the smaller maximum",
        relation: "range",
        cols,
        out: o,
    });
    out
}

/// A rowmax's group size `P` and row length `n`.
fn rowmax_pn(c: &Circuit, gm: usize) -> (usize, usize) {
    match &c.gadgets[gm].producer {
        Producer::Rowmax(p) => (p.group, p.n),
        _ => panic!("gadget {gm} is not a rowmax"),
    }
}

/// The edits of one row (group `k`) of the pipeline whose rowmax is gadget `gm`.
fn row_cheats(m: &TestModel, c: &Circuit, input: &[i64], gm: usize, k: usize) -> Vec<Cheat> {
    let (b, st) = (1usize, &m.model_stack);
    let (p, n) = rowmax_pn(c, gm);
    let (ga, gd) = (gm + 1, gm + 4);
    let mut out = Vec::new();
    let tamper = |g: usize, f: &dyn Fn(&mut [i128])| witness_tampered(c, st, input, b, g, f);
    // rowmax z one below the maximum: D < 0 at the maximum.
    let (cols, o) = tamper(gm, &|z| z[k] -= 1);
    out.push(Cheat {
        name: "rowmax below one input",
        why: "LogUp range check: D = z_b - x is negative at the row maximum",
        relation: "range",
        cols,
        out: o,
    });
    // z one above the maximum: no D is zero, the selector sits on a real entry.
    let (cols, o) = tamper(gm, &|z| z[k] += 1);
    out.push(Cheat {
        name: "rowmax not one of the inputs (S D != 0)",
        why: "rowmax zerocheck: S D != 0 at the selected entry",
        relation: "rowmax zerocheck",
        cols,
        out: o,
    });
    // The same z with the row's selector moved to a padded position, where D = 0.
    let (mut cols, o) = tamper(gm, &|z| z[k] += 1);
    let si = column(c, gm, ColumnKind::RowSel);
    cols[si][k * p..(k + 1) * p].iter_mut().for_each(|v| *v = 0);
    cols[si][k * p + n] = 1;
    out.push(Cheat {
        name: "rowmax selector on a padded feature",
        why: "rowmax zerocheck: S (1 - mask) != 0",
        relation: "rowmax zerocheck",
        cols,
        out: o,
    });
    // Two selectors in a row: sum_i S = 2.
    let (mut cols, o) = witness(c, st, input, b);
    let j = (k * p..k * p + n).find(|&i| cols[si][i] == 0).unwrap();
    cols[si][j] = 1;
    out.push(Cheat {
        name: "rowmax two selectors in a row",
        why: "2^m S(1/2.., r_b) == 1 at the rowmax acc point",
        relation: "rowmax sum S == 1",
        cols,
        out: o,
    });
    // rowdiv: q - 1 with R + 2 y_b keeps the division, Rc = 2 y_b - 1 - R < 0.
    let edit = |f: &dyn Fn(&mut zkml_core::inference::testkit::Requantized)| {
        witness_edited(c, st, input, b, gd, f)
    };
    let (cols, o) = edit(&|q| {
        let i = k * p + q.z[k * p..].iter().position(|v| *v > 0).unwrap();
        let two_y = q.extra[0][i] + q.extra[1][i] + 1;
        q.z[i] -= 1;
        q.extra[0][i] += two_y;
        q.extra[1][i] = two_y - 1 - q.extra[0][i];
    });
    out.push(Cheat {
        name: "rowdiv remainder >= 2 y_b",
        why: "LogUp range check: Rc = 2 y_b - 1 - R is negative (R + 2 y_b, q - 1)",
        relation: "range",
        cols,
        out: o,
    });
    let (cols, o) = edit(&|q| {
        let i = k * p;
        q.extra[1][i] += if q.extra[1][i] == 0 { 1 } else { -1 };
    });
    out.push(Cheat {
        name: "rowdiv R + Rc != 2 y_b - 1",
        why: "R + Rc == 2 y_b - 1 at the rowdiv acc point",
        relation: "R + Rc == 2 y_b - 1",
        cols,
        out: o,
    });
    let (cols, o) = edit(&|q| {
        let i = k * p + q.z[k * p..].iter().position(|v| *v < 63).unwrap();
        q.z[i] += 1;
    });
    out.push(Cheat {
        name: "rowdiv wrong quotient",
        why: "rowdiv zerocheck: 2^(l+1) x + y_b != 2 y_b q + R",
        relation: "rowdiv zerocheck",
        cols,
        out: o,
    });
    // The subtraction of a wrong broadcast value: every real d of the row one lower.
    let (cols, o) = tamper(ga, &move |z| {
        for v in z[k * p..k * p + n].iter_mut().filter(|v| **v > -128) {
            *v -= 1;
        }
    });
    let (why, relation) = if c.gadgets[gm].features == 1 {
        (
            "add at the acc point: acc != x(r_g) - y(r_b)",
            "gadget 2: add",
        )
    } else {
        (
            "add at the acc point: acc != x(r_g) - y(r_grp, r_b)",
            ": add",
        )
    };
    out.push(Cheat {
        name: "wrong broadcast subtraction",
        why,
        relation,
        cols,
        out: o,
    });
    out
}
