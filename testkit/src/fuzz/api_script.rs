//! Scripts of HTTP requests against a fresh seeded mock app (no socket,
//! `tower::ServiceExt::oneshot`): never a 5xx, and every 4xx is problem+json with a
//! `code`, except LNURL errors, which are LUD-06 `{status: "ERROR", reason}`.
//!
//! The script format is text, so seeds are readable and libFuzzer's dictionary applies:
//! requests are separated by a line `%%`; each is `METHOD PATH`, header lines
//! `Name: value`, an empty line and the body. `${name}` in the path, a header value or
//! the body is replaced by the last value of that JSON field in an earlier response
//! (`quoteId`, `jwt`, `refreshToken`, `paymentHash`, `preimage`, ...), or by a derived
//! value: `nonce` and `hashHex` (a solution of the last PoW challenge), `macaroon` (from
//! the last 402), `l402` and `x402` (ready `Authorization` values).

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri, header};
use liveauth_protocol::auth::Challenge;
use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::{solution_hash, target_from_bits, verify_solution};
use mock_api::Config;
use serde_json::{Value, json};

use super::vars::{Vars, find};
use super::{Answer, block_on, send};

/// The non-demo project of the fuzzed app (its Lightning quotes stay unpaid until settled).
pub const PROJECT_KEY: &str = "la_pk_fuzz";

/// At most this many requests of a script are sent.
pub const MAX_REQUESTS: usize = 8;

/// Difficulty of the fuzzed app's challenges: low, so `${nonce}` is found at once.
const DIFFICULTY_BITS: u32 = 4;

/// The app every script runs against: seeded, manual clock, low difficulty.
pub fn config() -> Config {
    Config {
        // The script's oracle knows the strict profile's codes.
        profile: mock_api::Profile::Strict,
        seed: Some(1),
        manual_clock: true,
        difficulty_bits: DIFFICULTY_BITS,
        projects: vec![crate::mock::project(PROJECT_KEY, Some(21))],
        ..Config::default()
    }
}

/// Every route the app serves, as `(METHOD, path)` with `${name}` for each path
/// parameter. Read from the mock's own OpenAPI document (which its tests hold equal to
/// the router), so a new route reaches the fuzzer without being listed again.
pub fn routes() -> &'static [(String, String)] {
    static ROUTES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        const METHODS: [&str; 8] = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let doc = serde_json::to_value(mock_api::openapi::document(true))
            .unwrap_or_else(|error| panic!("the mock's OpenAPI document: {error}"));
        let Some(paths) = doc["paths"].as_object() else {
            panic!("the mock's OpenAPI document has no paths: {doc}")
        };
        let mut routes = Vec::new();
        for (path, item) in paths {
            for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                routes.push((method.to_ascii_uppercase(), path.replace('{', "${")));
            }
        }
        routes
    })
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
    let app = mock_api::app(config());
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
            learn(&mut vars, &answer);
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

/// Every field of the answer, a solution of its PoW challenge, its 402 credentials.
fn learn(vars: &mut Vars, answer: &Answer) {
    if let Ok(json) = serde_json::from_slice::<Value>(&answer.body) {
        vars.learn(&json);
        if let Some(challenge) = json.get("powChallenge").filter(|c| c.is_object()) {
            solve(vars, challenge);
        }
    }
    for value in answer.headers.get_all(header::WWW_AUTHENTICATE) {
        match value.to_str().map(Challenge::parse) {
            Ok(Ok(Challenge::L402 { macaroon, .. })) => {
                vars.set("macaroon", macaroon.to_base64());
            }
            Ok(Ok(Challenge::X402 { payment_hash, .. })) => {
                vars.set("paymentHash", encode_hex(&payment_hash));
            }
            _ => {}
        }
    }
    let macaroon = vars.get("macaroon").cloned();
    if let Some(preimage) = vars.get("preimage").cloned() {
        if let Some(macaroon) = macaroon {
            vars.set("l402", format!("L402 {macaroon}:{preimage}"));
        }
        vars.set("x402", format!("x402 {preimage}"));
    }
}

/// Finds the first nonce below the challenge's own target (a few tries at 4 bits).
fn solve(vars: &mut Vars, challenge: &Value) {
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
        vars.set("nonce", nonce.to_string());
        vars.set("hashHex", encode_hex(&solution_hash(key, hex, nonce)));
    }
}
