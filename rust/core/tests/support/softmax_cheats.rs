//! Cheating witnesses of the softmax head (nonlinear.md sections 6, 7) at batch 1,
//! shared by the relation tests and the vectors: each names the relation of
//! support/relations.rs it breaks and the rejection a verifier gives.
//!
//! softmax_head's gadgets: 0 dense logits, 1 rowmax, 2 the broadcast subtraction,
//! 3 the exp table, 4 the row sum, 5 rowdiv.

use zkml_core::inference::circuit::{Circuit, ColumnKind};
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
    let (b, st) = (1usize, &m.model_stack);
    let n = c.gadgets[0].features;
    let mut out = Vec::new();
    let tamper = |g: usize, f: &dyn Fn(&mut [i128])| witness_tampered(c, st, input, b, g, f);
    // rowmax z one below the maximum: D < 0 at the maximum.
    let (cols, o) = tamper(1, &|z| z[0] -= 1);
    out.push(Cheat {
        name: "rowmax below one input",
        why: "LogUp range check: D = z_b - x is negative at the row maximum",
        relation: "range",
        cols,
        out: o,
    });
    // z one above the maximum: no D is zero, the selector sits on a real entry.
    let (cols, o) = tamper(1, &|z| z[0] += 1);
    out.push(Cheat {
        name: "rowmax not one of the inputs (S D != 0)",
        why: "rowmax zerocheck: S D != 0 at the selected entry",
        relation: "rowmax zerocheck",
        cols,
        out: o,
    });
    // The same z with the selector moved to a padded feature, where D = 0.
    let (mut cols, o) = tamper(1, &|z| z[0] += 1);
    let si = column(c, 1, ColumnKind::RowSel);
    cols[si].iter_mut().for_each(|v| *v = 0);
    cols[si][n] = 1;
    out.push(Cheat {
        name: "rowmax selector on a padded feature",
        why: "rowmax zerocheck: S (1 - mask) != 0",
        relation: "rowmax zerocheck",
        cols,
        out: o,
    });
    // Two selectors in a row: sum_i S = 2.
    let (mut cols, o) = witness(c, st, input, b);
    let j = cols[si][..n].iter().position(|v| *v == 0).unwrap();
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
        witness_edited(c, st, input, b, 5, f)
    };
    let (cols, o) = edit(&|p| {
        let i = p.z.iter().position(|v| *v > 0).unwrap();
        let two_y = p.extra[0][i] + p.extra[1][i] + 1;
        p.z[i] -= 1;
        p.extra[0][i] += two_y;
        p.extra[1][i] = two_y - 1 - p.extra[0][i];
    });
    out.push(Cheat {
        name: "rowdiv remainder >= 2 y_b",
        why: "LogUp range check: Rc = 2 y_b - 1 - R is negative (R + 2 y_b, q - 1)",
        relation: "range",
        cols,
        out: o,
    });
    let (cols, o) = edit(&|p| {
        p.extra[1][0] += if p.extra[1][0] == 0 { 1 } else { -1 };
    });
    out.push(Cheat {
        name: "rowdiv R + Rc != 2 y_b - 1",
        why: "R + Rc == 2 y_b - 1 at the rowdiv acc point",
        relation: "R + Rc == 2 y_b - 1",
        cols,
        out: o,
    });
    let (cols, o) = edit(&|p| {
        let i = p.z.iter().position(|v| *v < 63).unwrap();
        p.z[i] += 1;
    });
    out.push(Cheat {
        name: "rowdiv wrong quotient",
        why: "rowdiv zerocheck: 2^(l+1) x + y_b != 2 y_b q + R",
        relation: "rowdiv zerocheck",
        cols,
        out: o,
    });
    // The subtraction of a wrong broadcast value: every real d one lower.
    let (cols, o) = tamper(2, &move |z| {
        for v in z[..n].iter_mut().filter(|v| **v > -128) {
            *v -= 1;
        }
    });
    out.push(Cheat {
        name: "wrong broadcast subtraction",
        why: "add at the acc point: acc != x(r_g) - y(r_b)",
        relation: "gadget 2: add",
        cols,
        out: o,
    });
    out
}
