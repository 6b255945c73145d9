//! The challenge signature: an HMAC-SHA256 that binds a PoW challenge to its quote, so a
//! verifier can trust the challenge's fields without storing them, and nobody can lower
//! the difficulty, move the expiry or reuse a challenge for another quote or project.
//!
//! [`ChallengeSigner`] (the strict format) covers a version tag and every field, each
//! preceded by its length (u32 big-endian), so no two distinct field tuples encode to the
//! same bytes. [`HostedChallengeSigner`] is the hosted API's format (facts §2.3): lowercase
//! hex HMAC-SHA256 over `{projectId}:{challengeHex}:{difficultyBits}:{expiresAtUnix}`,
//! which binds neither the quote, the target nor the public key; the mock's hosted profile
//! signs with it so clients meet the signatures production sends.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::codec;
use crate::wire::PowChallenge;

/// Domain separation: a MAC made for anything else, or for another version of this
/// encoding, never verifies here.
const VERSION_TAG: &[u8] = b"liveauth/pow-challenge/v1";

/// The signed fields of a PoW challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedFields<'a> {
    pub project_id: &'a str,
    pub project_public_key: &'a str,
    pub quote_id: &'a str,
    pub challenge_hex: &'a str,
    pub target_hex: &'a str,
    pub difficulty_bits: u32,
    pub expires_at_unix: i64,
}

impl<'a> SignedFields<'a> {
    /// The fields of `challenge`, issued for the quote `quote_id`: what the issuer signs
    /// and, from the stored challenge, what a verifier checks `sig` against.
    pub fn new(quote_id: &'a str, challenge: &'a PowChallenge) -> Self {
        Self {
            project_id: &challenge.project_id,
            project_public_key: &challenge.project_public_key,
            quote_id,
            challenge_hex: &challenge.challenge_hex,
            target_hex: &challenge.target_hex,
            difficulty_bits: challenge.difficulty_bits,
            expires_at_unix: challenge.expires_at_unix,
        }
    }

    /// The unambiguous byte encoding the MAC is computed over.
    pub fn encode(&self) -> Vec<u8> {
        let difficulty = self.difficulty_bits.to_be_bytes();
        let expires = self.expires_at_unix.to_be_bytes();
        let fields: [&[u8]; 8] = [
            VERSION_TAG,
            self.project_id.as_bytes(),
            self.project_public_key.as_bytes(),
            self.quote_id.as_bytes(),
            self.challenge_hex.as_bytes(),
            self.target_hex.as_bytes(),
            &difficulty,
            &expires,
        ];
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
        for field in fields {
            // Wire fields are bounded far below 4 GiB by the request size limit; saturating
            // keeps the encoding total anyway (such a field would just never verify).
            let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }
}

/// Why a signature was refused. Deliberately coarse: a verifier learns nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature is not 32 bytes in the signer's encoding")]
    Malformed,
    #[error("signature does not match the challenge")]
    Mismatch,
}

/// Signs and verifies challenges under a server secret.
#[derive(Clone)]
pub struct ChallengeSigner {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for ChallengeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeSigner { .. }")
    }
}

impl ChallengeSigner {
    pub fn new(secret: &[u8; 32]) -> Self {
        // HMAC takes keys of any length; a 32-byte key cannot be refused.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        Self { mac }
    }

    fn tag(&self, fields: &SignedFields<'_>) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(&fields.encode());
        mac
    }

    /// base64url (no padding) of the 32-byte MAC.
    pub fn sign(&self, fields: &SignedFields<'_>) -> String {
        codec::encode_base64url(&self.tag(fields).finalize().into_bytes())
    }

    /// Checks `signature` in constant time.
    pub fn verify(&self, fields: &SignedFields<'_>, signature: &str) -> Result<(), SignatureError> {
        let bytes = codec::decode_base64url(signature).map_err(|_| SignatureError::Malformed)?;
        if bytes.len() != 32 {
            return Err(SignatureError::Malformed);
        }
        self.tag(fields)
            .verify_slice(&bytes)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// The hosted API's challenge signature (`PowChallengeSigner`): lowercase hex
/// HMAC-SHA256, keyed by the UTF-8 secret, over
/// `{projectId}:{challengeHex}:{difficultyBits}:{expiresAtUnix}`.
#[derive(Clone)]
pub struct HostedChallengeSigner {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for HostedChallengeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostedChallengeSigner { .. }")
    }
}

impl HostedChallengeSigner {
    pub fn new(secret: &[u8]) -> Self {
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        Self { mac }
    }

    fn tag(
        &self,
        project_id: &str,
        challenge_hex: &str,
        difficulty_bits: u32,
        expires_at_unix: i64,
    ) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        let message = format!("{project_id}:{challenge_hex}:{difficulty_bits}:{expires_at_unix}");
        mac.update(message.as_bytes());
        mac
    }

