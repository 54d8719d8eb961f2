//! Chunk sizes for the streaming decoders: how a fuzz input decides where the input is cut.

/// A small deterministic generator for chunk sizes.
pub struct Chunks {
    state: u64,
    max: usize,
}

impl Chunks {
    /// Chunk sizes in `1..=max`, where `max` is 1, 7, 64, 4096 or the decoder's whole buffer,
    /// chosen by `seed` along with the sequence.
    pub fn new(seed: u64) -> Self {
        let max = [1, 7, 64, 4096, eqisa_decoder::MAX_BUFFER][(seed % 5) as usize];
        Chunks {
            state: seed | 1,
            max,
        }
    }

    /// The next chunk size, in `1..=max`.
    pub fn next_size(&mut self) -> usize {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        1 + (self.state as usize) % self.max
    }
}
