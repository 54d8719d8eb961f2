//! Pulse envelope shapes, each sampled by its published definition (Qiskit's pulse library).

use num_complex::Complex64;

/// A pulse envelope. Durations are in samples (`dt`); `amp` is the complex amplitude
/// (IBM's `[re, im]`, or Qiskit's `amp · e^{i·angle}`), |amp| ≤ 1.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// Lifted (zero-ended) Gaussian.
    Gaussian {
        duration: u32,
        amp: Complex64,
        sigma: f64,
    },
    /// Lifted Gaussian plus `i·beta` times its derivative (DRAG).
    Drag {
        duration: u32,
        amp: Complex64,
        sigma: f64,
        beta: f64,
    },
    /// Flat top of `width` samples with lifted-Gaussian rise and fall.
    GaussianSquare {
        duration: u32,
        amp: Complex64,
        sigma: f64,
        width: f64,
    },
    /// `GaussianSquare` with a DRAG component on its rise and fall.
    GaussianSquareDrag {
        duration: u32,
        amp: Complex64,
        sigma: f64,
        width: f64,
        beta: f64,
    },
    /// Constant amplitude.
    Constant { duration: u32, amp: Complex64 },
    /// A waveform of the device's sample library, by name.
    Sampled { name: String },
}
