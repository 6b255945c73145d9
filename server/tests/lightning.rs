//! What a person who pays sees, through a real MCP client and the real mock on both
//! profiles: the `lightning` block on every result with an invoice (facts §1.4), the QR
//! image while it is pending, read back by an independent decoder, and the MCP Apps
//! payment view listed, readable and referenced from the tools (§1.3, §4).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::{Harness, MockClock, PROJECT_KEY, Profile, mock_config};
use liveauth_protocol::codec::decode_base64;
use liveauth_testkit::qr;
use rmcp::model::{ReadResourceRequestParams, ResourceContents};
use serde_json::{Value, json};

const VIEW: &str = "ui://liveauth/lightning-payment";

/// A keyed harness on a manual clock the server shares.
async fn harness(profile: Profile) -> (Harness, MockClock) {
    Harness::on_manual_clock(mock_config(profile), Some(PROJECT_KEY)).await
}

/// The structured content of a successful call, after checking its envelope (§1.2): the
/// text block, then, exactly when `lightning.status` is `pending`, one image/png block
/// whose QR code decodes to `lightning.lightningUri`.
async fn call(h: &Harness, tool: &str, arguments: Value) -> Value {
    let result = h.ok_valid_result(tool, arguments).await;
    let structured = result.structured_content.clone().unwrap();
    let result = serde_json::to_value(result).unwrap();
    let content = result["content"].as_array().unwrap();
    let images: Vec<&Value> = content.iter().filter(|c| c["type"] == "image").collect();
    assert_eq!(content[0]["type"], "text", "{result}");
    if structured["lightning"]["status"] == "pending" {
        assert_eq!((content.len(), images.len()), (2, 1), "{tool}: {result}");
        assert_eq!(images[0]["mimeType"], "image/png");
        let png = decode_base64(images[0]["data"].as_str().unwrap()).unwrap();
        let decoded = qr::decode_png(&png).unwrap();
        assert_eq!((decoded.width, decoded.height), (280, 280));
        assert_eq!(
            decoded.text, structured["lightning"]["lightningUri"],
            "{tool}"
        );
    } else {
        assert_eq!(
            content.len(),
            1,
            "{tool}: no image unless pending: {result}"
        );
    }
    structured
}

async fn settle(h: &Harness, payment_hash: &str) {
    let url = format!("{}/api/dev/settle/{payment_hash}", h.base);
    let response = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(response.status().is_success());
}

/// The block as §1.4 writes it for this invoice and status.
fn expected_block(invoice: &Value, status: &str) -> Value {
    let bolt11 = invoice["bolt11"].as_str().unwrap();
    let expires = invoice["expiresAtUnix"].as_i64().unwrap();
    let iso = liveauth_protocol::time::rfc3339_utc(expires).replace('Z', ".000Z");
    json!({
        "invoice": bolt11,
        "lightningUri": format!("lightning:{bolt11}"),
        "amountSats": invoice["amountSats"],
        "expiresAt": iso,
        "expiresAtUnix": expires,
        "status": status,
    })
}

/// A Lightning quote through start, lnurl, confirm and status: pending with its QR image
/// until settled, then paid without one; a second quote turns expired past its expiry.
async fn the_block_follows_the_payment(profile: Profile) {
    let (h, clock) = harness(profile).await;
    let start = call(&h, "liveauth_mcp_start", json!({"forceLightning": true})).await;
    let invoice = start["invoice"].clone();
    let quote = json!({ "quoteId": start["quoteId"] });
    assert_eq!(start["lightning"], expected_block(&invoice, "pending"));

    let lnurl = call(&h, "liveauth_mcp_lnurl", quote.clone()).await;
    assert_eq!(lnurl["lightning"], expected_block(&invoice, "pending"));
    let confirm = call(&h, "liveauth_mcp_confirm", quote.clone()).await;
    assert_eq!(confirm["lightning"], expected_block(&invoice, "pending"));
    let status = call(&h, "liveauth_mcp_status", quote.clone()).await;
    assert_eq!(status["lightning"], expected_block(&invoice, "pending"));

    settle(&h, invoice["paymentHash"].as_str().unwrap()).await;
    let status = call(&h, "liveauth_mcp_status", quote.clone()).await;
    assert_eq!(status["lightning"], expected_block(&invoice, "paid"));
    let confirm = call(&h, "liveauth_mcp_confirm", quote.clone()).await;
    assert!(confirm["jwt"].is_string());
    assert_eq!(confirm["lightning"], expected_block(&invoice, "paid"));

    let second = call(&h, "liveauth_mcp_start", json!({"forceLightning": true})).await;
    let expires = second["invoice"]["expiresAtUnix"].as_i64().unwrap();
    let wait = u64::try_from(expires - clock.now()).unwrap();
    clock.advance(wait).unwrap();
    let quote = json!({ "quoteId": second["quoteId"] });
    let expired = call(&h, "liveauth_mcp_status", quote).await;
    assert_eq!(
        expired["lightning"],
        expected_block(&second["invoice"], "expired")
    );
}

