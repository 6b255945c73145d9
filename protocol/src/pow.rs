//! The proof-of-work rule, exactly as docs/design.md states it.
//!
//! message = `projectPublicKey ":" challengeHex ":" nonce`, hash = SHA-256(message), and a
//! solution is valid iff hash < target as 32-byte big-endian numbers, where
//! target = `(2^256 - 1) >> difficultyBits`.
//!
//! [`Submission`] is the whole check of a presented solution, written once for the mock's
//! confirm and the MCP server's check before it sends one.

pub mod solver;

use sha2::{Digest, Sha256};

use crate::codec::{self, HexCase, HexError};

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

/// Which hashes a verifier accepts against its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetRule {
    /// `hash < target`: this workspace's strict rule ([`meets_target`]).
    Below,
    /// `hash ≤ target`: the hosted API's and the npm solvers' rule. Our solver's answers
    /// meet both, since they are below.
    AtMost,
}

impl TargetRule {
    /// Whether `hash` is accepted against `target`, both big-endian.
    pub fn accepts(self, hash: &Hash, target: &Hash) -> bool {
        match self {
            Self::Below => hash < target,
            Self::AtMost => hash <= target,
        }
    }
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

/// Why a PoW submission was refused, one variant per check, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    /// The signed difficulty encodes no target: the issuer's fault, not the solver's.
    #[error(transparent)]
    Bits(#[from] BitsError),
    /// The nonce is above [`MAX_NONCE`], so no client can hash it exactly.
    #[error(transparent)]
    Nonce(#[from] NonceError),
    /// The presented `hashHex` is not 32 bytes of hex under the verifier's [`HexCase`].
    #[error("`hashHex`: {error}")]
    HashMalformed {
        /// Why it is not hex.
        error: HexError,
        /// The hash of the submitted message, for a message that shows the right value.
        computed: Hash,
    },
    /// The presented `hashHex` is another hash than the message's.
    #[error(
        "`hashHex` is not SHA-256(projectPublicKey:challengeHex:nonce) = {}",
        codec::encode_hex(computed)
    )]
    HashMismatch {
        /// The hash of the submitted message.
        computed: Hash,
    },
    /// The hash of the message does not meet the target.
    #[error(
        "hash {} is not below the target {}",
        codec::encode_hex(hash),
        codec::encode_hex(target)
    )]
    AboveTarget {
        /// The hash of the submitted message.
        hash: Hash,
        /// The target it had to be below.
        target: Hash,
    },
}

/// A PoW solution as presented for verification: the challenge values it solves and what
/// the client sent.
///
/// `project_public_key` and `difficulty_bits` are the issued (signed) values, never the
/// client's; the target is derived from the bits, never read from `targetHex`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Submission<'a> {
    /// `powChallenge.projectPublicKey`: the first part of the hashed message.
    pub project_public_key: &'a str,
    /// The `challengeHex` hashed: the second part of the message.
    pub challenge_hex: &'a str,
    /// The signed difficulty.
    pub difficulty_bits: u32,
    /// The solving nonce: the last part of the message.
    pub nonce: u64,
    /// The `hashHex` the client sent, if it sent one.
    pub hash_hex: Option<&'a str>,
}

