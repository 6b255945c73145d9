//! A harness that drives the real router with `oneshot` and reads answers as raw JSON.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test harness: a panic is a failed test

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use liveauth_protocol::auth::Credential;
use liveauth_testkit::pow::{self, JsonSolution};
use mock_api::{AppState, Config};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub use liveauth_testkit::mock::PROJECT_KEY;

/// The header that names the keyed project.
pub const KEYED: &[(&str, &str)] = &[("x-lw-public", PROJECT_KEY)];

pub struct TestApp {
    pub state: AppState,
    router: axum::Router,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Answer {
    /// The problem `code` of an error answer, after checking the problem+json contract.
    pub fn code(&self) -> &str {
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{self:?}"
        );
        let body = &self.body;
        assert_eq!(body["status"], self.status.as_u16(), "{body}");
        assert_eq!(body["error"], body["code"], "{body}");
        assert_eq!(body["error_description"], body["detail"], "{body}");
        assert!(
            body["title"].is_string() && body["type"].is_string(),
            "{body}"
        );
        body["code"].as_str().unwrap_or_default()
    }

    /// `(status, code)` of an error answer, after the checks of [`Answer::code`].
    pub fn problem(&self) -> (u16, &str) {
        (self.status.as_u16(), self.code())
    }

    pub fn header(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

/// The object's keys, sorted.
/// `body` fits the OpenAPI schema `name` of `doc`: it has every required field and no
/// field the schema does not document (through `allOf` and `$ref`s, as `#[serde(flatten)]`
/// documents a flattened struct).
#[allow(dead_code)] // not every test binary checks schemas
pub fn assert_fits(doc: &Value, name: &str, body: &Value) {
    let (mut required, mut known) = (Vec::new(), Vec::new());
    schema_fields(
        doc,
        &doc["components"]["schemas"][name],
        &mut required,
        &mut known,
    );
    assert!(!known.is_empty(), "{name} documents no properties");
    let object = body.as_object().unwrap_or_else(|| panic!("{name}: {body}"));
    for field in required {
        assert!(object.contains_key(&field), "{name} lacks {field}: {body}");
    }
    for field in object.keys() {
        assert!(
            known.contains(field),
            "{name} does not document {field}: {body}"
        );
    }
}

fn schema_fields(doc: &Value, schema: &Value, required: &mut Vec<String>, known: &mut Vec<String>) {
    if let Some(name) = schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        return schema_fields(doc, &doc["components"]["schemas"][name], required, known);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        schema_fields(doc, part, required, known);
    }
    let names = |v: &Value| v.as_str().map(str::to_owned);
    required.extend(
        schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(names),
    );
    known.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
}

/// A charge answer without its receipts (asserted present: every accepted charge is
/// signed), for comparing the rest of it whole.
pub fn without_receipts(answer: &Value) -> Value {
    let mut answer = answer.clone();
    let fields = answer.as_object_mut().unwrap();
    for receipt in ["receipt", "receiptV2"] {
        assert!(fields.remove(receipt).is_some(), "{receipt} missing");
    }
    answer
}

pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Defaults for tests: seeded, manual clock, low difficulty, one extra project, strict
/// profile (what the tests written before the hosted profile assert).
pub fn config() -> Config {
    liveauth_testkit::mock::config(42)
}

/// As [`config`], in the hosted profile.
pub fn hosted() -> Config {
    Config {
        profile: mock_api::Profile::Hosted,
        ..config()
    }
}

impl TestApp {
    pub fn new() -> Self {
        Self::with(config())
    }

    pub fn with(config: Config) -> Self {
        let state = AppState::new(config);
        Self {
            router: mock_api::router(state.clone()),
            state,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            raw,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).unwrap()).await
    }

    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Answer {
        self.call(Method::POST, path, headers, Some(body)).await
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.call(Method::GET, path, headers, None).await
    }

