//! Readers that hand out their input in small pieces, so that chunked parsers meet a read
//! boundary at every place.

use std::io::Read;

/// A reader that hands out one byte at a time.
pub struct OneByte<'a>(pub &'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((b, rest)), Some(o)) => {
                *o = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A reader that hands out at most `step` bytes at a time (`step` > 0; the last piece may be
/// shorter).
pub struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl<'a> Trickle<'a> {
    /// Reads `data`, `step` bytes at a time.
    pub fn new(data: &'a [u8], step: usize) -> Self {
        Trickle { data, step }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.len().min(self.step).min(out.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
