//! Properties of the PoW rule: target math, nonce round trips, and agreement between the
//! midstate solver and a plain SHA-256 verifier.

use liveauth_protocol::codec::{decode_hex32, encode_hex};
use liveauth_protocol::pow::solver::{Midstate, SolveControl, SolveOptions, solve};
use liveauth_protocol::pow::{
    MAX_NONCE, format_nonce, leading_zero_bits, meets_target, message_prefix, parse_nonce,
    target_from_bits, verify_solution,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

proptest! {
    /// The target has exactly `bits` leading zero bits and ones after them.
    #[test]
    fn target_has_bits_leading_zeros_then_ones(bits in 0u32..=256) {
        let target = target_from_bits(bits).unwrap();
        prop_assert_eq!(leading_zero_bits(&target), bits);
        let ones: u32 = target.iter().map(|b| b.count_ones()).sum();
        prop_assert_eq!(ones, 256 - bits);
    }

    /// valid ⇔ at least `bits` leading zeros and not equal to the target.
    #[test]
    fn strict_rule_matches_leading_zeros(hash in any::<[u8; 32]>(), bits in 0u32..=256) {
        let target = target_from_bits(bits).unwrap();
        let expected = leading_zero_bits(&hash) >= bits && hash != target;
        prop_assert_eq!(meets_target(&hash, &target), expected);
    }

    #[test]
    fn hex_round_trip(value in any::<[u8; 32]>()) {
        prop_assert_eq!(decode_hex32(&encode_hex(&value)).unwrap(), value);
    }

    #[test]
    fn nonce_round_trip(nonce in 0..=MAX_NONCE) {
        prop_assert_eq!(parse_nonce(&format_nonce(nonce)), Ok(nonce));
    }

    /// Whatever parses is canonical: formatting it gives back the same text.
    #[test]
    fn parsed_nonces_are_canonical(text in "\\PC{0,20}|[0-9]{1,18}") {
        if let Ok(nonce) = parse_nonce(&text) {
            prop_assert_eq!(format_nonce(nonce), text);
            prop_assert!(nonce <= MAX_NONCE);
        }
    }

    /// The solver's nonce verifies under an independent plain SHA-256.
    #[test]
    fn solver_and_verifier_agree(
        key in "la_pk_[a-z0-9]{0,40}",
        challenge in "[0-9a-f]{0,80}",
        bits in 0u32..=12,
    ) {
        let target = target_from_bits(bits).unwrap();
        let found = solve(&key, &challenge, &target, &SolveOptions::default(), &SolveControl::new())
            .unwrap();
        let plain: [u8; 32] = Sha256::digest(format!("{key}:{challenge}:{}", found.nonce)).into();
        prop_assert_eq!(plain, found.hash);
        prop_assert!(verify_solution(&key, &challenge, found.nonce, &target));
    }

    /// The midstate path equals plain SHA-256 for any prefix and nonce.
    #[test]
    fn midstate_hash_equals_digest(prefix in "\\PC{0,150}", nonce in 0..=MAX_NONCE) {
        let plain: [u8; 32] = Sha256::digest(format!("{prefix}{nonce}")).into();
        prop_assert_eq!(Midstate::new(prefix.as_bytes()).hash(nonce), Some(plain));
    }
}

#[test]
fn message_prefix_is_key_colon_challenge_colon() {
    assert_eq!(message_prefix("la_pk_x", "ab"), "la_pk_x:ab:");
}
