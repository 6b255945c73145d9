//! `WWW-Authenticate` challenges and `Authorization` credentials for L402 (and legacy
//! LSAT), x402 and Bearer, plus the L402 macaroon identifier.
//!
//! Formats follow what aperture sends and lnget parses:
//!
//! ```text
//! WWW-Authenticate: L402 macaroon="<std base64>", invoice="<bolt11>"
//! WWW-Authenticate: x402 invoice="<bolt11>", paymentHash="<64 hex>"
//! Authorization:    L402 <base64 macaroon>:<preimage, 64 hex>    (or LSAT)
//! Authorization:    x402 <preimage, 64 hex>
//! Authorization:    Bearer <token68>
//! ```
//!
//! Parsing follows RFC 9110 §11: case-insensitive scheme and parameter names, parameters
//! in any order, token or quoted-string values, optional whitespace around `=` and `,`.
//! Formatting is canonical (scheme spelling, parameter order, padded standard base64,
//! lowercase hex), so `parse(format(x)) == x` for every value; the `fuzzing` module
//! (feature `fuzzing`) states these properties as functions shared by the proptests and
//! the fuzz targets.

use std::collections::BTreeMap;
use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::macaroon::{Macaroon, MacaroonError};

/// Length of an encoded [`L402Identifier`]: u16 version, payment hash, token id.
pub const L402_IDENTIFIER_LEN: usize = 2 + 32 + 32;

/// Why an `Authorization` or `WWW-Authenticate` value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthHeaderError {
    /// Nothing but whitespace.
    #[error("header value is empty")]
    Empty,
    /// The value does not start with an auth-scheme token.
    #[error("header value does not start with an auth scheme")]
    MissingScheme,
    /// A scheme this module does not handle.
    #[error("unsupported auth scheme {0:?}")]
    UnsupportedScheme(String),
    /// The scheme is not followed by anything.
    #[error("{0} credentials or parameters are missing")]
    MissingCredentials(&'static str),
    /// A Bearer token that is not token68.
    #[error("bearer token is not token68")]
    InvalidBearerToken,
    /// An L402 credential without `:<preimage>`.
    #[error("L402 credential has no ':' before the preimage")]
    MissingPreimage,
    /// An L402 credential with several comma-separated macaroons.
    #[error("L402 credential carries {0} macaroons; only one is supported")]
    MultipleMacaroons(usize),
    /// The macaroon did not decode.
    #[error("invalid macaroon: {0}")]
    InvalidMacaroon(#[source] MacaroonError),
    /// A preimage or payment hash that is not exactly 64 hex digits.
    #[error("{0} must be exactly 64 hex digits")]
    InvalidHex(&'static str),
    /// An invoice that is not a non-empty run of ASCII letters and digits (bech32).
    #[error("invoice is not a bech32 string")]
    InvalidInvoice,
    /// A quoted-string without its closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// Auth-param syntax error.
    #[error("malformed auth parameters at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset in the value after the scheme.
        offset: usize,
        /// What was expected.
        reason: &'static str,
    },
    /// The same parameter given twice.
    #[error("parameter {0:?} given more than once")]
    DuplicateParam(String),
    /// A required parameter is absent.
    #[error("required parameter {0:?} is missing")]
    MissingParam(&'static str),
}

impl AuthHeaderError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "auth_header_empty",
            Self::MissingScheme => "auth_header_missing_scheme",
            Self::UnsupportedScheme(_) => "auth_header_unsupported_scheme",
            Self::MissingCredentials(_) => "auth_header_missing_credentials",
            Self::InvalidBearerToken => "auth_header_invalid_bearer_token",
            Self::MissingPreimage => "auth_header_missing_preimage",
            Self::MultipleMacaroons(_) => "auth_header_multiple_macaroons",
            Self::InvalidMacaroon(_) => "auth_header_invalid_macaroon",
            Self::InvalidHex(_) => "auth_header_invalid_hex",
            Self::InvalidInvoice => "auth_header_invalid_invoice",
            Self::UnterminatedQuote => "auth_header_unterminated_quote",
            Self::Syntax { .. } => "auth_header_syntax",
            Self::DuplicateParam(_) => "auth_header_duplicate_param",
            Self::MissingParam(_) => "auth_header_missing_param",
        }
    }
}

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

