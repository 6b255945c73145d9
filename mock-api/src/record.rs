//! The compact form a quote takes inside [`crate::store::MemoryStore`]: what a flood of
//! PoW starts costs is this record, so it holds bytes, not text (issue 12, fault 2).
//!
//! A [`Quote`] as handlers see it repeats its project's id and key in the challenge,
//! writes every hash as hex and carries the challenge's signature: about 860 bytes in a
//! map. The record keeps the UUID as 16 bytes (it is the map key), the project as an
//! index into the store's project table, the challenge as its bytes, and drops what can
//! be derived: the target (from the difficulty), the challenge's project fields and
//! expiry (the quote's), and the signature (a MAC of the other fields, recomputed when a
//! confirm verifies one; a quote read back has it empty). A PoW quote is then
//! [`StoredQuote`] and its key, with no heap at all ([`StoredQuote::footprint`]).
//! Lightning quotes keep their invoice text, boxed, and are capped by count.

use liveauth_protocol::codec::{encode_hex, format_uuid};
use liveauth_protocol::pow::target_from_bits;
use liveauth_protocol::wire::PowChallenge;

use crate::store::{LightningQuote, Quote, QuoteKind, QuoteOrigin};

/// A quote's (or a session's) UUID as bytes.
pub(crate) type Uuid = [u8; 16];

/// The 16 bytes of a UUID in canonical form (lowercase 8-4-4-4-12); anything else is
/// `None`, so a lookup finds exactly the ids the mock wrote.
pub(crate) fn parse_uuid(text: &str) -> Option<Uuid> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let mut digits = bytes.iter().filter(|&&b| b != b'-');
    let mut out = [0; 16];
    for byte in &mut out {
        let high = lower_hex_digit(*digits.next()?)?;
        let low = lower_hex_digit(*digits.next()?)?;
        *byte = (high << 4) | low;
    }
    Some(out)
}

fn lower_hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// A quote as the memory store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredQuote {
    pub created_at: i64,
    pub expires_at: i64,
    confirmed_session: Option<Uuid>,
    /// Index into the store's project table.
    pub project: u16,
    pub origin: QuoteOrigin,
    pub kind: StoredKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredKind {
    Pow {
        /// The challenge bytes (16 in hosted, 32 in strict), left-aligned.
        challenge: [u8; 32],
        challenge_len: u8,
        difficulty_bits: u16,
    },
    /// Boxed: a PoW record stays small, and a Lightning quote is rare next to it.
    Lightning(Box<LightningQuote>),
    /// A `forceL402` quote: confirmed with a bundle macaroon, nothing to keep.
    L402Bundle,
}

impl StoredQuote {
    /// The record of `quote` (of project `project` in the store's table), or `None` if it
    /// is not in the form the mock writes (then it could not be read back as it was).
    pub(crate) fn compact(quote: &Quote, project: u16) -> Option<(Uuid, Self)> {
        let kind = match &quote.kind {
            QuoteKind::Pow(challenge) => compact_challenge(quote, challenge)?,
            QuoteKind::Lightning(ln) => StoredKind::Lightning(Box::new(ln.clone())),
            QuoteKind::L402Bundle => StoredKind::L402Bundle,
        };
        let confirmed_session = match &quote.confirmed_session {
            Some(id) => Some(parse_uuid(id)?),
            None => None,
        };
        let record = Self {
            created_at: quote.created_at,
            expires_at: quote.expires_at,
            confirmed_session,
            project,
            origin: quote.origin,
            kind,
        };
        Some((parse_uuid(&quote.id)?, record))
    }

    /// The quote back, given its id and its project's id and key.
    pub(crate) fn expand(&self, id: &Uuid, project_id: &str, project_public_key: &str) -> Quote {
        let kind = match &self.kind {
            StoredKind::Pow {
                challenge,
                challenge_len,
                difficulty_bits,
            } => QuoteKind::Pow(PowChallenge {
                project_id: project_id.to_owned(),
                project_public_key: project_public_key.to_owned(),
                challenge_hex: encode_hex(&challenge[..usize::from(*challenge_len)]),
                target_hex: target_hex(u32::from(*difficulty_bits)).unwrap_or_default(),
                difficulty_bits: u32::from(*difficulty_bits),
                expires_at_unix: self.expires_at,
                signature: String::new(),
            }),
            StoredKind::Lightning(ln) => QuoteKind::Lightning(LightningQuote::clone(ln)),
            StoredKind::L402Bundle => QuoteKind::L402Bundle,
        };
        Quote {
            id: format_uuid(id),
            project_id: project_id.to_owned(),
            project_public_key: project_public_key.to_owned(),
            created_at: self.created_at,
            expires_at: self.expires_at,
            kind,
            confirmed_session: self.confirmed_session.as_ref().map(format_uuid),
            origin: self.origin,
        }
    }

    pub(crate) fn lightning(&self) -> Option<&LightningQuote> {
        match &self.kind {
            StoredKind::Lightning(ln) => Some(ln),
            StoredKind::Pow { .. } | StoredKind::L402Bundle => None,
        }
    }

