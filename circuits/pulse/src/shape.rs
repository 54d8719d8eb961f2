//! Pulse envelope shapes, each sampled by its published definition (Qiskit's pulse library).

use num_complex::Complex64;

/// A sampled waveform: complex baseband samples, one per `dt`.
pub type Samples = Vec<Complex64>;
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

use std::collections::BTreeMap;

/// Why a shape cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ShapeError {
    /// A `Sampled` shape names a waveform the library lacks.
    #[error("waveform '{0}' is not in the pulse library")]
    UnknownWaveform(String),
    /// A parameter outside its domain (sigma ≤ 0, width outside [0, duration], non-finite).
    #[error("{0}")]
    BadParameter(String),
    /// A sample's magnitude exceeds 1 (Qiskit refuses such pulses too).
    #[error("sample {index} has magnitude {magnitude} > 1")]
    AmplitudeAboveOne { index: usize, magnitude: f64 },
}

/// Samples whose magnitude exceeds 1 by less than this pass: amplitudes stored as `[re, im]`
/// with |amp| = 1 round to a hair above 1.
const AMPLITUDE_TOLERANCE: f64 = 1e-9;

/// Qiskit's `_lifted_gaussian(t, center, t_zero, sigma)`: the Gaussian
/// `g(x) = exp(-((x - center)/sigma)^2 / 2)` shifted and rescaled so that it is 0 at `t_zero`
/// and still 1 at `center`: `(g(t) - g(t_zero)) / (1 - g(t_zero))`.
fn lifted_gaussian(t: f64, center: f64, t_zero: f64, sigma: f64) -> f64 {
    let g = |x: f64| (-0.5 * ((x - center) / sigma).powi(2)).exp();
    let offset = g(t_zero);
    (g(t) - offset) / (1.0 - offset)
}

impl Shape {
    /// The duration in samples, or `None` for a library waveform (whose length the library
    /// knows: see [`Shape::duration_in`]).
    pub fn duration(&self) -> Option<u64> {
        match self {
            Shape::Gaussian { duration, .. }
            | Shape::Drag { duration, .. }
            | Shape::GaussianSquare { duration, .. }
            | Shape::GaussianSquareDrag { duration, .. }
            | Shape::Constant { duration, .. } => Some(u64::from(*duration)),
            Shape::Sampled { .. } => None,
        }
    }

    /// The duration in samples, looking library waveforms up in `library`.
    pub fn duration_in(&self, library: &BTreeMap<String, Samples>) -> Result<u64, ShapeError> {
        match self {
            Shape::Sampled { name } => library
                .get(name)
                .map(|s| s.len() as u64)
                .ok_or_else(|| ShapeError::UnknownWaveform(name.clone())),
            other => Ok(other.duration().unwrap_or(0)),
        }
    }