/// The spelling of the L402 scheme; LSAT is the legacy name, still sent by older clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum L402Scheme {
    /// `L402`.
    L402,
    /// `LSAT`.
    Lsat,
}

impl L402Scheme {
    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::L402 => "L402",
            Self::Lsat => "LSAT",
        }
    }
}

impl fmt::Display for L402Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `Authorization` header value.
///
/// `Debug` redacts the bearer token and the preimage; `Display` is the header value.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Bearer <token68>`; the token must be token68 for the value to parse back.
    Bearer(String),
    /// `L402 <macaroon>:<preimage>` or `LSAT ...`.
    L402 {
        /// Which scheme name was (or will be) used.
        scheme: L402Scheme,
        /// The macaroon from the challenge.
        macaroon: Macaroon,
        /// The invoice's preimage, proof of payment.
        preimage: [u8; 32],
    },
    /// `x402 <preimage>`.
    X402 {
        /// The invoice's preimage, proof of payment.
        preimage: [u8; 32],
    },
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&"<redacted>").finish(),
            Self::L402 {
                scheme,
                macaroon,
                preimage: _,
            } => f
                .debug_struct("L402")
                .field("scheme", scheme)
                .field("macaroon", macaroon)
                .field("preimage", &"<redacted>")
                .finish(),
            Self::X402 { preimage: _ } => f
                .debug_struct("X402")
                .field("preimage", &"<redacted>")
                .finish(),
        }
    }
}

impl Credential {
    /// Parses an `Authorization` header value.
    pub fn parse(value: &str) -> Result<Self, AuthHeaderError> {
        let (scheme, rest) = split_scheme(value)?;
        if scheme.eq_ignore_ascii_case("bearer") {
            if rest.is_empty() {
                return Err(AuthHeaderError::MissingCredentials("Bearer"));
            }
            if !is_token68(rest) {
                return Err(AuthHeaderError::InvalidBearerToken);
            }
            Ok(Self::Bearer(rest.to_owned()))
        } else if let Some(l402) = l402_scheme(scheme) {
            if rest.is_empty() {
                return Err(AuthHeaderError::MissingCredentials(l402.as_str()));
            }
            // Base64 has no ':', so the last one separates macaroons from the preimage.
            let (macaroons, preimage) = rest
                .rsplit_once(':')
                .ok_or(AuthHeaderError::MissingPreimage)?;
            let count = macaroons.split(',').count();
            if count > 1 {
                return Err(AuthHeaderError::MultipleMacaroons(count));
            }
            let macaroon =
                Macaroon::from_base64(macaroons).map_err(AuthHeaderError::InvalidMacaroon)?;
            let preimage = decode_hex32(preimage, "preimage")?;
            Ok(Self::L402 {
                scheme: l402,
                macaroon,
                preimage,
            })
        } else if scheme.eq_ignore_ascii_case("x402") {
            if rest.is_empty() {
                return Err(AuthHeaderError::MissingCredentials("x402"));
            }
            Ok(Self::X402 {
                preimage: decode_hex32(rest, "preimage")?,
            })
        } else {
            Err(AuthHeaderError::UnsupportedScheme(scheme.to_owned()))
        }
    }

    /// The header value, canonically formatted.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(token) => write!(f, "Bearer {token}"),
            Self::L402 {
                scheme,
                macaroon,
                preimage,
            } => {
                write!(
                    f,
                    "{scheme} {}:{}",
                    macaroon.to_base64(),
                    crate::hex::encode(preimage)
                )
            }
            Self::X402 { preimage } => write!(f, "x402 {}", crate::hex::encode(preimage)),
        }
    }
}

/// A `WWW-Authenticate` header value (one challenge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `L402 macaroon="...", invoice="..."` (or `LSAT`).
    L402 {
        /// Which scheme name was (or will be) used.
        scheme: L402Scheme,
        /// The macaroon to present back with the preimage.
        macaroon: Macaroon,
        /// The BOLT11 invoice to pay; ASCII letters and digits only.
        invoice: String,
    },
    /// `x402 invoice="...", paymentHash="..."`.
    X402 {
        /// The BOLT11 invoice to pay; ASCII letters and digits only.
        invoice: String,
        /// The invoice's payment hash.
        payment_hash: [u8; 32],
    },
}

