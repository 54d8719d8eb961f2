//! Static Huffman coding: optimal code lengths from symbol frequencies, canonical code assignment,
//! and packing a symbol stream into an MSB-first bitstream (with a decoder for checking it).
//!
//! This is the entropy stage of the EQISA paper's baseline: the code is built from
//! the frequencies of the very stream it codes, as the paper does. Symbols are dense indices
//! `0..n`; a symbol of frequency 0 gets no code (length 0).
//!
//! **Determinism.** Lengths come from the classic two-queue construction over the symbols sorted
//! by `(frequency, index)`: at each step the two lightest nodes are merged, and on equal weight a
//! leaf is taken before an internal node and older internal nodes before newer ones. The result
//! depends only on the frequency vector. Codes are canonical: symbols sorted by `(length, index)`
//! receive consecutive code values, the first of each length being the previous length's next
//! code shifted left — so lengths alone determine the code, which is what a decoder table needs.
//!
//! **Limits.** Frequencies are `u64`, so no code is longer than 91 bits (a depth-`d` Huffman tree
//! needs a total weight of at least the Fibonacci number F(d+2), and F(93) > 2⁶⁴); code values
//! are kept in `u128`.

use eqisa_isa::{BitReader, BitWriter};

/// Longest code length the module handles (see the module note; never reached with `u64`
/// frequencies, checked anyway).
pub const MAX_CODE_LEN: u8 = 127;

/// Why a Huffman operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HuffmanError {
    /// A symbol of the stream is outside the code's alphabet.
    #[error("symbol {symbol} is outside the alphabet of {alphabet} symbols")]
    UnknownSymbol {
        /// The offending symbol.
        symbol: usize,
        /// Alphabet size.
        alphabet: usize,
    },
    /// A symbol of the stream has no code (its frequency was 0 when the code was built).
    #[error("symbol {0} has no code (it had frequency 0)")]
    NoCode(usize),
    /// The lengths do not describe a prefix code (Kraft sum above 1) or one is too long.
    #[error("code lengths do not form a prefix code: {0}")]
    BadLengths(&'static str),
    /// The bitstream ended inside a code, or holds a bit pattern that is no code.
    #[error("bitstream is corrupt at bit {0}")]
    Corrupt(u64),
}

/// One codeword: the low `len` bits of `bits`, sent most significant first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Codeword {
    /// The code value (only the low `len` bits are used).
    pub bits: u128,
    /// Length in bits; 0 means "no code".
    pub len: u8,
}

/// Optimal (minimum `Σ freq·len`) prefix-code lengths for `freqs`, deterministic (see the module
/// doc). Symbols of frequency 0 get length 0; a lone used symbol gets length 1.
pub fn code_lengths(freqs: &[u64]) -> Vec<u8> {
    let mut lengths = vec![0u8; freqs.len()];
    let mut leaves: Vec<usize> = (0..freqs.len()).filter(|&i| freqs[i] > 0).collect();
    match leaves.len() {
        0 => return lengths,
        1 => {
            lengths[leaves[0]] = 1;
            return lengths;
        }
        _ => {}
    }
    leaves.sort_by_key(|&i| (freqs[i], i));
    let n = leaves.len();
    // Nodes 0..n are the sorted leaves, n.. the internal nodes in creation order (which is also
    // non-decreasing weight order, so the internal queue is just a cursor).
    let mut weight: Vec<u128> = leaves.iter().map(|&i| u128::from(freqs[i])).collect();
    let mut parent: Vec<usize> = vec![usize::MAX; n];
    weight.reserve(n - 1);
    parent.reserve(n - 1);
    let (mut next_leaf, mut next_internal) = (0usize, n);
    for _ in 0..n - 1 {
        let a = take_lightest(&weight, n, &mut next_leaf, &mut next_internal);
        let b = take_lightest(&weight, n, &mut next_leaf, &mut next_internal);
        let id = weight.len();
        weight.push(weight[a] + weight[b]);
        parent.push(usize::MAX);
        parent[a] = id;
        parent[b] = id;
    }
    // Depths from the root (the last node) down: parents always have larger ids.
    let mut depth = vec![0u32; weight.len()];
    for id in (0..weight.len() - 1).rev() {
        depth[id] = depth[parent[id]] + 1;
    }
    for (k, &sym) in leaves.iter().enumerate() {
        // At most 91 for u64 frequencies (module note), so this never saturates in practice.
        lengths[sym] = depth[k].min(u32::from(u8::MAX)) as u8;
    }
    lengths
}

/// Pops the lighter front of the leaf queue (`next_leaf..n`) and the internal queue
/// (`next_internal..weight.len()`); on equal weight the leaf goes first.
fn take_lightest(
    weight: &[u128],
    n: usize,
    next_leaf: &mut usize,
    next_internal: &mut usize,
) -> usize {
    let leaf_ok = *next_leaf < n;
    let internal_ok = *next_internal < weight.len();
    if leaf_ok && (!internal_ok || weight[*next_leaf] <= weight[*next_internal]) {
        *next_leaf += 1;
        *next_leaf - 1
    } else {
        *next_internal += 1;
        *next_internal - 1
    }
}

