//! `eqisa-decoder`: streaming decoder.
#![no_std]
