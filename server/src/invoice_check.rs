//! Cross-checks a BOLT 11 invoice against the quote before an agent is shown it.
//!
//! An agent's wallet must never be asked to pay more than it was quoted, nor for a
//! different payment than the one the session waits on. The API's invoice is therefore
//! decoded here and refused unless its signature is good, its amount equals the quoted
//! sats exactly, its payment hash equals the quoted one and it has not expired. Every
//! refusal message is written for the agent: what is wrong, and that it must not pay.

use lightning_invoice::{
    Bolt11Invoice, Bolt11ParseError, Bolt11SemanticError, Currency, ParseOrSemanticError,
};
use liveauth_protocol::codec::{decode_hash32_any, encode_hex as hex};
use liveauth_protocol::time::try_rfc3339_utc;
use serde::{Deserialize, Serialize};

/// What the quote promised, as received from the API at session start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedInvoice<'a> {
    /// The quoted price in whole sats.
    pub amount_sats: u64,
    /// The quoted payment hash as the API wrote it: 64 hex digits (either case), or
    /// base64 / base64url (LND's `r_hash`, what an older hosted backend returns). It is
    /// compared as the 32 bytes it encodes.
    pub payment_hash: &'a str,
}

/// An invoice that passed every check, reduced to what an agent needs to decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DecodedInvoice {
    /// Amount to pay, in sats; equal to the quoted amount.
    pub amount_sats: u64,
    /// Payment hash, 64 lowercase hex characters; equal to the quoted hash.
    pub payment_hash: String,
    /// Unix seconds at which the invoice expires (creation time plus its expiry).
    pub expires_at_unix: u64,
    /// Network the invoice is for: regtest, signet, testnet or bitcoin (mainnet).
    pub network: String,
    /// Node id of the payee: 66 hex characters, the compressed public key that signed it.
    pub payee: String,
}

/// Why an invoice was refused. Each message tells the agent not to pay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceCheckError {
    /// Not a BOLT 11 invoice, or one that breaks BOLT 11's rules.
    #[error(
        "the Lightning invoice is not a valid BOLT11 invoice ({reason}); do not pay it, \
         start a new session instead"
    )]
    Unparseable {
        /// The decoder's explanation.
        reason: String,
    },
    /// The signature does not verify, so the payee cannot be known.
    #[error(
        "the Lightning invoice's signature is invalid ({reason}), so who would be paid cannot \
         be verified; do not pay it"
    )]
    BadSignature {
        /// The decoder's explanation.
        reason: String,
    },
    /// No amount: a wallet would let anyone choose what to pay.
    #[error(
        "the Lightning invoice has no amount, but the quote was for {expected_sats} sats; do \
         not pay it"
    )]
    MissingAmount {
        /// The quoted amount.
        expected_sats: u64,
    },
    /// The invoice asks for a different amount than the quote (a sub-sat excess counts).
    #[error(
        "the Lightning invoice asks for {} but the quote was for {expected_sats} sats; do not \
         pay it",
        format_msat(*.invoice_msat)
    )]
    AmountMismatch {
        /// What the invoice asks for, in millisatoshis.
        invoice_msat: u64,
        /// The quoted amount.
        expected_sats: u64,
    },
    /// Paying it would not settle the quoted session.
    #[error(
        "the Lightning invoice's payment hash is {invoice} but the quote's payment hash is \
         {expected}; it is not the invoice for this session, do not pay it"
    )]
    PaymentHashMismatch {
        /// The invoice's payment hash, lowercase hex.
        invoice: String,
        /// The quoted payment hash, as given.
        expected: String,
    },
    /// Too late: a payment could fail or be lost in flight.
    #[error(
        "the Lightning invoice expired at {} (unix {expires_at_unix}); do not pay it, start a \
         new session to get a fresh invoice",
        format_unix(*.expires_at_unix)
    )]
    Expired {
        /// When it expired, unix seconds.
        expires_at_unix: u64,
        /// The time of the check, unix seconds.
        now_unix: u64,
    },
}