/// `Σ freq·len`: the size in bits of a stream with these frequencies under these lengths.
pub fn encoded_bits(freqs: &[u64], lengths: &[u8]) -> u64 {
    freqs
        .iter()
        .zip(lengths)
        .map(|(&f, &l)| f.saturating_mul(u64::from(l)))
        .fold(0u64, u64::saturating_add)
}

/// A canonical prefix code over symbols `0..n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HuffmanCode {
    codes: Vec<Codeword>,
    /// Symbols with a code, sorted by `(length, symbol)`: canonical order, for decoding.
    sorted: Vec<usize>,
}

impl HuffmanCode {
    /// The optimal code for `freqs` ([`code_lengths`] then [`HuffmanCode::from_lengths`]).
    pub fn from_frequencies(freqs: &[u64]) -> HuffmanCode {
        let lengths = code_lengths(freqs);
        // Huffman lengths always satisfy Kraft and are far below the limit (module note).
        Self::from_lengths(&lengths).unwrap_or_else(|_| HuffmanCode {
            codes: vec![Codeword::default(); freqs.len()],
            sorted: Vec::new(),
        })
    }

    /// The canonical code with the given lengths (0 = symbol without a code).
    ///
    /// # Errors
    /// [`HuffmanError::BadLengths`] if a length exceeds [`MAX_CODE_LEN`] or the lengths violate
    /// Kraft's inequality.
    pub fn from_lengths(lengths: &[u8]) -> Result<HuffmanCode, HuffmanError> {
        if lengths.iter().any(|&l| l > MAX_CODE_LEN) {
            return Err(HuffmanError::BadLengths("a length exceeds 127 bits"));
        }
        let mut sorted: Vec<usize> = (0..lengths.len()).filter(|&i| lengths[i] > 0).collect();
        sorted.sort_by_key(|&i| (lengths[i], i));
        let mut codes = vec![Codeword::default(); lengths.len()];
        let mut code: u128 = 0;
        let mut prev_len: u8 = 0;
        for (k, &sym) in sorted.iter().enumerate() {
            let len = lengths[sym];
            if k > 0 {
                code = code
                    .checked_add(1)
                    .ok_or(HuffmanError::BadLengths("Kraft sum above 1"))?;
            }
            code = code
                .checked_shl(u32::from(len - prev_len))
                .ok_or(HuffmanError::BadLengths("Kraft sum above 1"))?;
            if len < 128 && code >> len != 0 {
                return Err(HuffmanError::BadLengths("Kraft sum above 1"));
            }
            prev_len = len;
            codes[sym] = Codeword { bits: code, len };
        }
        Ok(HuffmanCode { codes, sorted })
    }

    /// The codeword of every symbol (length 0 = no code).
    pub fn codewords(&self) -> &[Codeword] {
        &self.codes
    }

    /// The code length of every symbol.
    pub fn lengths(&self) -> Vec<u8> {
        self.codes.iter().map(|c| c.len).collect()
    }

    /// Appends the codeword of `symbol` to `w`.
    ///
    /// # Errors
    /// If the symbol is outside the alphabet or has no code.
    pub fn write(&self, w: &mut BitWriter, symbol: usize) -> Result<(), HuffmanError> {
        let c = self.codes.get(symbol).ok_or(HuffmanError::UnknownSymbol {
            symbol,
            alphabet: self.codes.len(),
        })?;
        if c.len == 0 {
            return Err(HuffmanError::NoCode(symbol));
        }
        let len = u32::from(c.len);
        if len > 64 {
            w.write_bits((c.bits >> 64) as u64, len - 64);
            w.write_bits(c.bits as u64, 64);
        } else {
            w.write_bits(c.bits as u64, len);
        }
        Ok(())
    }

    /// Reads one symbol, walking the canonical code bit by bit.
    ///
    /// # Errors
    /// [`HuffmanError::Corrupt`] if the bits run out or form no codeword.
    pub fn read(&self, r: &mut BitReader<'_>) -> Result<usize, HuffmanError> {
        let start = r.bit_position();
        let mut code: u128 = 0;
        let mut len: u8 = 0;
        // Canonical decoding: among the codes of the current length, the first one is `first`
        // and they occupy `sorted[index..index + count]`.
        let mut first: u128 = 0;
        let mut index = 0usize;
        while len < MAX_CODE_LEN {
            let bit = r
                .read_bits(1)
                .map_err(|_| HuffmanError::Corrupt(r.bit_position()))?;
            code = (code << 1) | u128::from(bit);
            first <<= 1;
            len += 1;
            let count = self.sorted[index..]
                .iter()
                .take_while(|&&s| self.codes[s].len == len)
                .count();
            if code >= first && code - first < count as u128 {
                return Ok(self.sorted[index + (code - first) as usize]);
            }
            first += count as u128;
            index += count;
            if index >= self.sorted.len() {
                break;
            }
        }
        Err(HuffmanError::Corrupt(start))
    }
}

