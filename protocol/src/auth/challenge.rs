//! [`Challenge`]: one `WWW-Authenticate` header value (L402/LSAT or x402).

use std::fmt;

use super::params::{parse_params, required, split_scheme, write_quoted};
use super::{AuthHeaderError, L402Scheme, hex32};
use crate::codec;
use crate::macaroon::Macaroon;

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
        if let Some(l402) = L402Scheme::from_name(scheme) {
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
            let payment_hash = hex32(required(&params, "paymentHash")?, "paymentHash")?;
            Ok(Self::X402 {
                invoice,
                payment_hash,
            })
        } else {
            Err(AuthHeaderError::UnsupportedScheme(scheme.to_owned()))
        }
    }
}

/// The header value, canonically formatted: what `parse` reads back.
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
                write!(f, ", paymentHash=\"{}\"", codec::encode_hex(payment_hash))
            }
        }
    }
}

fn parse_invoice(invoice: &str) -> Result<String, AuthHeaderError> {
    // BOLT11 is bech32: letters and digits only. Anything else is not an invoice, and
    // refusing it here keeps formatting free of escapes.
    if invoice.is_empty() || !invoice.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AuthHeaderError::InvalidInvoice);
    }
    Ok(invoice.to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::auth::tests::{HASH_HEX, scheme};
    use crate::l402::fuzzing::challenge_roundtrip;
    use crate::l402::tests::sample_macaroon;
    use crate::macaroon::tests::arb_macaroon;

    /// The challenge is byte-for-byte the aperture form, and parses back.
    #[test]
    fn l402_challenge_wire_form() {
        let m = sample_macaroon();
        let c = Challenge::L402 {
            scheme: L402Scheme::L402,
            macaroon: m.clone(),
            invoice: "lnbcrt30n1pjtest".into(),
        };
        let wire = c.to_string();
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
            x.to_string(),
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

    fn invoice() -> impl Strategy<Value = String> {
        "[a-zA-Z0-9]{1,80}"
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
        /// parse(format(challenge)) == challenge.
        #[test]
        fn challenge_roundtrips(c in challenge()) {
            challenge_roundtrip(&c);
        }
    }
}
