//! The PoW rule and the challenge signature, held to references written here from
//! docs/design.md (bit by bit, plain SHA-256), not to the code under test.

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

use liveauth_protocol::challenge::{ChallengeSigner, SignedFields};
use liveauth_protocol::pow::solver::{SolveControl, SolveOptions, solve};
use liveauth_protocol::pow::{
    MAX_NONCE, format_nonce, meets_target, parse_nonce, target_from_bits, verify_solution,
};
use liveauth_protocol::wire::Nonce;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// `(2^256 - 1) >> bits`, bit by bit: bit i (0 = most significant) is 1 iff i >= bits.
fn reference_target(bits: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    for i in 0..256u32 {
        if i >= bits {
            out[(i / 8) as usize] |= 0x80 >> (i % 8);
        }
    }
    out
}

/// Leading zero bits, bit by bit.
fn reference_leading_zeros(value: &[u8; 32]) -> u32 {
    (0..256u32)
        .take_while(|i| value[(i / 8) as usize] & (0x80 >> (i % 8)) == 0)
        .fold(0, |count, _| count + 1)
}

/// Big-endian `value + delta` (delta ±1); `None` on wrap-around.
fn add_one(value: &[u8; 32], up: bool) -> Option<[u8; 32]> {
    let mut out = *value;
    for byte in out.iter_mut().rev() {
        let (next, carry) = if up {
            byte.overflowing_add(1)
        } else {
            byte.overflowing_sub(1)
        };
        *byte = next;
        if !carry {
            return Some(out);
        }
    }
    None
}

/// Every bits value 0..=256 gives the reference target; 257 is refused.
#[test]
fn target_for_every_bits_value() {
    for bits in 0..=256 {
        assert_eq!(
            target_from_bits(bits).unwrap(),
            reference_target(bits),
            "{bits}"
        );
    }
    assert_eq!(reference_target(16)[..3], [0, 0, 0xff]);
    assert!(target_from_bits(257).is_err());
}

/// At every difficulty: target - 1 is valid, target and target + 1 are not.
#[test]
fn boundaries_around_every_target() {
    for bits in 0..=256 {
        let target = reference_target(bits);
        assert!(
            !meets_target(&target, &target),
            "target itself, {bits} bits"
        );
        if let Some(below) = add_one(&target, false) {
            assert!(meets_target(&below, &target), "target - 1, {bits} bits");
        }
        if let Some(above) = add_one(&target, true) {
            assert!(!meets_target(&above, &target), "target + 1, {bits} bits");
        }
    }
    // 256 bits: target 0, nothing is valid; 0 bits: everything but 2^256 - 1.
    assert!(!meets_target(&[0; 32], &reference_target(256)));
    assert!(meets_target(&[0; 32], &reference_target(0)));
}

fn signed_fields_strategy()
-> impl Strategy<Value = (String, String, String, String, String, u32, i64)> {
    (
        "[a-f0-9-]{0,36}",
        "la_pk_[A-Za-z0-9_]{0,20}",
        "[a-f0-9-]{0,36}",
        "[0-9a-f]{0,64}",
        "[0-9a-f]{64}",
        any::<u32>(),
        any::<i64>(),
    )
}

