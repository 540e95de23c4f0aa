//! Release builds: the trace and test hooks of `trace.rs` do nothing (a hiding proof
//! is never made wrong on purpose outside tests).

use std::marker::PhantomData;

use ark_bn254::G1Affine;

use crate::declare::{Check, Expr};
use crate::field::Fr;
use crate::pcs::Shape;
use crate::pipeline::NamedClaims;
use crate::zk::products::Triple;
use crate::zk::{Gens, Hidden};

#[derive(Default)]
pub struct Tracer<'a>(PhantomData<&'a ()>);

impl Tracer<'_> {
    pub fn cheating(&self) -> bool {
        false
    }
    pub fn squeeze(&mut self, _: &str, _: usize) {}
    pub fn send(&mut self, _: &str, _: &str, _: usize) {}
    pub fn witness(&mut self, _: Shape) {}
    pub fn logup(&mut self, _: Vec<usize>, _: &[usize]) {}
    pub fn sumcheck(&mut self, _: Vec<Expr>, _: Vec<usize>) {}
    pub fn tamper_values(&mut self, _: &str, _: &mut [Hidden]) {}
    pub fn tamper_product(&mut self, _: &Gens, _: &mut [G1Affine], _: &mut [Triple]) {}
    pub fn finish(&mut self, _: &[Check], _: &[NamedClaims], _: &[(Shape, &[Fr])]) {}
}
