//! Pulse lowering: a scheduled native program and a device calibration become per-channel
//! waveform plays with start times.