proptest! {
    /// valid ⇔ at least `bits` leading zero bits and hash ≠ target (docs/design.md).
    #[test]
    fn valid_iff_leading_zeros_and_not_target(hash in any::<[u8; 32]>(), bits in 0u32..=256) {
        let target = reference_target(bits);
        let expected = reference_leading_zeros(&hash) >= bits && hash != target;
        prop_assert_eq!(meets_target(&hash, &target), expected);
    }

    /// Hashes near the boundary, where random hashes almost never land.
    #[test]
    fn valid_iff_near_the_target(bits in 0u32..=255, tail in any::<[u8; 32]>()) {
        let target = reference_target(bits);
        // Exactly `bits` zeros, then a 1 or random bits: straddles the target.
        let mut hash = tail;
        for i in 0..bits {
            hash[(i / 8) as usize] &= !(0x80 >> (i % 8));
        }
        let expected = reference_leading_zeros(&hash) >= bits && hash != target;
        prop_assert_eq!(meets_target(&hash, &target), expected);
    }

    /// The solver's nonce verifies under an independent plain SHA-256 of the message.
    #[test]
    fn solver_nonce_verifies_with_plain_sha256(
        key in "la_pk_[A-Za-z0-9_-]{1,40}",
        challenge in "[0-9a-f]{1,96}",
        bits in 0u32..=16,
        from in 0u64..1_000_000,
    ) {
        let target = reference_target(bits);
        let options = SolveOptions { nonces: from..=MAX_NONCE, ..SolveOptions::default() };
        let found = solve(&key, &challenge, &target, &options, &SolveControl::new()).unwrap();
        prop_assert!(found.nonce >= from);
        let digest: [u8; 32] = Sha256::digest(format!("{key}:{challenge}:{}", found.nonce)).into();
        prop_assert_eq!(digest, found.hash);
        prop_assert!(reference_leading_zeros(&digest) >= bits && digest != target);
        prop_assert!(verify_solution(&key, &challenge, found.nonce, &target));
    }

    /// Canonical nonces round-trip as text and as JSON numbers and strings.
    #[test]
    fn canonical_nonce_round_trip(nonce in prop_oneof![0..=MAX_NONCE, 0u64..1000, Just(MAX_NONCE)]) {
        let text = format_nonce(nonce);
        prop_assert_eq!(&text, &nonce.to_string());
        prop_assert_eq!(parse_nonce(&text), Ok(nonce));
        let from_number: Nonce = serde_json::from_str(&text).unwrap();
        let from_string: Nonce = serde_json::from_value(serde_json::json!(text)).unwrap();
        prop_assert_eq!((from_number.0, from_string.0), (nonce, nonce));
        prop_assert_eq!(serde_json::to_string(&Nonce(nonce)).unwrap(), text);
    }

    /// Non-canonical spellings are refused as text, as JSON strings and (where JSON can
    /// spell them) as JSON numbers.
    #[test]
    fn noncanonical_nonces_are_refused(nonce in 0..=MAX_NONCE, zeros in 1usize..4, pick in 0usize..8) {
        let text = nonce.to_string();
        let spellings = [
            format!("{}{text}", "0".repeat(zeros)),
            format!("+{text}"),
            format!("-{text}"),
            format!(" {text}"),
            format!("{text} "),
            format!("{text}.0"),
            format!("{text}e0"),
            format!("0x{nonce:x}"),
        ];
        let bad = &spellings[pick];
        prop_assert!(parse_nonce(bad).is_err(), "{:?}", bad);
        prop_assert!(serde_json::from_value::<Nonce>(serde_json::json!(bad)).is_err(), "{:?}", bad);
        // As a bare JSON number: floats, exponents and negatives are valid JSON numbers.
        if matches!(pick, 2 | 5 | 6) {
            prop_assert!(serde_json::from_str::<Nonce>(bad).is_err(), "{:?}", bad);
        }
    }

    /// Above 2^53 - 1 is refused in every form.
    #[test]
    fn nonces_above_the_maximum_are_refused(nonce in (MAX_NONCE + 1)..=u64::MAX) {
        let text = nonce.to_string();
        prop_assert!(parse_nonce(&text).is_err());
        prop_assert!(serde_json::from_str::<Nonce>(&text).is_err());
        prop_assert!(serde_json::from_value::<Nonce>(serde_json::json!(text)).is_err());
    }

    /// Changing any single signed field changes the signature and fails verification.
    #[test]
    fn signature_changes_with_any_single_field(
        fields in signed_fields_strategy(),
        secret in any::<[u8; 32]>(),
        which in 0usize..7,
        suffix in "[a-z0-9]{1,4}",
    ) {
        let (project_id, key, quote_id, challenge, target, bits, expires) = fields;
        let original = SignedFields {
            project_id: &project_id,
            project_public_key: &key,
            quote_id: &quote_id,
            challenge_hex: &challenge,
            target_hex: &target,
            difficulty_bits: bits,
            expires_at_unix: expires,
        };
        let changed_text = |s: &str| format!("{s}{suffix}");
        let (a, b, c, d, e) = (
            changed_text(&project_id),
            changed_text(&key),
            changed_text(&quote_id),
            changed_text(&challenge),
            changed_text(&target),
        );
        let tampered = match which {
            0 => SignedFields { project_id: &a, ..original },
            1 => SignedFields { project_public_key: &b, ..original },
            2 => SignedFields { quote_id: &c, ..original },
            3 => SignedFields { challenge_hex: &d, ..original },
            4 => SignedFields { target_hex: &e, ..original },
            5 => SignedFields { difficulty_bits: bits.wrapping_add(1), ..original },
            _ => SignedFields { expires_at_unix: expires.wrapping_add(1), ..original },
        };
        let signer = ChallengeSigner::new(&secret);
        let signature = signer.sign(&original);
        prop_assert!(signer.verify(&original, &signature).is_ok());
        prop_assert_ne!(signer.sign(&tampered), signature.clone());
        prop_assert!(signer.verify(&tampered, &signature).is_err());
    }
}
