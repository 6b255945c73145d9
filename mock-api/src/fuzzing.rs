//! Properties of the HTTP API as plain functions over bytes: the fuzz targets in `fuzz/`
//! and the proptests in `tests/fuzz_mirror.rs` call them. They panic only when a property
//! is violated.
//!
//! - [`api_request`]: a short script of HTTP requests against a fresh seeded app (no
//!   socket, `tower::ServiceExt::oneshot`): never a 5xx, and every 4xx is problem+json
//!   with a `code`, except LNURL errors, which are LUD-06 `{status: "ERROR", reason}`.
//! - [`pow_verify`]: the protocol's PoW properties, then the mock's own acceptance of a
//!   confirm, which must agree with an independent SHA-256 recomputation.
//!
//! The script format is text, so seeds are readable and libFuzzer's dictionary applies:
//! requests are separated by a line `%%`; each is `METHOD PATH`, header lines
//! `Name: value`, an empty line and the body. `${name}` in the path, a header value or
//! the body is replaced by the last value of that JSON field in an earlier response
//! (`quoteId`, `jwt`, `refreshToken`, `paymentHash`, `preimage`, ...), or by a derived
//! value: `nonce` and `hashHex` (a solution of the last PoW challenge), `macaroon` (from
//! the last 402), `l402` and `x402` (ready `Authorization` values).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, Uri, header};
use liveauth_protocol::fuzzing::{
    PowInput, independent_hash, independent_less, independent_nonce, independent_target, pow_check,
};
use liveauth_protocol::l402::Challenge;
use liveauth_protocol::pow::{encode_hex32, solution_hash, target_from_bits, verify_solution};
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::config::{Config, ProjectSpec};

/// Every route the app serves, with a sample for each path parameter.
pub const ROUTES: [(&str, &str); 14] = [
    ("POST", "/api/mcp/start"),
    ("POST", "/api/public/demo/start"),
    ("POST", "/api/mcp/confirm"),
    ("POST", "/api/mcp/charge"),
    ("GET", "/api/mcp/status/${quoteId}"),
    ("GET", "/api/mcp/lnurl/${quoteId}"),
    ("GET", "/api/mcp/usage"),
    ("POST", "/api/mcp/refresh"),
    ("GET", "/api/demo/resource"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("POST", "/api/dev/settle/${paymentHash}"),
    ("POST", "/api/dev/clock/advance"),
];

/// The non-demo project of the fuzzed app (its Lightning quotes stay unpaid until settled).
pub const PROJECT_KEY: &str = "la_pk_fuzz";

/// At most this many requests of a script are sent.
pub const MAX_REQUESTS: usize = 8;

/// Difficulty of the fuzzed app's challenges: low, so `${nonce}` is found at once.
const DIFFICULTY_BITS: u32 = 4;

/// The app every script runs against: seeded, manual clock, low difficulty.
pub fn config() -> Config {
    Config {
        seed: Some(1),
        manual_clock: true,
        difficulty_bits: DIFFICULTY_BITS,
        projects: vec![ProjectSpec {
            public_key: PROJECT_KEY.to_owned(),
            price_sats: Some(21),
        }],
        ..Config::default()
    }
}

/// One request of a script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl ApiRequest {
    /// The script form of one request (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {}\n", self.method, self.path).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.push(b'\n');
        }
        out.push(b'\n');
        out.extend_from_slice(&self.body);
        out
    }

    fn parse(chunk: &[u8]) -> Self {
        let (head, body) = match find(chunk, b"\n\n") {
            Some(at) => (&chunk[..at], &chunk[at + 2..]),
            None => (chunk, &[][..]),
        };
        let mut lines = head.split(|&b| b == b'\n');
        let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default());
        let (method, path) = request_line
            .trim_end_matches('\r')
            .split_once(' ')
            .unwrap_or((&request_line, "/"));
        let headers = lines
            .filter_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let name = String::from_utf8_lossy(&line[..colon]).into_owned();
                let value = line[colon + 1..].trim_ascii_start();
                Some((name, value.strip_suffix(b"\r").unwrap_or(value).to_vec()))
            })
            .collect();
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: body.to_vec(),
        }
    }
}

/// A script of requests in byte form (see the module docs).
pub fn script_to_bytes(requests: &[ApiRequest]) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = requests.iter().map(ApiRequest::to_bytes).collect();
    parts.join(&b"\n%%\n"[..])
}