    /// 64 lowercase hex digits.
    pub fn sign(
        &self,
        project_id: &str,
        challenge_hex: &str,
        difficulty_bits: u32,
        expires_at_unix: i64,
    ) -> String {
        let tag = self.tag(project_id, challenge_hex, difficulty_bits, expires_at_unix);
        codec::encode_hex(&tag.finalize().into_bytes())
    }

    /// Checks `signature` in constant time; hex of either case is read, as the hosted
    /// verifier lowercases what it is sent.
    pub fn verify(
        &self,
        project_id: &str,
        challenge_hex: &str,
        difficulty_bits: u32,
        expires_at_unix: i64,
        signature: &str,
    ) -> Result<(), SignatureError> {
        let bytes =
            codec::decode_hex32_any_case(signature).map_err(|_| SignatureError::Malformed)?;
        self.tag(project_id, challenge_hex, difficulty_bits, expires_at_unix)
            .verify_slice(&bytes)
            .map_err(|_| SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Facts §2.10's worked example of the hosted signature.
    #[test]
    fn hosted_signature_matches_the_worked_example() {
        let signer = HostedChallengeSigner::new(b"example-pow-hmac-secret");
        let (project, challenge) = (
            "00000000-0000-0000-0000-000000000002",
            "0123456789abcdef0123456789abcdef",
        );
        let expected = "d81ce9a5ecd925e924bf5da042d25b923f39d9d4743bc7fd4156357e1662442e";
        assert_eq!(signer.sign(project, challenge, 18, 1_790_000_000), expected);
        assert_eq!(
            signer.verify(project, challenge, 18, 1_790_000_000, expected),
            Ok(())
        );
        assert_eq!(
            signer.verify(
                project,
                challenge,
                18,
                1_790_000_000,
                &expected.to_uppercase()
            ),
            Ok(())
        );
        assert_eq!(
            signer.verify(project, challenge, 17, 1_790_000_000, expected),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            signer.verify(project, challenge, 18, 1_790_000_000, "zz"),
            Err(SignatureError::Malformed)
        );
    }

    const FIELDS: SignedFields<'static> = SignedFields {
        project_id: "proj",
        project_public_key: "la_pk_demo",
        quote_id: "q1",
        challenge_hex: "abcd",
        target_hex: "0fff",
        difficulty_bits: 4,
        expires_at_unix: 1_700_000_000,
    };

    #[test]
    fn fields_of_a_challenge() {
        let challenge = PowChallenge {
            project_id: FIELDS.project_id.into(),
            project_public_key: FIELDS.project_public_key.into(),
            challenge_hex: FIELDS.challenge_hex.into(),
            target_hex: FIELDS.target_hex.into(),
            difficulty_bits: FIELDS.difficulty_bits,
            expires_at_unix: FIELDS.expires_at_unix,
            signature: "not signed".into(),
        };
        assert_eq!(SignedFields::new(FIELDS.quote_id, &challenge), FIELDS);
    }

    #[test]
    fn sign_then_verify() {
        let signer = ChallengeSigner::new(&[7; 32]);
        let signature = signer.sign(&FIELDS);
        assert_eq!(signature.len(), 43);
        assert_eq!(signer.verify(&FIELDS, &signature), Ok(()));
        assert_eq!(
            ChallengeSigner::new(&[8; 32]).verify(&FIELDS, &signature),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn moving_bytes_between_adjacent_fields_changes_the_mac() {
        let signer = ChallengeSigner::new(&[7; 32]);
        let original = signer.sign(&FIELDS);
        let shifted = [
            SignedFields {
                project_id: "pro",
                project_public_key: "jla_pk_demo",
                ..FIELDS
            },
            SignedFields {
                project_public_key: "la_pk_demoq",
                quote_id: "1",
                ..FIELDS
            },
            SignedFields {
                quote_id: "q1a",
                challenge_hex: "bcd",
                ..FIELDS
            },
            SignedFields {
                challenge_hex: "abc",
                target_hex: "d0fff",
                ..FIELDS
            },
        ];
        for fields in shifted {
            // The concatenation of the string fields is unchanged; only the split moved.
            assert_eq!(concat(&fields), concat(&FIELDS));
            assert_ne!(signer.sign(&fields), original, "{fields:?}");
            assert_eq!(
                signer.verify(&fields, &original),
                Err(SignatureError::Mismatch)
            );
        }
    }

    fn concat(f: &SignedFields<'_>) -> String {
        [
            f.project_id,
            f.project_public_key,
            f.quote_id,
            f.challenge_hex,
            f.target_hex,
        ]
        .concat()
    }

    #[test]
    fn malformed_signatures_are_typed_errors() {
        let signer = ChallengeSigner::new(&[7; 32]);
        let good = signer.sign(&FIELDS);
        for bad in [
            "",
            "!!!!",
            "abc",
            &good[..42],
            &format!("{good}A"),
            &format!("{good}="),
        ] {
            assert_eq!(
                signer.verify(&FIELDS, bad),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        let mut flipped = good.into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            signer.verify(&FIELDS, &flipped),
            Err(SignatureError::Mismatch)
        );
    }
}