/// Proof-of-work and L402 bundle quotes carry no block (nothing to pay by Lightning).
async fn no_block_without_an_invoice(profile: Profile) {
    let (h, _clock) = harness(profile).await;
    let pow = call(&h, "liveauth_mcp_start", json!({})).await;
    assert!(pow.get("lightning").is_none(), "{pow}");
    let quote = json!({ "quoteId": pow["quoteId"] });
    let status = call(&h, "liveauth_mcp_status", quote.clone()).await;
    assert!(status.get("lightning").is_none(), "{status}");
    let confirm = call(&h, "liveauth_mcp_confirm", quote).await;
    assert!(confirm.get("lightning").is_none(), "{confirm}");
    let l402 = call(&h, "liveauth_mcp_start", json!({"forceL402": true})).await;
    assert_eq!(l402["authHint"], "l402_bundle");
    assert!(l402.get("lightning").is_none(), "{l402}");
}

/// `authenticate` with Lightning and the bundle purchase carry the block of their invoice.
async fn authenticate_and_the_bundle_purchase_carry_it(profile: Profile) {
    let (h, _clock) = harness(profile).await;
    let auth = call(
        &h,
        "liveauth_mcp_authenticate",
        json!({"method": "lightning"}),
    )
    .await;
    let bolt11 = &auth["invoice"]["bolt11"];
    assert_eq!(auth["lightning"]["invoice"], *bolt11);
    assert_eq!(auth["lightning"]["status"], "pending");
    assert_eq!(
        auth["lightning"]["amountSats"],
        auth["invoice"]["decoded"]["amountSats"]
    );

    let pay = call(&h, "liveauth_mcp_l402_bundle", json!({"tier": "starter"})).await;
    let block = &pay["lightning"];
    assert_eq!(
        (&block["invoice"], &block["amountSats"], &block["status"]),
        (&pay["invoice"], &json!(50), &json!("pending"))
    );
    assert_eq!(block["expiresAtUnix"], pay["expiresAtUnix"]);
    settle(&h, pay["paymentHash"].as_str().unwrap()).await;
    let claimed = call(&h, "liveauth_mcp_l402_bundle", json!({})).await;
    assert_eq!(claimed["step"], "claimed");
    assert!(claimed.get("lightning").is_none(), "{claimed}");
}

/// The view is the first resource listed (beside the receipts), reads as a self-contained
/// MCP Apps page, and start, lnurl and confirm point to it; status is app-callable only.
async fn the_payment_view_is_a_resource(profile: Profile) {
    let (h, _clock) = harness(profile).await;
    let listed = h.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(uris, [VIEW, "liveauth://receipts"]);
    let view = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(view["mimeType"], "text/html;profile=mcp-app");
    assert_eq!(view["name"], "LiveAuth Lightning Payment");

    let read = h
        .client
        .read_resource(ReadResourceRequestParams::new(VIEW))
        .await
        .unwrap();
    let [ResourceContents::TextResourceContents { text, .. }] = read.contents.as_slice() else {
        panic!("one text content: {read:?}")
    };
    let contents = serde_json::to_value(&read.contents[0]).unwrap();
    assert_eq!(contents["mimeType"], "text/html;profile=mcp-app");
    assert_eq!(contents["_meta"], json!({"ui": {"prefersBorder": true}}));
    assert!(text.contains("http-equiv=\"Content-Security-Policy\""));
    assert!(text.contains("default-src 'none'"));
    // Self-contained: no external script, style, image or fetch.
    for fetching in [
        "src=\"http",
        "href=\"http",
        "fetch(",
        "XMLHttpRequest",
        "innerHTML",
    ] {
        assert!(!text.contains(fetching), "{fetching}");
    }

    let ui = json!({"resourceUri": VIEW, "visibility": ["model", "app"]});
    for tool in [
        "liveauth_mcp_start",
        "liveauth_mcp_lnurl",
        "liveauth_mcp_confirm",
    ] {
        let meta = serde_json::to_value(h.tool(tool).await.meta).unwrap();
        assert_eq!(meta, json!({ "ui": ui }), "{tool}");
    }
    let status = serde_json::to_value(h.tool("liveauth_mcp_status").await.meta).unwrap();
    assert_eq!(status, json!({"ui": {"visibility": ["model", "app"]}}));
    for tool in [
        "liveauth_mcp_charge",
        "liveauth_mcp_usage",
        "liveauth_mcp_solve",
    ] {
        assert!(h.tool(tool).await.meta.is_none(), "{tool}");
    }
    let error = h
        .client
        .read_resource(ReadResourceRequestParams::new("ui://liveauth/other"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("Unknown resource"), "{error}");
}

liveauth_testkit::on_both_profiles!(
    the_block_follows_the_payment,
    no_block_without_an_invoice,
    authenticate_and_the_bundle_purchase_carry_it,
    the_payment_view_is_a_resource,
);