/// Splits a script into its requests.
pub fn parse_script(data: &[u8]) -> Vec<ApiRequest> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < MAX_REQUESTS && !rest.is_empty() {
        let (chunk, next) = match find(rest, b"\n%%\n") {
            Some(at) => (&rest[..at], &rest[at + 4..]),
            None => (rest, &[][..]),
        };
        out.push(ApiRequest::parse(chunk));
        rest = next;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

thread_local! {
    /// One current-thread runtime per fuzzing thread, built once.
    static RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// Runs `future` on this thread's runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    RUNTIME.with(|runtime| match runtime {
        Some(runtime) => runtime.block_on(future),
        None => panic!("fuzzing harness: cannot build a tokio runtime"),
    })
}

/// A response, read whole.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = match app.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes.to_vec(),
        Err(error) => panic!("reading a response body failed: {error}"),
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Any bytes as a script: see [`api_script`].
pub fn api_request(data: &[u8]) {
    api_script(&parse_script(data));
}

/// What one request of a script got: its status, or `None` if it was skipped.
pub type Trace = Vec<(String, Option<u16>)>;

/// Sends `requests` in order to a fresh app. A request that is not valid HTTP (method,
/// URI or header name or value that `http` refuses) is skipped, as a server never sees
/// it. Every answer must be below 500; every 4xx must be problem+json whose `status`,
/// `code`, `error` and `error_description` agree, except under `/api/mcp/lnurl/`, where a
/// LUD-06 error body is also right; every JSON success body must parse. Returns what
/// each request got, so tests can see how far a script went.
pub fn api_script(requests: &[ApiRequest]) -> Trace {
    let app = crate::app(config());
    let mut vars = Vars::default();
    let mut trace = Vec::new();
    block_on(async {
        for request in requests.iter().take(MAX_REQUESTS) {
            let label = format!("{} {}", request.method, request.path);
            let Some(http_request) = build(request, &vars) else {
                trace.push((label, None));
                continue;
            };
            let method = http_request.method().clone();
            let uri = http_request.uri().clone();
            let answer = send(&app, http_request).await;
            check_answer(&method, &uri, &answer);
            vars.learn(&answer);
            trace.push((label, Some(answer.status.as_u16())));
        }
    });
    trace
}

fn build(request: &ApiRequest, vars: &Vars) -> Option<Request<Body>> {
    let method = Method::from_bytes(request.method.as_bytes()).ok()?;
    let path = String::from_utf8(vars.substitute(request.path.as_bytes())).ok()?;
    let uri = Uri::try_from(path).ok()?;
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in &request.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&vars.substitute(value)),
        ) else {
            continue;
        };
        builder = builder.header(name, value);
    }
    builder
        .body(Body::from(vars.substitute(&request.body)))
        .ok()
}