impl Submission<'_> {
    /// Recomputes the hash, compares it with any presented `hashHex` (read under `case`),
    /// and checks it against the target of the signed difficulty. Returns the hash.
    pub fn check(&self, case: HexCase) -> Result<Hash, SubmissionError> {
        let target = target_from_bits(self.difficulty_bits)?;
        self.check_against(&target, case)
    }

    /// As [`Submission::check`], against `target`: for a verifier that also holds the
    /// solution to a stricter target than the bits give (a challenge's `targetHex`).
    pub fn check_against(&self, target: &Hash, case: HexCase) -> Result<Hash, SubmissionError> {
        self.check_with(target, case, TargetRule::Below)
    }

    /// As [`Submission::check_against`], accepting hashes under `rule`.
    pub fn check_with(
        &self,
        target: &Hash,
        case: HexCase,
        rule: TargetRule,
    ) -> Result<Hash, SubmissionError> {
        if self.nonce > MAX_NONCE {
            return Err(NonceError::TooLarge.into());
        }
        let hash = solution_hash(self.project_public_key, self.challenge_hex, self.nonce);
        if let Some(sent) = self.hash_hex {
            let sent = case
                .decode_hex32(sent)
                .map_err(|error| SubmissionError::HashMalformed {
                    error,
                    computed: hash,
                })?;
            if sent != hash {
                return Err(SubmissionError::HashMismatch { computed: hash });
            }
        }
        if !rule.accepts(&hash, target) {
            return Err(SubmissionError::AboveTarget {
                hash,
                target: *target,
            });
        }
        Ok(hash)
    }
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
        assert!(!TargetRule::Below.accepts(&target, &target));
        assert!(TargetRule::AtMost.accepts(&target, &target));
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

    const KEY: &str = "la_pk_demo";
    const CHALLENGE: &str = "00112233445566778899aabbccddeeff";

    /// The first nonce that meets the target of `bits`, and the first that does not.
    fn nonces(bits: u32) -> (u64, u64) {
        let target = target_from_bits(bits).unwrap();
        let meets = |n: &u64| meets_target(&solution_hash(KEY, CHALLENGE, *n), &target);
        let good = (0..).find(meets).unwrap();
        let bad = (0..).find(|n| !meets(n)).unwrap();
        (good, bad)
    }

    fn submission(nonce: u64, hash_hex: Option<&str>) -> Submission<'_> {
        Submission {
            project_public_key: KEY,
            challenge_hex: CHALLENGE,
            difficulty_bits: 8,
            nonce,
            hash_hex,
        }
    }

    #[test]
    fn submission_passes_with_or_without_hash() {
        let (good, _) = nonces(8);
        let hash = solution_hash(KEY, CHALLENGE, good);
        let lower = codec::encode_hex(&hash);
        assert_eq!(submission(good, None).check(HexCase::Lower), Ok(hash));
        assert_eq!(
            submission(good, Some(&lower)).check(HexCase::Lower),
            Ok(hash)
        );
        let upper = lower.to_uppercase();
        assert_eq!(submission(good, Some(&upper)).check(HexCase::Any), Ok(hash));
        assert!(matches!(
            submission(good, Some(&upper)).check(HexCase::Lower),
            Err(SubmissionError::HashMalformed {
                error: HexError::Digit { .. },
                computed,
            }) if computed == hash
        ));
    }

    /// Each check fails with its own variant, in order: bits, nonce, hashHex form,
    /// hashHex value, target.
    #[test]
    fn submission_failures_in_order() {
        let (_, bad) = nonces(8);
        let bad_hash = solution_hash(KEY, CHALLENGE, bad);
        let target = target_from_bits(8).unwrap();
        let bits = Submission {
            difficulty_bits: 257,
            ..submission(MAX_NONCE + 1, Some("x"))
        };
        assert_eq!(
            bits.check(HexCase::Lower),
            Err(SubmissionError::Bits(BitsError(257)))
        );
        assert_eq!(
            submission(MAX_NONCE + 1, Some("x")).check(HexCase::Lower),
            Err(SubmissionError::Nonce(NonceError::TooLarge))
        );
        let malformed = SubmissionError::HashMalformed {
            error: HexError::Length(1),
            computed: bad_hash,
        };
        assert_eq!(
            submission(bad, Some("x")).check(HexCase::Lower),
            Err(malformed)
        );
        let other = codec::encode_hex(&[0; 32]);
        assert_eq!(
            submission(bad, Some(&other)).check(HexCase::Lower),
            Err(SubmissionError::HashMismatch { computed: bad_hash })
        );
        let above = SubmissionError::AboveTarget {
            hash: bad_hash,
            target,
        };
        assert_eq!(
            submission(bad, Some(&codec::encode_hex(&bad_hash))).check(HexCase::Lower),
            Err(above)
        );
        assert_eq!(submission(bad, None).check(HexCase::Any), Err(above));
        assert_eq!(
            above.to_string(),
            format!(
                "hash {} is not below the target {}",
                codec::encode_hex(&bad_hash),
                codec::encode_hex(&target)
            )
        );
        assert_eq!(
            SubmissionError::HashMismatch { computed: bad_hash }.to_string(),
            format!(
                "`hashHex` is not SHA-256(projectPublicKey:challengeHex:nonce) = {}",
                codec::encode_hex(&bad_hash)
            )
        );
        assert_eq!(
            malformed.to_string(),
            "`hashHex`: expected 64 hex characters, got 1"
        );
    }

    /// `check_against` holds the solution to the given target, not the bits' one.
    #[test]
    fn submission_against_a_stricter_target() {
        let (good, _) = nonces(8);
        let hash = solution_hash(KEY, CHALLENGE, good);
        assert_eq!(
            submission(good, None).check_against(&hash, HexCase::Lower),
            Err(SubmissionError::AboveTarget { hash, target: hash })
        );
        let loose = target_from_bits(0).unwrap();
        assert_eq!(
            submission(good, None).check_against(&loose, HexCase::Lower),
            Ok(hash)
        );
    }

    #[test]
    fn leading_zeros() {
        assert_eq!(leading_zero_bits(&[0; 32]), 256);
        assert_eq!(leading_zero_bits(&target_from_bits(18).unwrap()), 18);
        assert_eq!(leading_zero_bits(&[0xff; 32]), 0);
    }
}