impl Challenge {
    /// Parses one challenge. Unknown parameters are ignored, as RFC 9110 asks.
    pub fn parse(value: &str) -> Result<Self, AuthHeaderError> {
        let (scheme, rest) = split_scheme(value)?;
        if let Some(l402) = l402_scheme(scheme) {
            let params = parse_params(rest)?;
            let macaroon = required(&params, "macaroon")?;
            let macaroon =
                Macaroon::from_base64(macaroon).map_err(AuthHeaderError::InvalidMacaroon)?;
            let invoice = parse_invoice(required(&params, "invoice")?)?;
            Ok(Self::L402 {
                scheme: l402,
                macaroon,
                invoice,
            })
        } else if scheme.eq_ignore_ascii_case("x402") {
            let params = parse_params(rest)?;
            let invoice = parse_invoice(required(&params, "invoice")?)?;
            let payment_hash = decode_hex32(required(&params, "paymentHash")?, "paymentHash")?;
            Ok(Self::X402 {
                invoice,
                payment_hash,
            })
        } else {
            Err(AuthHeaderError::UnsupportedScheme(scheme.to_owned()))
        }
    }

    /// The header value, canonically formatted.
    pub fn to_header_value(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::L402 {
                scheme,
                macaroon,
                invoice,
            } => {
                write!(
                    f,
                    "{scheme} macaroon=\"{}\", invoice=",
                    macaroon.to_base64()
                )?;
                write_quoted(f, invoice)
            }
            Self::X402 {
                invoice,
                payment_hash,
            } => {
                f.write_str("x402 invoice=")?;
                write_quoted(f, invoice)?;
                write!(f, ", paymentHash=\"{}\"", crate::hex::encode(payment_hash))
            }
        }
    }
}

fn l402_scheme(scheme: &str) -> Option<L402Scheme> {
    if scheme.eq_ignore_ascii_case("l402") {
        Some(L402Scheme::L402)
    } else if scheme.eq_ignore_ascii_case("lsat") {
        Some(L402Scheme::Lsat)
    } else {
        None
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 9110 tchar.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// RFC 9110 token68: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}

/// Splits `scheme 1*SP rest`, trimming the surrounding whitespace an HTTP layer may leave.
fn split_scheme(value: &str) -> Result<(&str, &str), AuthHeaderError> {
    let value = value.trim_matches(is_ows);
    if value.is_empty() {
        return Err(AuthHeaderError::Empty);
    }
    let end = value.find(|c: char| !is_tchar(c)).unwrap_or(value.len());
    let (scheme, rest) = value
        .split_at_checked(end)
        .ok_or(AuthHeaderError::MissingScheme)?;
    if scheme.is_empty() {
        return Err(AuthHeaderError::MissingScheme);
    }
    let trimmed = rest.trim_start_matches(is_ows);
    if trimmed.len() == rest.len() && !rest.is_empty() {
        return Err(AuthHeaderError::Syntax {
            offset: 0,
            reason: "expected space after scheme",
        });
    }
    Ok((scheme, trimmed))
}

/// RFC 9110 `#auth-param`, names lowercased; empty list elements are skipped.
fn parse_params(input: &str) -> Result<BTreeMap<String, String>, AuthHeaderError> {
    let mut params = BTreeMap::new();
    let mut chars = input.char_indices().peekable();
    let skip_ows = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while chars.next_if(|&(_, c)| is_ows(c)).is_some() {}
    };
    loop {
        skip_ows(&mut chars);
        let Some(&(offset, c)) = chars.peek() else {
            break;
        };
        if c == ',' {
            chars.next();
            continue;
        }
        let mut name = String::new();
        while let Some((_, c)) = chars.next_if(|&(_, c)| is_tchar(c)) {
            name.push(c.to_ascii_lowercase());
        }
        if name.is_empty() {
            return Err(AuthHeaderError::Syntax {
                offset,
                reason: "expected parameter name",
            });
        }
        skip_ows(&mut chars);
        if chars.next_if(|&(_, c)| c == '=').is_none() {
            let offset = chars.peek().map_or(input.len(), |&(i, _)| i);
            return Err(AuthHeaderError::Syntax {
                offset,
                reason: "expected '='",
            });
        }
        skip_ows(&mut chars);
        let mut value = String::new();
        if chars.next_if(|&(_, c)| c == '"').is_some() {
            loop {
                let (i, c) = chars.next().ok_or(AuthHeaderError::UnterminatedQuote)?;
                let c = match c {
                    '"' => break,
                    '\\' => chars.next().ok_or(AuthHeaderError::UnterminatedQuote)?.1,
                    c => c,
                };
                // qdtext and quoted-pair both exclude control characters other than HTAB.
                if c.is_ascii_control() && c != '\t' {
                    return Err(AuthHeaderError::Syntax {
                        offset: i,
                        reason: "control character in quoted string",
                    });
                }
                value.push(c);
            }
        } else {
            while let Some((_, c)) = chars.next_if(|&(_, c)| is_tchar(c)) {
                value.push(c);
            }
            if value.is_empty() {
                let offset = chars.peek().map_or(input.len(), |&(i, _)| i);
                return Err(AuthHeaderError::Syntax {
                    offset,
                    reason: "expected parameter value",
                });
            }
        }
        if params.contains_key(&name) {
            return Err(AuthHeaderError::DuplicateParam(name));
        }
        params.insert(name, value);
        skip_ows(&mut chars);
        match chars.next() {
            None => break,
            Some((_, ',')) => {}
            Some((offset, _)) => {
                return Err(AuthHeaderError::Syntax {
                    offset,
                    reason: "expected ','",
                });
            }
        }
    }
    Ok(params)
}

/// Looks up a parameter; `params` keys are already lowercase.
fn required<'a>(
    params: &'a BTreeMap<String, String>,
    name: &'static str,
) -> Result<&'a str, AuthHeaderError> {
    params
        .get(&name.to_ascii_lowercase())
        .map(String::as_str)
        .ok_or(AuthHeaderError::MissingParam(name))
}

