#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| liveauth_protocol::bundle::fuzzing::bundle_macaroon(data));
