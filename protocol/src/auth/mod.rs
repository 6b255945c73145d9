//! `Authorization` credentials and `WWW-Authenticate` challenges for L402 (and legacy
//! LSAT), x402 and Bearer.
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
//! - `params`: the RFC 9110 §11 grammar both sides share: the auth scheme, token68 and
//!   `#auth-param` lists (case-insensitive scheme and parameter names, parameters in any
//!   order, token or quoted-string values, optional whitespace around `=` and `,`).
//! - `credential`: [`Credential`], an `Authorization` value.
//! - `challenge`: [`Challenge`], one `WWW-Authenticate` value.
//! - here: [`AuthHeaderError`], what both parsers refuse, and [`L402Scheme`].
//!
//! Formatting is canonical (scheme spelling, parameter order, padded standard base64,
//! lowercase hex), so `parse(format(x)) == x` for every value; [`crate::l402::fuzzing`]
//! states these properties as functions shared by the proptests and the fuzz targets.
//! What an L402 macaroon's identifier holds, and the preimage check, are in
//! [`crate::l402`].

mod challenge;
mod credential;
mod params;

use std::fmt;

use crate::codec;
use crate::macaroon::MacaroonError;

pub use challenge::Challenge;
pub use credential::Credential;

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

    /// The scheme a (case-insensitive) scheme name spells, if it is one of the two.
    fn from_name(scheme: &str) -> Option<Self> {
        if scheme.eq_ignore_ascii_case("l402") {
            Some(Self::L402)
        } else if scheme.eq_ignore_ascii_case("lsat") {
            Some(Self::Lsat)
        } else {
            None
        }
    }
}

impl fmt::Display for L402Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A preimage or payment hash: exactly 64 hex digits, either case (clients differ).
fn hex32(text: &str, what: &'static str) -> Result<[u8; 32], AuthHeaderError> {
    codec::decode_hex32_any_case(text).map_err(|_| AuthHeaderError::InvalidHex(what))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::L402Scheme;
    use crate::l402::fuzzing::auth_header;
    use crate::l402::tests::sample_macaroon;

    pub(super) const HASH_HEX: &str =
        "a3f1c0d2e4b5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

    pub(super) fn scheme() -> impl Strategy<Value = L402Scheme> {
        prop_oneof![Just(L402Scheme::L402), Just(L402Scheme::Lsat)]
    }

    #[test]
    fn scheme_names() {
        for (name, scheme) in [
            ("L402", L402Scheme::L402),
            ("l402", L402Scheme::L402),
            ("LSAT", L402Scheme::Lsat),
            ("lSaT", L402Scheme::Lsat),
        ] {
            assert_eq!(L402Scheme::from_name(name), Some(scheme), "{name}");
        }
        assert_eq!(L402Scheme::from_name("x402"), None);
        assert_eq!(L402Scheme::Lsat.to_string(), "LSAT");
    }

    proptest! {
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