    /// Bytes this record occupies in a map keyed by its id, allocator overhead included
    /// (each allocation rounded as glibc's malloc does: 16-byte steps, 32 at least, plus
    /// 8 of header), at a map load of 7/16: the worst a hashbrown map sits at, just after
    /// it doubled from its full 7/8, so at any load it is at most this.
    pub(crate) fn footprint(&self) -> usize {
        let slot = std::mem::size_of::<(Uuid, Self)>() + 1; // + hashbrown's control byte
        slot * 16 / 7 + self.heap_bytes()
    }

    fn heap_bytes(&self) -> usize {
        let Some(ln) = self.lightning() else { return 0 };
        let invoice = &ln.invoice;
        allocation(std::mem::size_of::<LightningQuote>())
            + allocation(invoice.bolt11.len())
            + allocation(invoice.payment_hash.len())
    }
}

/// Size of a heap allocation of `n` bytes under glibc's malloc.
fn allocation(n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    ((n + 8).div_ceil(16) * 16).max(32)
}

fn target_hex(bits: u32) -> Option<String> {
    target_from_bits(bits)
        .ok()
        .map(|target| encode_hex(&target))
}

/// The PoW part of a record, if the challenge is what a start writes: its project and
/// expiry the quote's, its target the difficulty's, its hex canonical.
fn compact_challenge(quote: &Quote, challenge: &PowChallenge) -> Option<StoredKind> {
    let difficulty_bits = u16::try_from(challenge.difficulty_bits).ok()?;
    let text = challenge.challenge_hex.as_bytes();
    let len = text.len() / 2;
    if !text.len().is_multiple_of(2) || len > 32 {
        return None;
    }
    let mut bytes = [0; 32];
    for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (lower_hex_digit(pair[0])? << 4) | lower_hex_digit(pair[1])?;
    }
    let derivable = challenge.project_id == quote.project_id
        && challenge.project_public_key == quote.project_public_key
        && challenge.expires_at_unix == quote.expires_at
        && target_hex(challenge.difficulty_bits).as_deref() == Some(&challenge.target_hex);
    derivable.then_some(StoredKind::Pow {
        challenge: bytes,
        challenge_len: u8::try_from(len).ok()?,
        difficulty_bits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_only_in_canonical_form() {
        let id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
        let bytes = parse_uuid(id).unwrap();
        assert_eq!(format_uuid(&bytes), id);
        for bad in [
            "0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0",
            "0f1e2d3c4b5a49688776a5b4c3d2e1f0",
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f",
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1fg",
            "",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    /// A PoW quote as a start makes it comes back identical but for the signature, and
    /// its record (map slot at half load, no heap) is at most 300 bytes.
    #[test]
    fn a_pow_record_round_trips_in_under_300_bytes() {
        let project = crate::config::Project::new("la_pk_shop", 50, false);
        for (hex_len, bits) in [(32, 18), (64, 256)] {
            let expires_at = 1_767_225_900;
            let challenge = PowChallenge {
                project_id: project.id.clone(),
                project_public_key: project.public_key.clone(),
                challenge_hex: "ab".repeat(hex_len / 2),
                target_hex: target_hex(bits).unwrap(),
                difficulty_bits: bits,
                expires_at_unix: expires_at,
                signature: "f".repeat(64),
            };
            let id = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0".to_owned();
            let mut quote = Quote::new(
                id.clone(),
                &project,
                expires_at - 300,
                expires_at,
                QuoteKind::Pow(challenge),
                QuoteOrigin::Start,
            );
            quote.confirmed_session = Some(id.clone());
            let (key, record) = StoredQuote::compact(&quote, 3).unwrap();
            let mut expected = quote.clone();
            if let QuoteKind::Pow(challenge) = &mut expected.kind {
                challenge.signature.clear();
            }
            assert_eq!(
                record.expand(&key, &project.id, &project.public_key),
                expected
            );
            assert_eq!(record.heap_bytes(), 0);
            assert!(
                record.footprint() <= 300,
                "{} bytes (slot {})",
                record.footprint(),
                std::mem::size_of::<(Uuid, StoredQuote)>()
            );
        }
    }

    #[test]
    fn a_challenge_that_cannot_be_derived_is_not_compacted() {
        let project = crate::config::Project::new("la_pk_shop", 50, false);
        let challenge = PowChallenge {
            project_id: project.id.clone(),
            project_public_key: project.public_key.clone(),
            challenge_hex: "AB".repeat(16),
            target_hex: target_hex(8).unwrap(),
            difficulty_bits: 8,
            expires_at_unix: 10,
            signature: String::new(),
        };
        let quote = Quote::new(
            "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0".into(),
            &project,
            0,
            10,
            QuoteKind::Pow(challenge),
            QuoteOrigin::Start,
        );
        assert_eq!(StoredQuote::compact(&quote, 0), None);
    }
}
