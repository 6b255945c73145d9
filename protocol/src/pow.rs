//! The proof-of-work rule, exactly as DESIGN.md states it.
//!
//! message = `projectPublicKey ":" challengeHex ":" nonce`, hash = SHA-256(message), and a
//! solution is valid iff hash < target as 32-byte big-endian numbers, where
//! target = `(2^256 - 1) >> difficultyBits`.

pub mod solver;

use sha2::{Digest, Sha256};

use crate::codec;

/// [`codec::decode_hex32`] at its older path; see [`encode_hex32`].
pub use crate::codec::decode_hex32;

/// The largest nonce: 2^53 - 1, so JSON clients in every language keep it exact.
pub const MAX_NONCE: u64 = (1 << 53) - 1;

/// The most difficulty bits a target can encode (target 0: nothing is valid).
pub const MAX_DIFFICULTY_BITS: u32 = 256;

/// A SHA-256 hash or a target: a 32-byte big-endian number.
pub type Hash = [u8; 32];

/// Why a nonce was refused. The rule: canonical decimal, no sign, no leading zeros
/// ("0" itself is fine), at most [`MAX_NONCE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    #[error("nonce is empty")]
    Empty,
    #[error("nonce must be plain decimal digits 0-9 (no sign, space, exponent or prefix)")]
    NotDigits,
    #[error("nonce must not have leading zeros")]
    LeadingZero,
    #[error("nonce is above the maximum 9007199254740991 (2^53-1)")]
    TooLarge,
}

/// Why difficulty bits were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("difficulty bits must be 0..=256, got {0}")]
pub struct BitsError(pub u32);

/// `(2^256 - 1) >> bits`: `bits` leading zero bits followed by ones.
pub fn target_from_bits(bits: u32) -> Result<Hash, BitsError> {
    if bits > MAX_DIFFICULTY_BITS {
        return Err(BitsError(bits));
    }
    let mut target = [0xff; 32];
    let (zero_bytes, rest_bits) = ((bits / 8) as usize, bits % 8);
    target[..zero_bytes.min(32)].fill(0);
    if let Some(byte) = target.get_mut(zero_bytes) {
        *byte = 0xff >> rest_bits;
    }
    Ok(target)
}

/// The strict rule: `hash < target`, both big-endian (byte arrays compare that way).
pub fn meets_target(hash: &Hash, target: &Hash) -> bool {
    hash < target
}

/// Leading zero bits of a 32-byte value (256 for zero).
pub fn leading_zero_bits(value: &Hash) -> u32 {
    let mut bits = 0;
    for &byte in value {
        bits += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    bits
}

/// 64 lowercase hex characters: [`codec::encode_hex`] under its older name.
///
/// Kept, with [`decode_hex32`], for callers not yet moved to [`crate::codec`]
/// (`server/src/tools.rs`, `server/src/solve.rs`, tests, benches, conformance).
pub fn encode_hex32(value: &Hash) -> String {
    codec::encode_hex(value)
}

/// The canonical decimal form of a nonce.
pub fn format_nonce(nonce: u64) -> String {
    nonce.to_string()
}

/// Parses a canonical decimal nonce (see [`NonceError`] for the rule).
pub fn parse_nonce(text: &str) -> Result<u64, NonceError> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(NonceError::Empty);
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(NonceError::NotDigits);
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return Err(NonceError::LeadingZero);
    }
    // 17 digits already exceed MAX_NONCE; checking the length first keeps the fold exact.
    if bytes.len() > 16 {
        return Err(NonceError::TooLarge);
    }
    let value = bytes
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    if value > MAX_NONCE {
        return Err(NonceError::TooLarge);
    }
    Ok(value)
}

/// The constant part of every message for one challenge: `projectPublicKey:challengeHex:`.
pub fn message_prefix(project_public_key: &str, challenge_hex: &str) -> String {
    format!("{project_public_key}:{challenge_hex}:")
}

/// SHA-256 of the full message, computed plainly (the reference the solver is held to).
pub fn solution_hash(project_public_key: &str, challenge_hex: &str, nonce: u64) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(message_prefix(project_public_key, challenge_hex));
    hasher.update(format_nonce(nonce));
    hasher.finalize().into()
}

/// Whether `nonce` solves the challenge for `target`.
pub fn verify_solution(
    project_public_key: &str,
    challenge_hex: &str,
    nonce: u64,
    target: &Hash,
) -> bool {
    nonce <= MAX_NONCE
        && meets_target(
            &solution_hash(project_public_key, challenge_hex, nonce),
            target,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_examples() {
        let hex = |bits| codec::encode_hex(&target_from_bits(bits).unwrap());
        assert_eq!(hex(0), "f".repeat(64));
        assert_eq!(hex(16), format!("0000{}", "f".repeat(60)));
        assert_eq!(hex(18), format!("00003{}", "f".repeat(59)));
        assert_eq!(target_from_bits(256).unwrap(), [0; 32]);
        assert_eq!(target_from_bits(257), Err(BitsError(257)));
    }

    #[test]
    fn strict_comparison() {
        let target = target_from_bits(16).unwrap();
        assert!(!meets_target(&target, &target));
        let mut below = target;
        below[31] = 0xfe;
        assert!(meets_target(&below, &target));
        let mut above = target;
        above[1] = 0x01;
        above[2] = 0x00;
        assert!(!meets_target(&above, &target));
    }

    #[test]
    fn nonce_rule() {
        for ok in ["0", "1", "10", "9007199254740991"] {
            assert_eq!(format_nonce(parse_nonce(ok).unwrap()), ok);
        }
        let cases = [
            ("", NonceError::Empty),
            ("05", NonceError::LeadingZero),
            ("00", NonceError::LeadingZero),
            ("+5", NonceError::NotDigits),
            ("-5", NonceError::NotDigits),
            (" 5", NonceError::NotDigits),
            ("5 ", NonceError::NotDigits),
            ("1e3", NonceError::NotDigits),
            ("0x5", NonceError::NotDigits),
            ("5.0", NonceError::NotDigits),
            ("٣", NonceError::NotDigits),
            ("９", NonceError::NotDigits),
            ("9007199254740992", NonceError::TooLarge),
            ("99999999999999999999999", NonceError::TooLarge),
        ];
        for (text, error) in cases {
            assert_eq!(parse_nonce(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn leading_zeros() {
        assert_eq!(leading_zero_bits(&[0; 32]), 256);
        assert_eq!(leading_zero_bits(&target_from_bits(18).unwrap()), 18);
        assert_eq!(leading_zero_bits(&[0xff; 32]), 0);
    }
}