impl InvoiceCheckError {
    /// Stable code for tests and agents to match on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unparseable { .. } => "invoice_invalid",
            Self::BadSignature { .. } => "invoice_signature_invalid",
            Self::MissingAmount { .. } => "invoice_amount_missing",
            Self::AmountMismatch { .. } => "invoice_amount_mismatch",
            Self::PaymentHashMismatch { .. } => "invoice_payment_hash_mismatch",
            Self::Expired { .. } => "invoice_expired",
        }
    }
}

/// Decodes `bolt11` and accepts it only if it is exactly the invoice the quote promised
/// and is still payable at `now_unix`.
///
/// An invoice counts as expired from the second it expires (`now_unix >= expires_at`):
/// a payment started in its last second could not complete anyway.
pub fn check_invoice(
    bolt11: &str,
    expected: &ExpectedInvoice<'_>,
    now_unix: u64,
) -> Result<DecodedInvoice, InvoiceCheckError> {
    let invoice = bolt11
        .trim()
        .parse::<Bolt11Invoice>()
        .map_err(classify_parse_error)?;

    let invoice_msat = invoice
        .amount_milli_satoshis()
        .ok_or(InvoiceCheckError::MissingAmount {
            expected_sats: expected.amount_sats,
        })?;
    // Compare in msat so 3.001 sats never rounds down to an accepted 3.
    if expected.amount_sats.checked_mul(1000) != Some(invoice_msat) {
        return Err(InvoiceCheckError::AmountMismatch {
            invoice_msat,
            expected_sats: expected.amount_sats,
        });
    }

    let hash_bytes: &[u8; 32] = invoice.payment_hash().as_ref();
    let payment_hash = hex(hash_bytes);
    // A quoted hash in no known encoding matches nothing.
    if decode_hash32_any(expected.payment_hash.trim()) != Some(*hash_bytes) {
        return Err(InvoiceCheckError::PaymentHashMismatch {
            invoice: payment_hash,
            expected: expected.payment_hash.to_owned(),
        });
    }

    // Overflow means "expires after the end of time", which is not expired.
    let expires_at_unix = invoice.expires_at().map_or(u64::MAX, |at| at.as_secs());
    if now_unix >= expires_at_unix {
        return Err(InvoiceCheckError::Expired {
            expires_at_unix,
            now_unix,
        });
    }

    Ok(DecodedInvoice {
        amount_sats: expected.amount_sats,
        payment_hash,
        expires_at_unix,
        network: network_name(&invoice.currency()).to_owned(),
        // Safe: the decoder already verified that the key recovers (or matches `n`).
        payee: hex(&invoice.recover_payee_pub_key().serialize()),
    })
}

/// As [`check_invoice`] for an invoice whose payment hash nothing else names (the
/// `payment` of a caller-funded charge names only the invoice and its amount): its own
/// hash is the payment's.
pub fn check_invoice_of_amount(
    bolt11: &str,
    amount_sats: u64,
    now_unix: u64,
) -> Result<DecodedInvoice, InvoiceCheckError> {
    let invoice = bolt11
        .trim()
        .parse::<Bolt11Invoice>()
        .map_err(classify_parse_error)?;
    let payment_hash = hex(invoice.payment_hash().as_ref());
    let expected = ExpectedInvoice {
        amount_sats,
        payment_hash: &payment_hash,
    };
    check_invoice(bolt11, &expected, now_unix)
}

/// Separates "the signature is wrong" from every other decoding failure.
fn classify_parse_error(err: ParseOrSemanticError) -> InvoiceCheckError {
    match err {
        ParseOrSemanticError::SemanticError(Bolt11SemanticError::InvalidSignature)
        | ParseOrSemanticError::ParseError(Bolt11ParseError::MalformedSignature(_)) => {
            InvoiceCheckError::BadSignature {
                reason: err.to_string(),
            }
        }
        other => InvoiceCheckError::Unparseable {
            reason: other.to_string(),
        },
    }
}

