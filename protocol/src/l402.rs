//! L402 proper: the identifier aperture puts in an L402 macaroon, and the check that a
//! preimage pays its invoice.
//!
//! The header values L402 travels in are [`crate::auth`]'s `Credential` and `Challenge`.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::macaroon::Macaroon;

/// Length of an encoded [`L402Identifier`]: u16 version, payment hash, token id.
pub const L402_IDENTIFIER_LEN: usize = 2 + 32 + 32;

/// Why an L402 macaroon identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L402IdentifierError {
    /// Not 66 bytes.
    #[error("L402 identifier must be {L402_IDENTIFIER_LEN} bytes, got {0}")]
    WrongLength(usize),
    /// A version other than 0.
    #[error("unsupported L402 identifier version {0}")]
    UnsupportedVersion(u16),
}

/// The identifier of an L402 macaroon, aperture's layout:
/// big-endian u16 version (0) ‖ payment hash ‖ token id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct L402Identifier {
    version: u16,
    payment_hash: [u8; 32],
    token_id: [u8; 32],
}

impl L402Identifier {
    /// A version-0 identifier.
    pub fn new(payment_hash: [u8; 32], token_id: [u8; 32]) -> Self {
        Self {
            version: 0,
            payment_hash,
            token_id,
        }
    }

    /// Always 0: other versions are rejected on decode.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The invoice's payment hash, sha256 of the preimage.
    pub fn payment_hash(&self) -> &[u8; 32] {
        &self.payment_hash
    }

    /// The random token id.
    pub fn token_id(&self) -> &[u8; 32] {
        &self.token_id
    }

    /// The 66-byte encoding.
    pub fn encode(&self) -> [u8; L402_IDENTIFIER_LEN] {
        let mut out = [0; L402_IDENTIFIER_LEN];
        let (version, rest) = out.split_at_mut(2);
        let (hash, token) = rest.split_at_mut(32);
        version.copy_from_slice(&self.version.to_be_bytes());
        hash.copy_from_slice(&self.payment_hash);
        token.copy_from_slice(&self.token_id);
        out
    }

    /// Decodes exactly 66 bytes with version 0.
    pub fn decode(bytes: &[u8]) -> Result<Self, L402IdentifierError> {
        let fixed: &[u8; L402_IDENTIFIER_LEN] = bytes
            .try_into()
            .map_err(|_| L402IdentifierError::WrongLength(bytes.len()))?;
        let [v0, v1, rest @ ..] = *fixed;
        let version = u16::from_be_bytes([v0, v1]);
        let (hash, token) = rest.split_at(32);
        if version != 0 {
            return Err(L402IdentifierError::UnsupportedVersion(version));
        }
        let mut payment_hash = [0; 32];
        payment_hash.copy_from_slice(hash);
        let mut token_id = [0; 32];
        token_id.copy_from_slice(token);
        Ok(Self {
            version,
            payment_hash,
            token_id,
        })
    }

    /// Decodes the identifier of an L402 macaroon.
    pub fn from_macaroon(macaroon: &Macaroon) -> Result<Self, L402IdentifierError> {
        Self::decode(macaroon.identifier())
    }
}

/// `sha256(preimage) == payment_hash`, compared in constant time.
pub fn preimage_matches(preimage: &[u8; 32], payment_hash: &[u8; 32]) -> bool {
    let digest: [u8; 32] = Sha256::digest(preimage).into();
    digest.ct_eq(payment_hash).into()
}