/// A bit-packed stream: `bits` meaningful bits, MSB-first, zero-padded to whole `bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PackedBits {
    /// The bytes (the last one padded with zero bits).
    pub bytes: Vec<u8>,
    /// Number of meaningful bits.
    pub bits: u64,
}

/// Packs `symbols` with `code`, MSB-first ([`eqisa_isa::BitWriter`]).
///
/// # Errors
/// If a symbol is outside the alphabet or has no code.
pub fn pack(code: &HuffmanCode, symbols: &[usize]) -> Result<PackedBits, HuffmanError> {
    let mut w = BitWriter::new();
    for &s in symbols {
        code.write(&mut w, s)?;
    }
    let bits = w.bit_len();
    Ok(PackedBits {
        bytes: w.finish(),
        bits,
    })
}

/// Decodes `count` symbols from `packed` (the inverse of [`pack`]).
///
/// # Errors
/// [`HuffmanError::Corrupt`] if the stream ends early or holds an invalid pattern, or if it does
/// not end exactly at `packed.bits`.
pub fn unpack(
    code: &HuffmanCode,
    packed: &PackedBits,
    count: usize,
) -> Result<Vec<usize>, HuffmanError> {
    let mut r = BitReader::new(&packed.bytes);
    // Never trust `count` for the allocation: each symbol takes at least one bit.
    let mut out = Vec::with_capacity(count.min(packed.bits.min(1 << 24) as usize));
    for _ in 0..count {
        if r.bit_position() >= packed.bits {
            return Err(HuffmanError::Corrupt(r.bit_position()));
        }
        out.push(code.read(&mut r)?);
    }
    if r.bit_position() != packed.bits {
        return Err(HuffmanError::Corrupt(r.bit_position()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_known_distributions() {
        assert_eq!(code_lengths(&[]), Vec::<u8>::new());
        assert_eq!(code_lengths(&[0, 0]), vec![0, 0]);
        assert_eq!(code_lengths(&[0, 7]), vec![0, 1]);
        assert_eq!(code_lengths(&[5, 5]), vec![1, 1]);
        assert_eq!(code_lengths(&[1, 1, 1, 1]), vec![2, 2, 2, 2]);
        assert_eq!(code_lengths(&[1, 1, 2, 4]), vec![3, 3, 2, 1]);
        // Dyadic: lengths are -log2 p.
        assert_eq!(code_lengths(&[8, 4, 2, 1, 1]), vec![1, 2, 3, 4, 4]);
        // Fibonacci weights give the deepest tree.
        let fib = [1, 1, 2, 3, 5, 8, 13];
        assert_eq!(code_lengths(&fib), vec![6, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn canonical_codes_are_consecutive() {
        let code = HuffmanCode::from_lengths(&[2, 1, 3, 3]).expect("valid");
        let c = code.codewords();
        assert_eq!(c[1], Codeword { bits: 0b0, len: 1 });
        assert_eq!(c[0], Codeword { bits: 0b10, len: 2 });
        assert_eq!(
            c[2],
            Codeword {
                bits: 0b110,
                len: 3
            }
        );
        assert_eq!(
            c[3],
            Codeword {
                bits: 0b111,
                len: 3
            }
        );
        assert!(HuffmanCode::from_lengths(&[1, 1, 1]).is_err());
        assert!(HuffmanCode::from_lengths(&[128]).is_err());
    }

    #[test]
    fn writing_an_uncoded_symbol_is_an_error() {
        let code = HuffmanCode::from_frequencies(&[3, 0, 1]);
        assert_eq!(pack(&code, &[1]), Err(HuffmanError::NoCode(1)));
        assert_eq!(
            pack(&code, &[9]),
            Err(HuffmanError::UnknownSymbol {
                symbol: 9,
                alphabet: 3
            })
        );
    }

    #[test]
    fn long_codes_round_trip() {
        // Lengths up to 90 bits need the u128 path.
        let mut freqs = vec![1u64, 1];
        while freqs.len() < 90 {
            let n = freqs.len();
            freqs.push(freqs[n - 1] + freqs[n - 2]);
        }
        let code = HuffmanCode::from_frequencies(&freqs);
        assert_eq!(code.lengths().iter().max(), Some(&89));
        let symbols: Vec<usize> = (0..90).rev().chain(0..3).collect();
        let packed = pack(&code, &symbols).expect("all coded");
        assert_eq!(unpack(&code, &packed, symbols.len()), Ok(symbols));
    }
}
