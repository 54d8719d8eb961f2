//! The scalar field the atom learner works over: `f64` (to compare with real-valued peers) or
//! `Complex64` (the production setting, where a frame change rotates a waveform by `e^{iφ}` and a
//! complex coefficient absorbs the rotation, so a rotated waveform costs the same atoms).

use std::fmt::Debug;

use ndarray::LinalgScalar;
use num_complex::Complex64;

/// A real or complex scalar with the few operations sparse coding needs beyond ring arithmetic.
///
/// The inner product throughout the module is `⟨a, b⟩ = Σ conj(a_k) b_k`.
pub trait Scalar: LinalgScalar + Send + Sync + Debug + PartialEq + 'static {
    /// Complex conjugate (identity for reals).
    fn conj(self) -> Self;
    /// Squared modulus `|x|²`.
    fn abs2(self) -> f64;
    /// Real part.
    fn re(self) -> f64;
    /// The scalar with real part `x` and no imaginary part.
    fn from_re(x: f64) -> Self;
    /// `self · s` for a real `s`.
    fn scale(self, s: f64) -> Self;
    /// Whether every component is finite.
    fn is_finite(self) -> bool;
    /// Real components per scalar: 1 for `f64`, 2 for `Complex64` (the width factor of the
    /// [`super::real_embedding`] that real-valued tools such as linfa work on).
    const PARTS: usize;
    /// Imaginary part (0 for reals).
    fn im(self) -> f64;
    /// The scalar `re + i·im`; a real scalar drops `im`.
    fn from_parts(re: f64, im: f64) -> Self;
}

impl Scalar for f64 {
    #[inline]
    fn conj(self) -> Self {
        self
    }
    #[inline]
    fn abs2(self) -> f64 {
        self * self
    }
    #[inline]
    fn re(self) -> f64 {
        self
    }
    #[inline]
    fn from_re(x: f64) -> Self {
        x
    }
    #[inline]
    fn scale(self, s: f64) -> Self {
        self * s
    }
    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    const PARTS: usize = 1;
    #[inline]
    fn im(self) -> f64 {
        0.0
    }
    #[inline]
    fn from_parts(re: f64, _im: f64) -> Self {
        re
    }
}

impl Scalar for Complex64 {
    #[inline]
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
    #[inline]
    fn abs2(self) -> f64 {
        self.norm_sqr()
    }
    #[inline]
    fn re(self) -> f64 {
        self.re
    }
    #[inline]
    fn from_re(x: f64) -> Self {
        Complex64::new(x, 0.0)
    }
    #[inline]
    fn scale(self, s: f64) -> Self {
        self * s
    }
    #[inline]
    fn is_finite(self) -> bool {
        Complex64::is_finite(self)
    }
    const PARTS: usize = 2;
    #[inline]
    fn im(self) -> f64 {
        self.im
    }
    #[inline]
    fn from_parts(re: f64, im: f64) -> Self {
        Complex64::new(re, im)
    }
}

/// `⟨a, b⟩ = Σ conj(a_k) b_k` over two equally long slices.
#[inline]
pub(crate) fn dot_conj<T: Scalar>(a: &[T], b: &[T]) -> T {
    a.iter()
        .zip(b)
        .fold(T::zero(), |acc, (&x, &y)| acc + x.conj() * y)
}

/// `‖a‖²`.
#[inline]
pub(crate) fn norm2<T: Scalar>(a: &[T]) -> f64 {
    a.iter().map(|x| x.abs2()).sum()
}
