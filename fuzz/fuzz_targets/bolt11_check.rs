#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| liveauth_mcp::invoice_check::fuzzing::bolt11_check(data));