    pub async fn start_pow(&self) -> Value {
        let answer = self.post("/api/mcp/start", KEYED, json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    /// A PoW start presenting `X-LW-Public: key`, answered as it may be.
    pub async fn start_with_key(&self, key: &str) -> Answer {
        self.post("/api/mcp/start", &[("x-lw-public", key)], json!({}))
            .await
    }

    pub async fn start_lightning(&self, key: Option<&str>) -> Value {
        let answer = match key {
            Some(key) => {
                self.post(
                    "/api/mcp/start",
                    &[("x-lw-public", key)],
                    json!({"forceLightning": true}),
                )
                .await
            }
            None => {
                self.post(
                    "/api/public/demo/start",
                    &[],
                    json!({"forceLightning": true}),
                )
                .await
            }
        };
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    pub async fn advance(&self, seconds: u64) -> i64 {
        let answer = self
            .post("/api/dev/clock/advance", &[], json!({"seconds": seconds}))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body["nowUnix"].as_i64().unwrap()
    }

    /// `POST /api/dev/settle/{payment_hash}`: the invoice paid, its preimage revealed.
    pub async fn settle(&self, payment_hash: &str) -> Answer {
        let path = format!("/api/dev/settle/{payment_hash}");
        self.post(&path, &[], json!({})).await
    }

    /// `POST /api/mcp/confirm` with `body` and no key.
    pub async fn confirm(&self, body: Value) -> Answer {
        self.post("/api/mcp/confirm", &[], body).await
    }

    /// `POST /api/mcp/confirm` with `body` and the key of [`Self::start_pow`]'s project
    /// (the hosted profile finds a keyless confirm's quote in the demo project only).
    pub async fn confirm_keyed(&self, body: Value) -> Answer {
        self.post("/api/mcp/confirm", KEYED, body).await
    }

    /// Confirms a Lightning quote (the body names only the quote).
    pub async fn confirm_quote(&self, quote_id: &str) -> Answer {
        self.confirm(json!({"quoteId": quote_id})).await
    }

    /// `(status, paymentStatus)` of a quote, from `GET /api/mcp/status/{quoteId}`.
    pub async fn quote_state(&self, quote_id: &str) -> (Value, Value) {
        let answer = self.get(&format!("/api/mcp/status/{quote_id}"), &[]).await;
        let body = answer.body;
        (body["status"].clone(), body["paymentStatus"].clone())
    }

    /// `POST /api/mcp/refresh` with `refresh_token`.
    pub async fn refresh(&self, refresh_token: &str) -> Answer {
        let body = json!({ "refreshToken": refresh_token });
        self.post("/api/mcp/refresh", &[], body).await
    }

    /// `GET /api/demo/resource` paid with `credential`.
    pub async fn resource(&self, credential: &Credential) -> Answer {
        let authorization = credential.to_string();
        self.get("/api/demo/resource", &[("authorization", &authorization)])
            .await
    }

    /// A PoW session: start, solve, confirm. Returns the confirm body.
    pub async fn session(&self) -> Value {
        let start = self.start_pow().await;
        let answer = self.confirm_keyed(solved(&start)).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        answer.body
    }

    pub async fn charge(&self, jwt: &str, cost: u64, key: Option<&str>) -> Answer {
        let bearer = format!("Bearer {jwt}");
        let mut headers = vec![("authorization", bearer.as_str())];
        if let Some(key) = key {
            headers.push(("idempotency-key", key));
        }
        self.post("/api/mcp/charge", &headers, json!({"callCostSats": cost}))
            .await
    }
}

/// The first nonce that solves `start`'s challenge, and its hash.
pub fn solve_nonce(start: &Value) -> (u64, String) {
    let JsonSolution { nonce, hash_hex } = pow::solve_json(&start["powChallenge"]).unwrap();
    (nonce, hash_hex)
}

/// A confirm body (as the npm client sends it, with `sig`) for a solved challenge.
pub fn solved(start: &Value) -> Value {
    let (nonce, hash) = solve_nonce(start);
    confirm_body(start, nonce, &hash)
}

pub fn confirm_body(start: &Value, nonce: u64, hash: &str) -> Value {
    let challenge = &start["powChallenge"];
    json!({
        "quoteId": start["quoteId"],
        "challengeHex": challenge["challengeHex"],
        "nonce": nonce,
        "hashHex": hash,
        "expiresAtUnix": challenge["expiresAtUnix"],
        "difficultyBits": challenge["difficultyBits"],
        "sig": challenge["signature"],
    })
}

/// A nonce whose hash does NOT meet the target (there are plenty at 8 bits).
pub fn failing_nonce(start: &Value) -> u64 {
    pow::failing_nonce(&start["powChallenge"]).unwrap()
}