    /// The shape's name in our TOML format and in IBM's `pulse_shape`.
    pub fn kind(&self) -> &'static str {
        match self {
            Shape::Gaussian { .. } => "gaussian",
            Shape::Drag { .. } => "drag",
            Shape::GaussianSquare { .. } => "gaussian_square",
            Shape::GaussianSquareDrag { .. } => "gaussian_square_drag",
            Shape::Constant { .. } => "constant",
            Shape::Sampled { .. } => "sampled",
        }
    }

    /// The complex amplitude (`None` for a library waveform).
    pub fn amp(&self) -> Option<Complex64> {
        match self {
            Shape::Gaussian { amp, .. }
            | Shape::Drag { amp, .. }
            | Shape::GaussianSquare { amp, .. }
            | Shape::GaussianSquareDrag { amp, .. }
            | Shape::Constant { amp, .. } => Some(*amp),
            Shape::Sampled { .. } => None,
        }
    }

    /// Check the parameters against Qiskit's constraints (`sigma > 0`, `0 ≤ width ≤ duration`,
    /// everything finite); amplitudes are checked by the device (|amp| ≤ 1) and, sample by
    /// sample, by [`Shape::samples`].
    pub fn check(&self) -> Result<(), ShapeError> {
        let bad = |m: String| Err(ShapeError::BadParameter(m));
        if let Some(a) = self.amp()
            && !(a.re.is_finite() && a.im.is_finite())
        {
            return bad(format!("amplitude {a} is not finite"));
        }
        match *self {
            Shape::Gaussian { sigma, .. }
            | Shape::Drag { sigma, .. }
            | Shape::GaussianSquare { sigma, .. }
            | Shape::GaussianSquareDrag { sigma, .. }
                if !(sigma.is_finite() && sigma > 0.0) =>
            {
                return bad(format!("sigma must be > 0, not {sigma}"));
            }
            _ => {}
        }
        match *self {
            Shape::GaussianSquare {
                duration, width, ..
            }
            | Shape::GaussianSquareDrag {
                duration, width, ..
            } if !(width.is_finite() && width >= 0.0 && width <= f64::from(duration)) => bad(
                format!("width must lie in [0, duration = {duration}], not {width}"),
            ),
            Shape::Drag { beta, .. } | Shape::GaussianSquareDrag { beta, .. }
                if !beta.is_finite() =>
            {
                bad(format!("beta {beta} is not finite"))
            }
            _ => Ok(()),
        }
    }

    /// The samples, as Qiskit's `SymbolicPulse.get_waveform` computes them: the envelope
    /// evaluated at the midpoints `t = i + 1/2`, `i = 0 … duration-1` (Qiskit's
    /// `_get_expression_args` samples `np.arange(0, duration) + 1/2`).
    ///
    /// * gaussian: `amp · lifted(t; center = d/2, zero at t = d + 1)` (by symmetry also at
    ///   `t = -1`: Qiskit's docstring writes it `f'(-1)`).
    /// * drag: `amp · (G + i·beta·(-(t - d/2)/sigma²)·G)` with `G` the lifted Gaussian above.
    ///   Qiskit multiplies the derivative factor by the *lifted* Gaussian (its symbolic
    ///   `_deriv = -(t - center)/sigma**2 * _gauss`), which we follow.
    /// * gaussian_square: rise `lifted(t; center = (d-w)/2, zero at -1)` for `t ≤ (d-w)/2`,
    ///   fall `lifted(t; center = (d+w)/2, zero at d + 1)` for `t ≥ (d+w)/2`, 1 between.
    /// * gaussian_square_drag: each edge as drag's, flat top without a derivative term.
    /// * constant: `amp`.
    ///
    /// Library waveforms are looked up in `library`. Any sample with |s| > 1 is an error.
    pub fn samples(&self, library: &BTreeMap<String, Samples>) -> Result<Samples, ShapeError> {
        self.check()?;
        let times = |d: u32| (0..d).map(|i| f64::from(i) + 0.5);
        let out: Samples = match *self {
            Shape::Gaussian {
                duration,
                amp,
                sigma,
            } => {
                let d = f64::from(duration);
                times(duration)
                    .map(|t| amp * lifted_gaussian(t, d / 2.0, d + 1.0, sigma))
                    .collect()
            }
            Shape::Drag {
                duration,
                amp,
                sigma,
                beta,
            } => {
                let d = f64::from(duration);
                let c = d / 2.0;
                times(duration)
                    .map(|t| {
                        let g = lifted_gaussian(t, c, d + 1.0, sigma);
                        let deriv = -(t - c) / (sigma * sigma) * g;
                        amp * Complex64::new(g, beta * deriv)
                    })
                    .collect()
            }
            Shape::GaussianSquare {
                duration,
                amp,
                sigma,
                width,
            } => square(duration, amp, sigma, width, 0.0),
            Shape::GaussianSquareDrag {
                duration,
                amp,
                sigma,
                width,
                beta,
            } => square(duration, amp, sigma, width, beta),
            Shape::Constant { duration, amp } => vec![amp; duration as usize],
            Shape::Sampled { ref name } => library
                .get(name)
                .cloned()
                .ok_or_else(|| ShapeError::UnknownWaveform(name.clone()))?,
        };
        for (index, s) in out.iter().enumerate() {
            let magnitude = s.norm();
            if magnitude.is_nan() || magnitude > 1.0 + AMPLITUDE_TOLERANCE {
                return Err(ShapeError::AmplitudeAboveOne { index, magnitude });
            }
        }
        Ok(out)
    }
}