fn parse_invoice(invoice: &str) -> Result<String, AuthHeaderError> {
    // BOLT11 is bech32: letters and digits only. Anything else is not an invoice, and
    // refusing it here keeps formatting free of escapes.
    if invoice.is_empty() || !invoice.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AuthHeaderError::InvalidInvoice);
    }
    Ok(invoice.to_owned())
}

fn write_quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// Exactly 64 hex digits, either case.
fn decode_hex32(s: &str, what: &'static str) -> Result<[u8; 32], AuthHeaderError> {
    let err = AuthHeaderError::InvalidHex(what);
    if s.len() != 64 {
        return Err(err);
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
        let hi = hex_value(pair.first().copied()).ok_or_else(|| err.clone())?;
        let lo = hex_value(pair.get(1).copied()).ok_or_else(|| err.clone())?;
        *byte = (hi << 4) | lo;
    }
    Ok(out)
}

fn hex_value(c: Option<u8>) -> Option<u8> {
    let c = char::from(c?);
    c.to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Round-trip properties as plain functions: they panic only when a property is
/// violated. The proptests and the fuzz targets call them. Not API (the `fuzzing`
/// feature, or this crate's own tests).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use super::{Challenge, Credential, L402Identifier};
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

    /// `Credential::parse(c.to_header_value()) == c`.
    pub fn credential_roundtrip(credential: &Credential) {
        let formatted = credential.to_header_value();
        match Credential::parse(&formatted) {
            Ok(parsed) => assert!(
                parsed == *credential,
                "{formatted:?} parsed to a different value"
            ),
            Err(e) => panic!("formatted credential {formatted:?} does not parse: {e}"),
        }
    }

    /// `Challenge::parse(c.to_header_value()) == c`.
    pub fn challenge_roundtrip(challenge: &Challenge) {
        let formatted = challenge.to_header_value();
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
mod tests {
    use super::fuzzing::{auth_header, challenge_roundtrip, credential_roundtrip};
    use super::*;
    use crate::macaroon::tests::arb_macaroon;
    use proptest::prelude::*;

    const HASH_HEX: &str = "a3f1c0d2e4b5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

    fn sample_macaroon() -> Macaroon {
        let id = L402Identifier::new([0x11; 32], [0x22; 32]);
        let mut m = Macaroon::new(b"root", id.encode(), Some(b"liveauth"));
        m.add_first_party_caveat("services=demo:0");
        m
    }

    /// The challenge is byte-for-byte the aperture form, and parses back.
    #[test]
    fn l402_challenge_wire_form() {
        let m = sample_macaroon();
        let c = Challenge::L402 {
            scheme: L402Scheme::L402,
            macaroon: m.clone(),
            invoice: "lnbcrt30n1pjtest".into(),
        };
        let wire = c.to_header_value();
        assert_eq!(
            wire,
            format!(
                "L402 macaroon=\"{}\", invoice=\"lnbcrt30n1pjtest\"",
                m.to_base64()
            )
        );
        assert_eq!(Challenge::parse(&wire).unwrap(), c);
    }

    /// Case-insensitive scheme and names, any order, token values, OWS, escapes, extras.
    #[test]
    fn challenge_lenient_parsing() {
        let m = sample_macaroon();
        let b64 = m.to_base64();
        let unpadded = b64.trim_end_matches('=');
        let want = Challenge::L402 {
            scheme: L402Scheme::Lsat,
            macaroon: m,
            invoice: "lnbc1xyz".into(),
        };
        for s in [
            format!("lsat invoice=lnbc1xyz,macaroon=\"{b64}\""),
            format!(
                "  LSAT   ,Invoice = \"lnbc\\1xyz\" , , realm=\"a \\\"q\\\"\",  MACAROON=\"{unpadded}\"\t"
            ),
        ] {
            assert_eq!(Challenge::parse(&s).unwrap(), want, "{s}");
        }

        let x = Challenge::parse(&format!(
            "X402 paymenthash=\"{}\", invoice=\"lnbcrt1abc\"",
            HASH_HEX.to_uppercase()
        ))
        .unwrap();
        assert_eq!(
            x.to_header_value(),
            format!("x402 invoice=\"lnbcrt1abc\", paymentHash=\"{HASH_HEX}\"")
        );
    }

    /// Malformed challenges fail with the matching error.
    #[test]
    fn challenge_errors() {
        let b64 = sample_macaroon().to_base64();
        let cases = [
            ("", AuthHeaderError::Empty),
            (
                "Basic realm=\"x\"",
                AuthHeaderError::UnsupportedScheme("Basic".into()),
            ),
            ("L402 invoice=\"lnbc1", AuthHeaderError::UnterminatedQuote),
            ("L402 invoice=\"lnbc1\\", AuthHeaderError::UnterminatedQuote),
            (
                "L402 invoice=\"lnbc1\"",
                AuthHeaderError::MissingParam("macaroon"),
            ),
            (
                "x402 invoice=lnbc1, invoice=lnbc2",
                AuthHeaderError::DuplicateParam("invoice".into()),
            ),
            (
                "x402 invoice=\"lnbc 1\", paymentHash=00",
                AuthHeaderError::InvalidInvoice,
            ),
            (
                "x402 invoice=lnbc1, paymentHash=00",
                AuthHeaderError::InvalidHex("paymentHash"),
            ),
            (
                "x402 invoice lnbc1",
                AuthHeaderError::Syntax {
                    offset: 8,
                    reason: "expected '='",
                },
            ),
            (
                "x402 invoice=lnbc1 paymentHash=0",
                AuthHeaderError::Syntax {
                    offset: 14,
                    reason: "expected ','",
                },
            ),
            (
                "x402 =a",
                AuthHeaderError::Syntax {
                    offset: 0,
                    reason: "expected parameter name",
                },
            ),
            (
                "x402 a=",
                AuthHeaderError::Syntax {
                    offset: 2,
                    reason: "expected parameter value",
                },
            ),
            (
                "x402\"a",
                AuthHeaderError::Syntax {
                    offset: 0,
                    reason: "expected space after scheme",
                },
            ),
            ("\"L402\"", AuthHeaderError::MissingScheme),
        ];
        for (s, want) in cases {
            assert_eq!(Challenge::parse(s), Err(want), "{s}");
        }
        let bad_mac = format!("L402 macaroon=\"{}\", invoice=lnbc1", &b64[1..]);
        assert!(matches!(
            Challenge::parse(&bad_mac),
            Err(AuthHeaderError::InvalidMacaroon(_))
        ));
    }

    /// Credentials: canonical output, case-insensitive schemes, hex in either case.
    #[test]
    fn credentials() {
        let m = sample_macaroon();
        let preimage = [0xab; 32];
        let hex = "ab".repeat(32);
        let c = Credential::L402 {
            scheme: L402Scheme::L402,
            macaroon: m.clone(),
            preimage,
        };
        assert_eq!(c.to_header_value(), format!("L402 {}:{hex}", m.to_base64()));
        let lsat =
            Credential::parse(&format!("lsat {}:{}", m.to_base64(), hex.to_uppercase())).unwrap();
        assert_eq!(
            lsat,
            Credential::L402 {
                scheme: L402Scheme::Lsat,
                macaroon: m.clone(),
                preimage
            }
        );

        assert_eq!(
            Credential::parse(&format!("X402 {hex}")).unwrap(),
            Credential::X402 { preimage }
        );
        assert_eq!(
            Credential::X402 { preimage }.to_string(),
            format!("x402 {hex}")
        );
        assert_eq!(
            Credential::parse("bearer abc.DEF-_~+/==").unwrap(),
            Credential::Bearer("abc.DEF-_~+/==".into())
        );
        assert_eq!(Credential::Bearer("t".into()).to_string(), "Bearer t");
        assert!(!format!("{:?}", Credential::X402 { preimage }).contains("abab"));

        let b64 = m.to_base64();
        let cases = [
            ("Bearer", AuthHeaderError::MissingCredentials("Bearer")),
            ("Bearer a=b", AuthHeaderError::InvalidBearerToken),
            ("Bearer a b", AuthHeaderError::InvalidBearerToken),
            ("L402 abc", AuthHeaderError::MissingPreimage),
            (
                &*format!("L402 {b64},{b64}:{hex}"),
                AuthHeaderError::MultipleMacaroons(2),
            ),
            (
                &*format!("L402 {b64}:{}", &hex[1..]),
                AuthHeaderError::InvalidHex("preimage"),
            ),
            (
                &*format!("x402 {}g", &hex[1..]),
                AuthHeaderError::InvalidHex("preimage"),
            ),
            (
                "Digest x",
                AuthHeaderError::UnsupportedScheme("Digest".into()),
            ),
        ];
        for (s, want) in cases {
            assert_eq!(Credential::parse(s), Err(want), "{s}");
        }
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

    fn invoice() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9]{1,80}"
    }

    fn scheme() -> impl Strategy<Value = L402Scheme> {
        prop_oneof![Just(L402Scheme::L402), Just(L402Scheme::Lsat)]
    }

    fn credential() -> impl Strategy<Value = Credential> {
        prop_oneof![
            "[A-Za-z0-9._~+/-]{1,40}=*".prop_map(Credential::Bearer),
            (scheme(), arb_macaroon(), any::<[u8; 32]>()).prop_map(
                |(scheme, macaroon, preimage)| Credential::L402 {
                    scheme,
                    macaroon,
                    preimage
                }
            ),
            any::<[u8; 32]>().prop_map(|preimage| Credential::X402 { preimage }),
        ]
    }

    fn challenge() -> impl Strategy<Value = Challenge> {
        prop_oneof![
            (scheme(), arb_macaroon(), invoice()).prop_map(|(scheme, macaroon, invoice)| {
                Challenge::L402 {
                    scheme,
                    macaroon,
                    invoice,
                }
            }),
            (invoice(), any::<[u8; 32]>()).prop_map(|(invoice, payment_hash)| Challenge::X402 {
                invoice,
                payment_hash
            }),
        ]
    }

    proptest! {
        /// parse(format(credential)) == credential.
        #[test]
        fn credential_roundtrips(c in credential()) {
            credential_roundtrip(&c);
        }

        /// parse(format(challenge)) == challenge.
        #[test]
        fn challenge_roundtrips(c in challenge()) {
            challenge_roundtrip(&c);
        }

        /// Arbitrary strings never panic; what parses formats back to the same value.
        #[test]
        fn arbitrary_strings(s in any::<String>()) {
            auth_header(s.as_bytes());
        }

        /// Strings built from header-ish pieces reach deeper parser states.
        #[test]
        fn headerish_strings(parts in prop::collection::vec(prop_oneof![
            Just("L402".to_owned()), Just("lsat".to_owned()), Just("x402".to_owned()),
            Just("Bearer".to_owned()), Just(" ".to_owned()), Just("\t".to_owned()),
            Just(",".to_owned()), Just("=".to_owned()), Just("\"".to_owned()),
            Just("\\".to_owned()), Just(":".to_owned()), Just("invoice".to_owned()),
            Just("macaroon".to_owned()), Just("paymentHash".to_owned()),
            Just(HASH_HEX.to_owned()), Just(sample_macaroon().to_base64()),
            "[ -~]{0,6}",
        ], 0..14)) {
            auth_header(parts.concat().as_bytes());
        }

        /// Arbitrary bytes, including 66-byte identifiers.
        #[test]
        fn arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..100)) {
            auth_header(&data);
        }
    }
}