fn network_name(currency: &Currency) -> &'static str {
    match currency {
        Currency::Bitcoin => "bitcoin",
        Currency::BitcoinTestnet => "testnet",
        Currency::Regtest => "regtest",
        Currency::Signet => "signet",
        Currency::Simnet => "simnet",
    }
}

/// "3 sats", or "3.001 sats (3001 msat)" when the amount is not whole sats.
fn format_msat(msat: u64) -> String {
    let (sats, rest) = (msat / 1000, msat % 1000);
    if rest == 0 {
        format!("{sats} sats")
    } else {
        let fraction = format!("{rest:03}");
        format!(
            "{sats}.{} sats ({msat} msat)",
            fraction.trim_end_matches('0')
        )
    }
}

/// RFC 3339 in UTC, falling back to plain unix seconds beyond the year 9999.
fn format_unix(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(try_rfc3339_utc)
        .unwrap_or_else(|| format!("unix time {unix}"))
}

/// Entry points for `fuzz/` and the property tests: arbitrary input must never yield an
/// accepted invoice that differs from the quote. Not API (the `fuzzing` feature).
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use super::{ExpectedInvoice, InvoiceCheckError, check_invoice};

    /// The quoted amount the fuzz target checks against.
    pub const AMOUNT_SATS: u64 = 3;
    /// The quoted payment hash the fuzz target checks against: sha256 of 32 zero bytes.
    pub const PAYMENT_HASH_HEX: &str =
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925";
    /// The clock of the check; seed-corpus invoices must be created before it.
    pub const NOW_UNIX: u64 = 1_771_329_600;

    /// Feeds `data` (as lossy UTF-8) to [`check_invoice`]. Panics only if an invoice is
    /// accepted while its amount or payment hash differs from the quote, or if an accepted
    /// invoice is not refused once the quote changes.
    pub fn bolt11_check(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let expected = ExpectedInvoice {
            amount_sats: AMOUNT_SATS,
            payment_hash: PAYMENT_HASH_HEX,
        };
        let Ok(decoded) = check_invoice(&text, &expected, NOW_UNIX) else {
            return;
        };
        assert_eq!(
            decoded.amount_sats, AMOUNT_SATS,
            "accepted a different amount"
        );
        assert_eq!(
            decoded.payment_hash, PAYMENT_HASH_HEX,
            "accepted a different payment hash"
        );
        assert!(
            decoded.expires_at_unix > NOW_UNIX,
            "accepted an expired invoice"
        );

        // The same invoice against a quote one sat away or with another hash must be refused.
        for amount_sats in [AMOUNT_SATS - 1, AMOUNT_SATS + 1] {
            let other = ExpectedInvoice {
                amount_sats,
                payment_hash: PAYMENT_HASH_HEX,
            };
            assert!(
                matches!(
                    check_invoice(&text, &other, NOW_UNIX),
                    Err(InvoiceCheckError::AmountMismatch { .. })
                ),
                "accepted {amount_sats} sats for a {AMOUNT_SATS}-sat invoice"
            );
        }
        let other_hash = ExpectedInvoice {
            amount_sats: AMOUNT_SATS,
            payment_hash: &PAYMENT_HASH_HEX.replace('6', "7"),
        };
        assert!(
            matches!(
                check_invoice(&text, &other_hash, NOW_UNIX),
                Err(InvoiceCheckError::PaymentHashMismatch { .. })
            ),
            "accepted an invoice for another payment hash"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::fuzzing::{AMOUNT_SATS, NOW_UNIX, PAYMENT_HASH_HEX, bolt11_check};
    use super::*;
    use lightning_invoice::{PayeePubKey, RawTaggedField, SignedRawBolt11Invoice, TaggedField};
    use mock_api::lightning::{InvoiceRequest, LightningNode, Network, payment_hash};
    use proptest::prelude::*;

    const CREATED: u64 = NOW_UNIX - 60;
    const EXPIRY: u64 = 600;

    fn node() -> LightningNode {
        LightningNode::from_seed([1; 32], Network::Regtest)
    }

    fn request(amount_sats: u64, hash: [u8; 32]) -> InvoiceRequest {
        InvoiceRequest {
            amount_sats,
            payment_hash: hash,
            payment_secret: [9; 32],
            description: "LiveAuth session".to_owned(),
            created_at_unix: CREATED,
            expiry_secs: EXPIRY,
        }
    }

    /// The invoice the fuzz constants describe: 3 sats, hash sha256([0; 32]).
    fn quoted_invoice() -> String {
        node()
            .create_invoice(&request(AMOUNT_SATS, payment_hash(&[0; 32])))
            .unwrap()
    }

    fn quote() -> ExpectedInvoice<'static> {
        ExpectedInvoice {
            amount_sats: AMOUNT_SATS,
            payment_hash: PAYMENT_HASH_HEX,
        }
    }

    fn check(bolt11: &str) -> Result<DecodedInvoice, InvoiceCheckError> {
        check_invoice(bolt11, &quote(), NOW_UNIX)
    }

    /// The quoted invoice is accepted and decoded into the agent-facing fields.
    #[test]
    fn matching_invoice_is_accepted() {
        assert_eq!(hex(&payment_hash(&[0; 32])), PAYMENT_HASH_HEX);
        let decoded = check(&quoted_invoice()).unwrap();
        assert_eq!(
            decoded,
            DecodedInvoice {
                amount_sats: 3,
                payment_hash: PAYMENT_HASH_HEX.to_owned(),
                expires_at_unix: CREATED + EXPIRY,
                network: "regtest".to_owned(),
                payee: node().node_id_hex(),
            }
        );
        assert_eq!(
            serde_json::to_value(&decoded).unwrap(),
            serde_json::json!({
                "amountSats": 3,
                "paymentHash": PAYMENT_HASH_HEX,
                "expiresAtUnix": CREATED + EXPIRY,
                "network": "regtest",
                "payee": node().node_id_hex(),
            })
        );
        // Upper-case hex in the quote and whitespace around the invoice are harmless.
        let upper = PAYMENT_HASH_HEX.to_uppercase();
        let quote = ExpectedInvoice {
            amount_sats: 3,
            payment_hash: &upper,
        };
        let padded = format!("  {}\n", quoted_invoice());
        assert!(check_invoice(&padded, &quote, NOW_UNIX).is_ok());
        // BOLT 11 allows the all-upper-case form (QR codes use it).
        assert!(check(&quoted_invoice().to_uppercase()).is_ok());
    }

    /// The quoted hash is compared as 32 bytes: base64 (LND's `r_hash`, what an older
    /// hosted backend returns) and base64url, padded or not, match as hex does; other
    /// bytes in those encodings do not.
    #[test]
    fn quoted_hash_in_base64_forms_is_accepted() {
        use liveauth_protocol::codec::{encode_base64, encode_base64url};
        let bytes = payment_hash(&[0; 32]);
        let standard = encode_base64(&bytes);
        let url = encode_base64url(&bytes);
        for form in [
            standard.clone(),
            standard.trim_end_matches('=').to_owned(),
            url.clone(),
            format!("{url}="),
        ] {
            let quote = ExpectedInvoice {
                amount_sats: 3,
                payment_hash: &form,
            };
            let decoded = check_invoice(&quoted_invoice(), &quote, NOW_UNIX)
                .unwrap_or_else(|e| panic!("{form}: {e}"));
            // What the agent is shown is the invoice's own hash, in hex.
            assert_eq!(decoded.payment_hash, PAYMENT_HASH_HEX);
        }
        let other = encode_base64(&payment_hash(&[1; 32]));
        let quote = ExpectedInvoice {
            amount_sats: 3,
            payment_hash: &other,
        };
        assert!(matches!(
            check_invoice(&quoted_invoice(), &quote, NOW_UNIX),
            Err(InvoiceCheckError::PaymentHashMismatch { .. })
        ));
    }

    /// Every network name is reported.
    #[test]
    fn network_is_reported() {
        for network in Network::ALL {
            let bolt11 = LightningNode::from_seed([1; 32], network)
                .create_invoice(&request(AMOUNT_SATS, payment_hash(&[0; 32])))
                .unwrap();
            assert_eq!(check(&bolt11).unwrap().network, network.as_str());
        }
    }

    /// More or fewer sats than quoted is refused, naming both amounts.
    #[test]
    fn amount_mismatch_is_refused() {
        for (amount, shown) in [(4, "4 sats"), (2, "2 sats"), (3_000_000, "3000000 sats")] {
            let bolt11 = node()
                .create_invoice(&request(amount, payment_hash(&[0; 32])))
                .unwrap();
            let err = check(&bolt11).unwrap_err();
            assert_eq!(
                err,
                InvoiceCheckError::AmountMismatch {
                    invoice_msat: amount * 1000,
                    expected_sats: 3
                }
            );
            assert_eq!(err.code(), "invoice_amount_mismatch");
            let message = err.to_string();
            assert!(message.contains(shown), "{message}");
            assert!(message.contains("quote was for 3 sats"), "{message}");
            assert!(message.contains("do not pay"), "{message}");
        }
    }

    /// A quote of 0 sats, or one too large for msat, never matches by overflow.
    #[test]
    fn extreme_quotes_do_not_match() {
        let quote = ExpectedInvoice {
            amount_sats: u64::MAX,
            payment_hash: PAYMENT_HASH_HEX,
        };
        assert!(matches!(
            check_invoice(&quoted_invoice(), &quote, NOW_UNIX),
            Err(InvoiceCheckError::AmountMismatch { .. })
        ));
        let quote = ExpectedInvoice {
            amount_sats: 0,
            payment_hash: PAYMENT_HASH_HEX,
        };
        assert!(matches!(
            check_invoice(&quoted_invoice(), &quote, NOW_UNIX),
            Err(InvoiceCheckError::AmountMismatch { .. })
        ));
    }

    /// Sub-sat amounts: 3.001 sats is not 3 sats. (The mock only issues whole sats, so this
    /// invoice is re-signed by hand from the raw parts of a real one.)
    #[test]
    fn sub_sat_amount_is_refused() {
        let signed: SignedRawBolt11Invoice = quoted_invoice().parse().unwrap();
        let (mut raw, _, _) = signed.into_parts();
        raw.hrp.raw_amount = Some(30_010); // pico BTC: 3001 msat
        raw.hrp.si_prefix = Some(lightning_invoice::SiPrefix::Pico);
        let resigned = resign(raw);
        let err = check(&resigned).unwrap_err();
        assert_eq!(
            err,
            InvoiceCheckError::AmountMismatch {
                invoice_msat: 3001,
                expected_sats: 3
            }
        );
        assert!(err.to_string().contains("3.001 sats (3001 msat)"), "{err}");
    }

    /// An invoice without an amount is refused.
    #[test]
    fn missing_amount_is_refused() {
        let signed: SignedRawBolt11Invoice = quoted_invoice().parse().unwrap();
        let (mut raw, _, _) = signed.into_parts();
        raw.hrp.raw_amount = None;
        raw.hrp.si_prefix = None;
        let err = check(&resign(raw)).unwrap_err();
        assert_eq!(err, InvoiceCheckError::MissingAmount { expected_sats: 3 });
        assert_eq!(err.code(), "invoice_amount_missing");
        assert!(err.to_string().contains("no amount"), "{err}");
    }

    /// A different payment hash is refused, naming both.
    #[test]
    fn payment_hash_mismatch_is_refused() {
        let bolt11 = node()
            .create_invoice(&request(AMOUNT_SATS, payment_hash(&[1; 32])))
            .unwrap();
        let err = check(&bolt11).unwrap_err();
        let other = hex(&payment_hash(&[1; 32]));
        assert_eq!(
            err,
            InvoiceCheckError::PaymentHashMismatch {
                invoice: other.clone(),
                expected: PAYMENT_HASH_HEX.to_owned()
            }
        );
        let message = err.to_string();
        assert!(message.contains(&other) && message.contains(PAYMENT_HASH_HEX));
        assert!(message.contains("do not pay"), "{message}");
        // A malformed quoted hash matches nothing.
        let quote = ExpectedInvoice {
            amount_sats: 3,
            payment_hash: "",
        };
        assert!(matches!(
            check_invoice(&quoted_invoice(), &quote, NOW_UNIX),
            Err(InvoiceCheckError::PaymentHashMismatch { .. })
        ));
    }

    /// Expired at `now >= expires_at`, reported with the expiry time.
    #[test]
    fn expired_invoice_is_refused() {
        let expires = CREATED + EXPIRY;
        assert!(check_invoice(&quoted_invoice(), &quote(), expires - 1).is_ok());
        let err = check_invoice(&quoted_invoice(), &quote(), expires).unwrap_err();
        assert_eq!(
            err,
            InvoiceCheckError::Expired {
                expires_at_unix: expires,
                now_unix: expires
            }
        );
        assert_eq!(err.code(), "invoice_expired");
        let message = err.to_string();
        assert!(
            message.contains("expired at 2026-02-17T12:09:00Z (unix 1771330140)"),
            "{message}"
        );
        assert!(message.contains("do not pay"), "{message}");
    }

    /// A huge expiry saturates instead of overflowing.
    #[test]
    fn huge_expiry_saturates() {
        let mut req = request(AMOUNT_SATS, payment_hash(&[0; 32]));
        req.expiry_secs = u64::MAX;
        let bolt11 = node().create_invoice(&req).unwrap();
        assert_eq!(check(&bolt11).unwrap().expires_at_unix, u64::MAX);
        assert!(format_unix(u64::MAX).contains("unix time"));
    }

    /// A flipped character breaks the bech32 checksum: refused as unparseable, not a panic.
    #[test]
    fn corrupted_invoice_is_refused() {
        let good = quoted_invoice();
        let mut bytes = good.clone().into_bytes();
        let i = good.len() - 20;
        bytes[i] = if bytes[i] == b'q' { b'p' } else { b'q' };
        let err = check(std::str::from_utf8(&bytes).unwrap()).unwrap_err();
        assert_eq!(err.code(), "invoice_invalid");
        let message = err.to_string();
        assert!(message.contains("not a valid BOLT11 invoice"), "{message}");
        assert!(message.contains("checksum"), "{message}");
        assert!(message.contains("do not pay"), "{message}");

        let truncated = &good[..good.len() - 10];
        assert_eq!(check(truncated).unwrap_err().code(), "invoice_invalid");
    }

    /// A signature that does not match the `n` (payee) field is refused as a bad signature.
    #[test]
    fn bad_signature_is_refused() {
        let stranger = LightningNode::from_seed([2; 32], Network::Regtest);
        let signed: SignedRawBolt11Invoice = quoted_invoice().parse().unwrap();
        let (mut raw, _, signature) = signed.into_parts();
        // Claim the stranger is the payee but keep our node's signature over other data.
        raw.data
            .tagged_fields
            .push(RawTaggedField::KnownSemantics(TaggedField::PayeePubKey(
                PayeePubKey(stranger.node_id()),
            )));
        let forged = raw.sign(|_| Ok::<_, ()>(signature.0)).unwrap().to_string();
        let err = check(&forged).unwrap_err();
        assert_eq!(err.code(), "invoice_signature_invalid");
        let message = err.to_string();
        assert!(message.contains("signature is invalid"), "{message}");
        assert!(message.contains("do not pay"), "{message}");
    }

    /// Signed by another key: a valid invoice, whose payee is reported as that key.
    #[test]
    fn other_signer_is_reported_as_payee() {
        let stranger = LightningNode::from_seed([2; 32], Network::Regtest);
        let bolt11 = stranger
            .create_invoice(&request(AMOUNT_SATS, payment_hash(&[0; 32])))
            .unwrap();
        let decoded = check(&bolt11).unwrap();
        assert_eq!(decoded.payee, stranger.node_id_hex());
        assert_ne!(decoded.payee, node().node_id_hex());
    }

    /// Garbage and the empty string are unparseable, with a reason.
    #[test]
    fn garbage_is_refused() {
        for input in [
            "",
            " ",
            "lnbc",
            "hello",
            "lnbcrt30n1",
            "\u{0}\u{ffff}",
            "💸",
        ] {
            let err = check(input).unwrap_err();
            assert_eq!(err.code(), "invoice_invalid", "{input:?}");
            assert!(err.to_string().contains("do not pay"), "{input:?}");
        }
    }

    /// The fuzz entry point accepts the quoted invoice without panicking.
    #[test]
    fn fuzz_entry_point_accepts_the_quoted_invoice() {
        bolt11_check(quoted_invoice().as_bytes());
        bolt11_check(b"");
        bolt11_check(&[0xff, 0xfe, b'l', b'n']);
    }

    /// Re-signs a hand-modified raw invoice with a signature taken from a real one. Without an
    /// `n` field any recoverable signature verifies (it just names another payee), which is
    /// all the amount tests need: only the mock holds the node key.
    fn resign(raw: lightning_invoice::RawBolt11Invoice) -> String {
        let (_, _, signature) = quoted_invoice()
            .parse::<SignedRawBolt11Invoice>()
            .unwrap()
            .into_parts();
        raw.sign(|_| Ok::<_, ()>(signature.0)).unwrap().to_string()
    }

    /// Char-level mutations of a real invoice.
    fn mutated_invoice() -> impl Strategy<Value = String> {
        let base = quoted_invoice();
        let len = base.len();
        let bech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        (0..len, 0..bech32.len(), 0..4u8).prop_map(move |(i, c, kind)| {
            let mut s: Vec<char> = base.chars().collect();
            let ch = bech32.as_bytes()[c] as char;
            match kind {
                0 => s[i] = ch,
                1 => s.insert(i, ch),
                2 => {
                    s.remove(i);
                }
                _ => s.truncate(i),
            }
            s.into_iter().collect()
        })
    }

    proptest! {
        /// Arbitrary strings never panic and never yield a wrong acceptance.
        #[test]
        fn arbitrary_strings(s in ".*") {
            bolt11_check(s.as_bytes());
        }

        /// Arbitrary bytes (lossy UTF-8) likewise.
        #[test]
        fn arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            bolt11_check(&data);
        }

        /// Mutations of a real invoice never yield a wrong acceptance.
        #[test]
        fn mutated_real_invoices(s in mutated_invoice()) {
            bolt11_check(s.as_bytes());
        }

        /// A real invoice is accepted exactly when amount and hash match and it is unexpired.
        #[test]
        fn accepted_iff_it_matches_the_quote(
            invoice_sats in 0u64..10_000,
            quoted_sats in 0u64..10_000,
            same_sats in any::<bool>(),
            invoice_preimage in any::<[u8; 32]>(),
            same_hash in any::<bool>(),
            now_offset in 0u64..2 * EXPIRY,
        ) {
            let quoted_sats = if same_sats { invoice_sats } else { quoted_sats };
            let invoice_hash = payment_hash(&invoice_preimage);
            let quoted_hash = if same_hash { invoice_hash } else { payment_hash(&[0xee; 32]) };
            let bolt11 = node().create_invoice(&request(invoice_sats, invoice_hash)).unwrap();
            let quoted_hash_hex = hex(&quoted_hash);
            let quote = ExpectedInvoice { amount_sats: quoted_sats, payment_hash: &quoted_hash_hex };
            let now = CREATED + now_offset;
            let result = check_invoice(&bolt11, &quote, now);
            let should_accept =
                invoice_sats == quoted_sats && invoice_hash == quoted_hash && now < CREATED + EXPIRY;
            prop_assert_eq!(result.is_ok(), should_accept, "{:?}", result);
        }
    }
}