/// Round-trip properties as plain functions: they panic only when a property is
/// violated. The proptests and the fuzz targets call them. Not API (the `fuzzing`
/// feature, or this crate's own tests).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use super::L402Identifier;
    use crate::auth::{Challenge, Credential};
    use crate::macaroon::Macaroon;

    /// Any bytes: whatever parses as a credential, challenge or L402 identifier formats
    /// back to a value that parses to the same thing.
    pub fn auth_header(data: &[u8]) {
        if let Ok(id) = L402Identifier::decode(data) {
            assert_eq!(
                id.encode().as_slice(),
                data,
                "identifier re-encoding differs"
            );
        }
        let Ok(value) = std::str::from_utf8(data) else {
            return;
        };
        if let Ok(credential) = Credential::parse(value) {
            credential_roundtrip(&credential);
        }
        if let Ok(challenge) = Challenge::parse(value) {
            challenge_roundtrip(&challenge);
        }
    }

    /// `Credential::parse(c.to_string()) == c`.
    pub fn credential_roundtrip(credential: &Credential) {
        let formatted = credential.to_string();
        match Credential::parse(&formatted) {
            Ok(parsed) => assert!(
                parsed == *credential,
                "{formatted:?} parsed to a different value"
            ),
            Err(e) => panic!("formatted credential {formatted:?} does not parse: {e}"),
        }
    }

    /// `Challenge::parse(c.to_string()) == c`.
    pub fn challenge_roundtrip(challenge: &Challenge) {
        let formatted = challenge.to_string();
        match Challenge::parse(&formatted) {
            Ok(parsed) => assert_eq!(&parsed, challenge, "{formatted:?}"),
            Err(e) => panic!("formatted challenge {formatted:?} does not parse: {e}"),
        }
    }

    /// Any bytes: decoding never panics, a decoded macaroon re-encodes to the same bytes,
    /// and verification of it does not panic either. Text input is also tried as base64.
    pub fn macaroon(data: &[u8]) {
        if let Ok(m) = Macaroon::from_binary(data) {
            assert_eq!(m.to_binary(), data, "binary re-encoding differs");
            macaroon_roundtrip(&m);
            let _ = m.verify(b"fuzz root key", |p| p.first() != Some(&b'!'));
        }
        if let Ok(text) = std::str::from_utf8(data)
            && let Ok(m) = Macaroon::from_base64(text)
        {
            macaroon_roundtrip(&m);
        }
    }

    /// `from_binary(to_binary(m)) == m` and `from_base64(to_base64(m)) == m`.
    pub fn macaroon_roundtrip(m: &Macaroon) {
        let binary = m.to_binary();
        assert_eq!(
            Macaroon::from_binary(&binary).as_ref(),
            Ok(m),
            "binary round trip"
        );
        assert_eq!(
            Macaroon::from_base64(&m.to_base64()).as_ref(),
            Ok(m),
            "base64 round trip"
        );
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An L402 macaroon as the mock mints one (identifier, one caveat).
    pub(crate) fn sample_macaroon() -> Macaroon {
        let id = L402Identifier::new([0x11; 32], [0x22; 32]);
        let mut m = Macaroon::new(b"root", id.encode(), Some(b"liveauth"));
        m.add_first_party_caveat("services=demo:0");
        m
    }

    /// The identifier layout is aperture's: u16 BE version, hash, token id.
    #[test]
    fn identifier_layout() {
        let id = L402Identifier::new([1; 32], [2; 32]);
        let bytes = id.encode();
        assert_eq!(&bytes[..2], &[0, 0]);
        assert_eq!(&bytes[2..34], &[1; 32]);
        assert_eq!(&bytes[34..], &[2; 32]);
        assert_eq!(L402Identifier::decode(&bytes), Ok(id));
        assert_eq!(
            L402Identifier::from_macaroon(&sample_macaroon())
                .unwrap()
                .token_id(),
            &[0x22; 32]
        );
        assert_eq!(
            L402Identifier::decode(&bytes[1..]),
            Err(L402IdentifierError::WrongLength(65))
        );
        let mut v1 = bytes;
        v1[1] = 1;
        assert_eq!(
            L402Identifier::decode(&v1),
            Err(L402IdentifierError::UnsupportedVersion(1))
        );
    }

    /// sha256 of the preimage must equal the payment hash.
    #[test]
    fn preimage_check() {
        let preimage = [7u8; 32];
        let hash: [u8; 32] = Sha256::digest(preimage).into();
        assert!(preimage_matches(&preimage, &hash));
        assert!(!preimage_matches(&[8; 32], &hash));
    }
}
