#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rally_fuzz::frame(data));
