//! [`Credential`]: an `Authorization` header value (Bearer, L402/LSAT or x402).

use std::fmt;

use super::params::{is_token68, split_scheme};
use super::{AuthHeaderError, L402Scheme, hex32};
use crate::codec;
use crate::macaroon::Macaroon;

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
        } else if let Some(l402) = L402Scheme::from_name(scheme) {
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
            let preimage = hex32(preimage, "preimage")?;
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
                preimage: hex32(rest, "preimage")?,
            })
        } else {
            Err(AuthHeaderError::UnsupportedScheme(scheme.to_owned()))
        }
    }
}

/// The header value, canonically formatted: what `parse` reads back.
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
                    codec::encode_hex(preimage)
                )
            }
            Self::X402 { preimage } => write!(f, "x402 {}", codec::encode_hex(preimage)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::auth::tests::scheme;
    use crate::l402::fuzzing::credential_roundtrip;
    use crate::l402::tests::sample_macaroon;
    use crate::macaroon::tests::arb_macaroon;

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
        assert_eq!(c.to_string(), format!("L402 {}:{hex}", m.to_base64()));
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

    proptest! {
        /// parse(format(credential)) == credential.
        #[test]
        fn credential_roundtrips(c in credential()) {
            credential_roundtrip(&c);
        }
    }
}
