//! The fuzz target `bolt11_check` on stable: every committed seed, then mutations of them,
//! through the same `liveauth_mcp::invoice_check::fuzzing::bolt11_check` property.

#![allow(clippy::unwrap_used)] // test: a panic is a failed test

use liveauth_mcp::invoice_check::fuzzing::{AMOUNT_SATS, NOW_UNIX, bolt11_check};
use liveauth_testkit::corpus::{dir, seeds};
use proptest::prelude::*;

/// Every seed passes; the BOLT #11 spec's valid examples parse (as signed raw invoices:
/// the older ones have no payment secret, which `lightning-invoice` now requires) and its
/// invalid ones do not, so the corpus holds what its names say.
#[test]
fn bolt11_seeds() {
    for (name, data) in seeds("bolt11_check") {
        bolt11_check(&data);
        let text = String::from_utf8(data).unwrap();
        if name.starts_with("seed-spec-invalid") {
            let parsed = text.parse::<lightning_invoice::Bolt11Invoice>();
            assert!(parsed.is_err(), "{name} parses");
        } else {
            let parsed = text.parse::<lightning_invoice::SignedRawBolt11Invoice>();
            assert!(parsed.is_ok(), "{name}: {parsed:?}");
        }
    }
}

/// Writes the invoice the `bolt11_check` constants describe (accepted by the check). Run
/// by hand: `cargo test -p liveauth-testkit --test fuzz_bolt11 -- --ignored`.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand"]
fn write_quoted_invoice_seed() {
    use mock_api::lightning::{InvoiceRequest, LightningNode, Network, payment_hash};
    let invoice = LightningNode::from_seed([1; 32], Network::Regtest)
        .create_invoice(&InvoiceRequest {
            amount_sats: AMOUNT_SATS,
            payment_hash: payment_hash(&[0; 32]),
            payment_secret: [9; 32],
            description: "LiveAuth session".to_owned(),
            created_at_unix: NOW_UNIX - 60,
            expiry_secs: 600,
        })
        .unwrap();
    std::fs::write(dir("bolt11_check").join("seed-quoted-invoice"), invoice).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn bolt11_mutations(index in 0usize..400, c in "[a-z0-9]", cut in any::<bool>()) {
        for (_, data) in seeds("bolt11_check") {
            let mut text = String::from_utf8(data).unwrap();
            if text.is_char_boundary(index.min(text.len())) && index < text.len() {
                if cut { text.truncate(index) } else { text.replace_range(index..=index, &c) }
            }
            bolt11_check(text.as_bytes());
        }
    }
}
