//! libFuzzer driver of `eqisa_fuzzing::targets::streams` (tests/fuzzing), where the target and
//! its properties are described.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| eqisa_fuzzing::targets::streams::run(data));
