//! The mock's acceptance of a PoW confirm: after the protocol's own PoW properties, a
//! fresh demo quote is confirmed with the input's nonce, and the answer must agree with
//! an independent SHA-256 recomputation.

use std::cell::RefCell;
use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, Uri, header};
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::fuzzing::{
    PowInput, independent_hash, independent_less, independent_nonce, independent_target, pow_check,
};
use mock_api::Config;
use serde_json::{Value, json};

use super::{block_on, send};

/// Highest difficulty the mock step uses; the input's bits are taken modulo one more.
const MOCK_MAX_BITS: u32 = 12;

/// An app is rebuilt after this many confirms, so its store stays small.
const APP_REUSE: u32 = 4096;

thread_local! {
    /// One app per difficulty, and how many quotes it has served.
    static POW_APPS: RefCell<HashMap<u32, (Router, u32)>> = RefCell::new(HashMap::new());
}

fn pow_app(bits: u32) -> Router {
    POW_APPS.with(|apps| {
        let mut apps = apps.borrow_mut();
        let entry = apps
            .entry(bits)
            .or_insert_with(|| (Router::new(), APP_REUSE));
        if entry.1 >= APP_REUSE {
            *entry = (
                mock_api::app(Config {
                    difficulty_bits: bits,
                    ..super::api_script::config()
                }),
                0,
            );
        }
        entry.1 += 1;
        entry.0.clone()
    })
}

/// Any bytes as a [`PowInput`]: see [`pow_confirm_check`].
pub fn pow_confirm(data: &[u8]) {
    pow_confirm_check(&PowInput::from_bytes(data));
}

/// The protocol's PoW properties ([`pow_check`]), then the mock's acceptance: a fresh
/// demo quote at `bits % 13` difficulty is confirmed with the input's nonce (as a JSON
/// string) and, when the input has a target line, that line as `hashHex`. The answer must
/// be `nonce_invalid` exactly when the nonce is not canonical, `hash_mismatch` exactly
/// when `hashHex` is not the hash, and otherwise a session exactly when SHA-256 of the
/// message is below the target derived from the difficulty.
pub fn pow_confirm_check(input: &PowInput) {
    pow_check(input);
    let bits = input.bits() % (MOCK_MAX_BITS + 1);
    let app = pow_app(bits);
    block_on(async {
        let start = send(&app, json_request("/api/public/demo/start", &json!({}))).await;
        assert_eq!(start.status, StatusCode::OK, "demo start failed");
        let started: Value = serde_json::from_slice(&start.body).unwrap_or_default();
        let challenge = &started["powChallenge"];
        let (Some(key), Some(hex)) = (
            challenge["projectPublicKey"].as_str(),
            challenge["challengeHex"].as_str(),
        ) else {
            panic!("demo start gave no PoW challenge: {started}");
        };
        let mut body = json!({
            "quoteId": started["quoteId"],
            "challengeHex": hex,
            "nonce": input.nonce,
            "expiresAtUnix": challenge["expiresAtUnix"],
            "difficultyBits": challenge["difficultyBits"],
            "sig": challenge["signature"],
        });
        if !input.target_hex.is_empty() {
            body["hashHex"] = json!(input.target_hex);
        }
        let answer = send(&app, json_request("/api/mcp/confirm", &body)).await;
        let problem: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        let code = problem["code"].as_str();

        let expected = match independent_nonce(&input.nonce) {
            None => Err("nonce_invalid"),
            Some(_) => {
                let hash = independent_hash(key, hex, &input.nonce);
                let target = independent_target(bits).unwrap_or_default();
                let sent_hash_differs =
                    !input.target_hex.is_empty() && input.target_hex != encode_hex(&hash);
                if sent_hash_differs {
                    Err("hash_mismatch")
                } else if independent_less(&hash, &target) {
                    Ok(())
                } else {
                    Err("solution_invalid")
                }
            }
        };
        match expected {
            Ok(()) => assert!(
                answer.status == StatusCode::OK && problem["jwt"].is_string(),
                "a valid solution (nonce {:?}, {bits} bits) was refused: {} {problem}",
                input.nonce,
                answer.status
            ),
            Err(want) => assert_eq!(
                code,
                Some(want),
                "nonce {:?} at {bits} bits (hashHex {:?}): expected {want}, got {} {problem}",
                input.nonce,
                input.target_hex,
                answer.status
            ),
        }
    });
}

fn json_request(path: &str, body: &Value) -> Request<Body> {
    let mut request = Request::new(Body::from(body.to_string()));
    *request.method_mut() = Method::POST;
    *request.uri_mut() = Uri::from_static("/");
    if let Ok(uri) = Uri::try_from(path) {
        *request.uri_mut() = uri;
    }
    request.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    request
}
