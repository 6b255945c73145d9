//! Receipts through a real MCP client (rmcp over an in-process duplex) against the real
//! mock: each accepted charge's receipts are kept, `receiptV2` is verified against the
//! API's key set (`receiptVerified`), and the receipts are listed and read as MCP
//! resources (`liveauth://receipts`, `liveauth://receipts/{receiptId}`).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{Harness, Profile, mock_config};
use liveauth_protocol::receipt::SignedReceipt;
use liveauth_protocol::receipt::v2::{self, Expectations, ReceiptKeySet};
use mock_api::receipts::ReceiptConfig;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

async fn read(h: &Harness, uri: &str) -> Result<Value, rmcp::ServiceError> {
    let result = h
        .client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await?;
    let [
        ResourceContents::TextResourceContents {
            text, mime_type, ..
        },
    ] = &result.contents[..]
    else {
        panic!("{result:?}")
    };
    assert_eq!(mime_type.as_deref(), Some("application/json"));
    Ok(serde_json::from_str(text).unwrap())
}

/// Two charges: each result says `receiptVerified: true` and names its resource; the
/// resources list the listing and both receipts (newest first), each reads back with both
/// envelopes, and the kept `receiptV2` verifies against the mock's key set.
async fn charges_keep_verified_receipts_as_resources(profile: Profile) {
    let h = Harness::new(profile).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    let first = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 2}))
        .await;
    let second = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 3}))
        .await;
    for charge in [&first, &second] {
        assert_eq!(charge["status"], "ok", "{charge}");
        assert_eq!(charge["receiptVerified"], true, "{charge}");
        assert!(charge.get("receiptProblem").is_none(), "{charge}");
        assert_eq!(
            charge["receipt"]["version"], "mcp-call-receipt-v1",
            "{charge}"
        );
        assert_eq!(charge["receiptV2"]["version"], "receipt-v2", "{charge}");
    }
    let uri = first["receiptResource"].as_str().unwrap();
    assert!(uri.starts_with("liveauth://receipts/mcp_receipt_"), "{uri}");

    let resources = h.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "ui://liveauth/lightning-payment",
            "liveauth://receipts",
            second["receiptResource"].as_str().unwrap(),
            uri
        ]
    );
    let templates = h.client.list_all_resource_templates().await.unwrap();
    assert_eq!(templates[0].uri_template, "liveauth://receipts/{receiptId}");

    let kept = read(&h, uri).await.unwrap();
    assert_eq!(kept["receiptVerified"], true, "{kept}");
    assert_eq!(kept["grossSats"], 2, "{kept}");
    assert_eq!(kept["receipt"], first["receipt"]);
    assert_eq!(kept["receiptV2"], first["receiptV2"]);
    let keys: ReceiptKeySet = reqwest::get(format!("{}{}", h.base, v2::KEY_SET_PATH))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let envelope = SignedReceipt::from_value(&kept["receiptV2"]).unwrap();
    v2::verify(&envelope, &keys, &Expectations::default()).unwrap();

    let listing = read(&h, "liveauth://receipts").await.unwrap();
    let listed: Vec<&Value> = listing["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|receipt| &receipt["uri"])
        .collect();
    assert_eq!(
        listed,
        [&second["receiptResource"], &first["receiptResource"]]
    );

    let unknown = read(&h, "liveauth://receipts/mcp_receipt_nope").await;
    assert!(
        format!("{:?}", unknown.unwrap_err()).contains("Unknown resource"),
        "an unknown receipt is an error"
    );
}

/// An API that sends no `receiptV2` (`--no-receipt-v2`, as a hosted backend without the
/// v2 signer): the v1 receipt is kept, and `receiptVerified` is absent.
async fn without_v2_the_receipt_is_kept_unverified(profile: Profile) {
    let config = mock_api::Config {
        receipts: ReceiptConfig {
            v2: false,
            ..ReceiptConfig::default()
        },
        ..mock_config(profile)
    };
    let h = Harness::with(config, None).await;
    h.ok("liveauth_mcp_authenticate", json!({})).await;
    let charge = h
        .ok("liveauth_mcp_charge", json!({"callCostSats": 1}))
        .await;
    assert!(charge.get("receiptVerified").is_none(), "{charge}");
    assert!(charge.get("receiptV2").is_none(), "{charge}");
    let kept = read(&h, charge["receiptResource"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(kept["receipt"], charge["receipt"]);
    assert!(kept.get("receiptVerified").is_none(), "{kept}");
}

liveauth_testkit::on_both_profiles!(
    charges_keep_verified_receipts_as_resources,
    without_v2_the_receipt_is_kept_unverified,
);
