//! The general-purpose compressors (bzip2 -9, xz -9, zstd -19) as baselines: over the binary
//! instruction stream of [`crate::binary`], over waveform samples, and over the paper's Huffman
//! stream, with their inverses so that tests can check every count is of a real, decodable file.

use std::io::{Read as _, Write as _};

use eqisa_lower::program::NativeProgram;

use crate::binary::{binary_stream, binary_stream_aligned};

/// Why a baseline could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A compressor failed.
    #[error("{compressor}: {source}")]
    Compressor {
        /// Which one.
        compressor: &'static str,
        /// Its error.
        #[source]
        source: std::io::Error,
    },
}

/// Sizes in bits of the general-purpose compressors' outputs (whole compressed bytes × 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeneralPurpose {
    /// bzip2 at level 9.
    pub bzip2: u64,
    /// xz at preset 9.
    pub xz: u64,
    /// zstd at level 19.
    pub zstd: u64,
}

fn io_err(compressor: &'static str) -> impl Fn(std::io::Error) -> BaselineError {
    move |source| BaselineError::Compressor { compressor, source }
}

/// bzip2 at level 9.
///
/// # Errors
/// If the compressor fails.
pub fn compress_bzip2(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(9));
    e.write_all(data).map_err(io_err("bzip2"))?;
    e.finish().map_err(io_err("bzip2"))
}

/// xz at preset 9.
///
/// # Errors
/// If the compressor fails.
pub fn compress_xz(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 9);
    e.write_all(data).map_err(io_err("xz"))?;
    e.finish().map_err(io_err("xz"))
}

/// zstd at level 19.
///
/// # Errors
/// If the compressor fails.
pub fn compress_zstd(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    zstd::bulk::compress(data, 19).map_err(io_err("zstd"))
}

/// Inverse of [`compress_bzip2`].
///
/// # Errors
/// If the data is not a valid bzip2 stream.
pub fn decompress_bzip2(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    let mut out = Vec::new();
    bzip2::read::BzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(io_err("bzip2"))?;
    Ok(out)
}

/// Inverse of [`compress_xz`].
///
/// # Errors
/// If the data is not a valid xz stream.
pub fn decompress_xz(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    let mut out = Vec::new();
    xz2::read::XzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(io_err("xz"))?;
    Ok(out)
}

/// Inverse of [`compress_zstd`].
///
/// # Errors
/// If the data is not a valid zstd frame.
pub fn decompress_zstd(data: &[u8]) -> Result<Vec<u8>, BaselineError> {
    zstd::stream::decode_all(data).map_err(io_err("zstd"))
}

/// bzip2 -9, xz -9 and zstd -19 over `bytes`, in bits.
///
/// # Errors
/// If a compressor fails.
pub fn general_purpose(bytes: &[u8]) -> Result<GeneralPurpose, BaselineError> {
    Ok(GeneralPurpose {
        bzip2: compress_bzip2(bytes)?.len() as u64 * 8,
        xz: compress_xz(bytes)?.len() as u64 * 8,
        zstd: compress_zstd(bytes)?.len() as u64 * 8,
    })
}

/// The general-purpose compressors over both the packed and the byte-aligned binary stream,
/// keeping per compressor the smaller output.
///
/// # Errors
/// If a compressor fails.
pub fn best_general_purpose(
    program: &NativeProgram,
    angle_bits: u8,
    dt_ns: f64,
) -> Result<GeneralPurpose, BaselineError> {
    let a = general_purpose(&binary_stream(program, angle_bits, dt_ns).bytes)?;
    let b = general_purpose(&binary_stream_aligned(program, angle_bits, dt_ns).bytes)?;
    Ok(GeneralPurpose {
        bzip2: a.bzip2.min(b.bzip2),
        xz: a.xz.min(b.xz),
        zstd: a.zstd.min(b.zstd),
    })
}