fn check_answer(method: &Method, uri: &Uri, answer: &Answer) {
    let status = answer.status;
    let body = String::from_utf8_lossy(&answer.body);
    assert!(
        !status.is_server_error(),
        "{method} {uri} answered {status}: {body}"
    );
    // HEAD answers carry no body by definition.
    if method == Method::HEAD {
        return;
    }
    let content_type = answer
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
    if status.is_client_error() {
        if uri.path().starts_with("/api/mcp/lnurl/") && is_lnurl_error(json.as_ref()) {
            assert!(
                content_type.starts_with("application/json"),
                "{method} {uri}: LNURL error with content type {content_type:?}"
            );
            return;
        }
        assert_eq!(
            content_type,
            liveauth_protocol::problem::CONTENT_TYPE,
            "{method} {uri} answered {status} without problem+json: {body}"
        );
        let problem = json.unwrap_or_else(|| panic!("{method} {uri}: problem is not JSON: {body}"));
        let code = problem["code"].as_str().unwrap_or_default();
        assert!(
            !code.is_empty(),
            "{method} {uri}: problem without code: {body}"
        );
        assert_eq!(
            problem["status"].as_u64(),
            Some(u64::from(status.as_u16())),
            "{method} {uri}: problem status differs from {status}: {body}"
        );
        assert_eq!(
            problem["error"].as_str(),
            Some(code),
            "{method} {uri}: {body}"
        );
        assert!(
            problem["detail"].is_string()
                && problem["detail"] == problem["error_description"]
                && problem["title"].is_string()
                && problem["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&format!("/{code}"))),
            "{method} {uri}: malformed problem: {body}"
        );
    } else if content_type.starts_with("application/json") {
        assert!(
            json.is_some(),
            "{method} {uri}: JSON body does not parse: {body}"
        );
    }
}

fn is_lnurl_error(json: Option<&Value>) -> bool {
    json.and_then(Value::as_object).is_some_and(|object| {
        object.len() == 2
            && object.get("status") == Some(&json!("ERROR"))
            && object["reason"].is_string()
    })
}

/// Values learned from earlier answers, for `${name}`.
#[derive(Debug, Default)]
struct Vars(BTreeMap<String, String>);

impl Vars {
    fn learn(&mut self, answer: &Answer) {
        if let Ok(json) = serde_json::from_slice::<Value>(&answer.body) {
            self.walk(&json);
            if let Some(challenge) = json.get("powChallenge").filter(|c| c.is_object()) {
                self.solve(challenge);
            }
        }
        for value in answer.headers.get_all(header::WWW_AUTHENTICATE) {
            match value.to_str().map(Challenge::parse) {
                Ok(Ok(Challenge::L402 { macaroon, .. })) => {
                    self.0.insert("macaroon".into(), macaroon.to_base64());
                }
                Ok(Ok(Challenge::X402 { payment_hash, .. })) => {
                    self.0
                        .insert("paymentHash".into(), encode_hex32(&payment_hash));
                }
                _ => {}
            }
        }
        let macaroon = self.0.get("macaroon").cloned();
        if let Some(preimage) = self.0.get("preimage").cloned() {
            if let Some(macaroon) = macaroon {
                self.0
                    .insert("l402".into(), format!("L402 {macaroon}:{preimage}"));
            }
            self.0.insert("x402".into(), format!("x402 {preimage}"));
        }
    }

    fn walk(&mut self, value: &Value) {
        let Value::Object(object) = value else {
            if let Value::Array(items) = value {
                items.iter().for_each(|item| self.walk(item));
            }
            return;
        };
        for (key, value) in object {
            match value {
                Value::String(s) => {
                    self.0.insert(key.clone(), s.clone());
                }
                Value::Number(n) => {
                    self.0.insert(key.clone(), n.to_string());
                }
                other => self.walk(other),
            }
        }
    }

    /// Finds the first nonce below the challenge's own target (a few tries at 4 bits).
    fn solve(&mut self, challenge: &Value) {
        let (Some(key), Some(hex), Some(bits)) = (
            challenge["projectPublicKey"].as_str(),
            challenge["challengeHex"].as_str(),
            challenge["difficultyBits"].as_u64(),
        ) else {
            return;
        };
        let Some(target) = u32::try_from(bits)
            .ok()
            .and_then(|b| target_from_bits(b).ok())
        else {
            return;
        };
        if let Some(nonce) = (0..1 << 16).find(|&n| verify_solution(key, hex, n, &target)) {
            self.0.insert("nonce".into(), nonce.to_string());
            self.0.insert(
                "hashHex".into(),
                encode_hex32(&solution_hash(key, hex, nonce)),
            );
        }
    }

    fn substitute(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut rest = input;
        while let Some(start) = find(rest, b"${") {
            out.extend_from_slice(&rest[..start]);
            let after = &rest[start + 2..];
            match after.iter().position(|&b| b == b'}').and_then(|end| {
                let name = std::str::from_utf8(&after[..end]).ok()?;
                Some((end, self.0.get(name)?))
            }) {
                Some((end, value)) => {
                    out.extend_from_slice(value.as_bytes());
                    rest = &after[end + 1..];
                }
                None => {
                    out.extend_from_slice(b"${");
                    rest = after;
                }
            }
        }
        out.extend_from_slice(rest);
        out
    }
}

// ---------------------------------------------------------------------------------------
// PoW acceptance

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
                crate::app(Config {
                    difficulty_bits: bits,
                    ..config()
                }),
                0,
            );
        }
        entry.1 += 1;
        entry.0.clone()
    })
}

/// Any bytes as a [`PowInput`]: see [`pow_confirm_check`].
pub fn pow_verify(data: &[u8]) {
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
                    !input.target_hex.is_empty() && input.target_hex != encode_hex32(&hash);
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
