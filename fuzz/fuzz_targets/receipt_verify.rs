#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| liveauth_protocol::receipt::fuzzing::receipt_verify(data));