/// Qiskit's GaussianSquare (`beta = 0`) and GaussianSquareDrag envelopes at the midpoints.
fn square(duration: u32, amp: Complex64, sigma: f64, width: f64, beta: f64) -> Samples {
    let d = f64::from(duration);
    let t0 = d / 2.0 - width / 2.0;
    let t1 = d / 2.0 + width / 2.0;
    (0..duration)
        .map(|i| {
            let t = f64::from(i) + 0.5;
            let (g, deriv) = if t <= t0 {
                let g = lifted_gaussian(t, t0, -1.0, sigma);
                (g, -(t - t0) / (sigma * sigma) * g)
            } else if t >= t1 {
                let g = lifted_gaussian(t, t1, d + 1.0, sigma);
                (g, -(t - t1) / (sigma * sigma) * g)
            } else {
                (1.0, 0.0)
            };
            amp * Complex64::new(g, beta * deriv)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: f64 = 1e-12;

    fn close(got: &[Complex64], want: &[Complex64]) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).norm() < TOL, "sample {i}: {g} != {w}");
        }
    }

    fn c(re: f64, im: f64) -> Complex64 {
        Complex64::new(re, im)
    }

    /// `(e^{-x} - e^{-4.5}) / (1 - e^{-4.5})`: a Gaussian of sigma 1 lifted so that it is zero
    /// 3 samples from its centre (`((3)/1)^2 / 2 = 4.5`), evaluated where `((t-c)/1)^2/2 = x`.
    fn lifted(x: f64) -> f64 {
        ((-x).exp() - (-4.5f64).exp()) / (1.0 - (-4.5f64).exp())
    }

    #[test]
    fn gaussian_samples_at_midpoints_lifted_to_zero_at_minus_one() {
        // duration 4, sigma 1, amp 0.5: centre 2, zero point t = d + 1 = 5 (3 from the centre).
        // Midpoints t = 0.5, 1.5, 2.5, 3.5 are 1.5, 0.5, 0.5, 1.5 from the centre:
        // x = 1.5^2/2 = 1.125 and 0.5^2/2 = 0.125.
        let s = Shape::Gaussian {
            duration: 4,
            amp: c(0.5, 0.0),
            sigma: 1.0,
        };
        let outer = 0.5 * lifted(1.125); // = 0.158532876587259…
        let inner = 0.5 * lifted(0.125); // = 0.440588448573165…
        assert!((outer - 0.15853287658725915).abs() < TOL);
        assert!((inner - 0.4405884485731654).abs() < TOL);
        let got = s.samples(&BTreeMap::new()).expect("valid");
        close(
            &got,
            &[c(outer, 0.0), c(inner, 0.0), c(inner, 0.0), c(outer, 0.0)],
        );
        assert_eq!(s.duration(), Some(4));
    }

    #[test]
    fn drag_adds_i_beta_times_the_derivative_of_the_lifted_gaussian() {
        // duration 4, sigma 1, beta 0.5, amp 1: G as above; the derivative factor
        // -(t - 2)/sigma^2 is 1.5, 0.5, -0.5, -1.5 at the midpoints.
        let s = Shape::Drag {
            duration: 4,
            amp: c(1.0, 0.0),
            sigma: 1.0,
            beta: 0.5,
        };
        let (g0, g1) = (lifted(1.125), lifted(0.125));
        let want = [
            c(g0, 0.5 * 1.5 * g0),
            c(g1, 0.5 * 0.5 * g1),
            c(g1, -0.5 * 0.5 * g1),
            c(g0, -0.5 * 1.5 * g0),
        ];
        close(&s.samples(&BTreeMap::new()).expect("valid"), &want);
        // A complex amplitude multiplies every sample: amp = i rotates by 90 degrees.
        let s = Shape::Drag {
            duration: 4,
            amp: c(0.0, 1.0),
            sigma: 1.0,
            beta: 0.5,
        };
        let rotated: Vec<_> = want.iter().map(|w| w * c(0.0, 1.0)).collect();
        close(&s.samples(&BTreeMap::new()).expect("valid"), &rotated);
    }

    #[test]
    fn gaussian_square_has_lifted_edges_of_half_the_non_flat_part() {
        // duration 8, width 4, sigma 1: rise/fall (8-4)/2 = 2; the flat top spans t in
        // (2, 6). The rise is centred at 2 and zero at t = -1 (3 away), the fall centred at 6
        // and zero at t = 9 (3 away), so the edge samples are the lifted values above.
        let (g0, g1) = (lifted(1.125), lifted(0.125));
        let s = Shape::GaussianSquare {
            duration: 8,
            amp: c(0.25, 0.0),
            sigma: 1.0,
            width: 4.0,
        };
        let want: Vec<_> = [g0, g1, 1.0, 1.0, 1.0, 1.0, g1, g0]
            .iter()
            .map(|&v| c(0.25 * v, 0.0))
            .collect();
        close(&s.samples(&BTreeMap::new()).expect("valid"), &want);
        // With DRAG (beta 0.5) the edges get i·beta·(-(t - edge centre))·G; the top does not.
        let s = Shape::GaussianSquareDrag {
            duration: 8,
            amp: c(1.0, 0.0),
            sigma: 1.0,
            width: 4.0,
            beta: 0.5,
        };
        let want = [
            c(g0, 0.5 * 1.5 * g0),
            c(g1, 0.5 * 0.5 * g1),
            c(1.0, 0.0),
            c(1.0, 0.0),
            c(1.0, 0.0),
            c(1.0, 0.0),
            c(g1, -0.5 * 0.5 * g1),
            c(g0, -0.5 * 1.5 * g0),
        ];
        close(&s.samples(&BTreeMap::new()).expect("valid"), &want);
    }

    #[test]
    fn constant_and_library_waveforms() {
        let s = Shape::Constant {
            duration: 3,
            amp: c(0.1, -0.2),
        };
        close(
            &s.samples(&BTreeMap::new()).expect("valid"),
            &[c(0.1, -0.2); 3],
        );
        let mut lib = BTreeMap::new();
        lib.insert("w".to_string(), vec![c(0.0, 0.5), c(0.5, 0.0)]);
        let s = Shape::Sampled { name: "w".into() };
        assert_eq!(s.duration_in(&lib), Ok(2));
        assert_eq!(s.duration(), None);
        close(
            &s.samples(&lib).expect("present"),
            &[c(0.0, 0.5), c(0.5, 0.0)],
        );
        let missing = Shape::Sampled { name: "v".into() };
        assert_eq!(
            missing.samples(&lib),
            Err(ShapeError::UnknownWaveform("v".into()))
        );
    }

    #[test]
    fn bad_parameters_and_amplitudes_are_refused() {
        let s = Shape::Gaussian {
            duration: 4,
            amp: c(1.0, 0.0),
            sigma: 0.0,
        };
        assert!(matches!(
            s.samples(&BTreeMap::new()),
            Err(ShapeError::BadParameter(_))
        ));
        let s = Shape::GaussianSquare {
            duration: 4,
            amp: c(1.0, 0.0),
            sigma: 1.0,
            width: 5.0,
        };
        assert!(matches!(
            s.samples(&BTreeMap::new()),
            Err(ShapeError::BadParameter(_))
        ));
        // amp 1 with a large DRAG term: the off-centre samples exceed 1.
        let s = Shape::Drag {
            duration: 4,
            amp: c(1.0, 0.0),
            sigma: 1.0,
            beta: 3.0,
        };
        assert!(matches!(
            s.samples(&BTreeMap::new()),
            Err(ShapeError::AmplitudeAboveOne { .. })
        ));
    }
}
