//! `GET /openapi.json` through the real router: the document is OpenAPI 3.1, lists exactly
//! the routes the router serves (checked three ways: against the literal list below,
//! against the `.route(...)` calls in `router()`, and by requesting every documented
//! operation), and its schemas, error codes and headers match what the handlers send.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::TestApp;
use liveauth_protocol::problem::ErrorCode;
use mock_api::Config;
use serde_json::{Value, json};

/// Every route `router()` registers, as documented (OpenAPI spells the path parameters).
/// A route added to the router must be added here and documented, or a test fails.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/mcp/start"),
    ("post", "/api/public/demo/start"),
    ("post", "/api/mcp/confirm"),
    ("post", "/api/mcp/charge"),
    ("get", "/api/mcp/status/{quoteId}"),
    ("get", "/api/mcp/lnurl/{quoteId}"),
    ("get", "/api/mcp/usage"),
    ("post", "/api/mcp/refresh"),
    ("get", "/api/mcp/capabilities"),
    ("post", "/api/mcp/payments/{paymentId}/confirm"),
    ("get", "/api/demo/resource"),
    ("post", "/api/public/l402/bundle/invoice"),
    ("post", "/api/public/l402/bundle/claim"),
    ("get", "/api/public/l402/bundle/status"),
    ("get", "/.well-known/jwks.json"),
    ("get", "/.well-known/liveauth-receipt-keys.json"),
    ("get", "/healthz"),
    ("get", "/openapi.json"),
    ("post", "/api/dev/settle/{paymentHash}"),
    ("post", "/api/dev/clock/advance"),
];

/// Routes the hosted profile adds (the legacy demo start path, §1.5).
const HOSTED_ONLY: &[(&str, &str)] = &[("post", "/api/public/auth/demo/start")];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn config() -> Config {
    Config {
        profile: mock_api::Profile::Strict,
        seed: Some(7),
        manual_clock: true,
        ..Config::default()
    }
}

// Helpers are not #[test] fns, so clippy's allow-unwrap-in-tests does not cover them:
// they panic with a message instead.

async fn send(app: &TestApp, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .unwrap_or_else(|e| panic!("method {method}: {e}"));
    let answer = app.call(method, uri, &[], body).await;
    (answer.status, answer.body)
}

async fn fetch_document(config: Config) -> Value {
    let answer = TestApp::with(config).get("/openapi.json", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), ["application/json"]);
    serde_json::from_slice(&answer.raw).unwrap_or_else(|e| panic!("/openapi.json is not JSON: {e}"))
}

/// (method, path) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let Some(paths) = doc["paths"].as_object() else {
        panic!("no paths object: {doc}");
    };
    let mut found = BTreeSet::new();
    for (path, item) in paths {
        for method in METHODS {
            if item.get(*method).is_some() {
                found.insert(((*method).to_owned(), path.clone()));
            }
        }
    }
    found
}

fn literal_routes() -> BTreeSet<(String, String)> {
    ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect()
}

/// `/a/{x}/b` → `/a/{}/b`, so axum's and OpenAPI's parameter names compare equal.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    op
}

/// The `security` alternatives of an operation, each as a sorted list of scheme names.
fn security(op: &Value) -> BTreeSet<Vec<String>> {
    let Some(alternatives) = op["security"].as_array() else {
        panic!("no security: {op}");
    };
    alternatives
        .iter()
        .map(|alt| {
            let mut names: Vec<String> = alt
                .as_object()
                .map(|alt| alt.keys().cloned().collect())
                .unwrap_or_default();
            names.sort();
            names
        })
        .collect()
}

/// The served document is OpenAPI 3.1 JSON describing the LiveAuth API.
#[tokio::test]
async fn serves_an_openapi_3_1_document() {
    let doc = fetch_document(config()).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "LiveAuth HTTP API");
    assert!(doc["info"]["version"].is_string());
    // Served from a cache: a second request gives the same document.
    assert_eq!(fetch_document(config()).await, doc);
}

/// Every route of the literal list is documented with its method, and nothing else is.
#[tokio::test]
async fn documents_exactly_the_listed_routes() {
    let doc = fetch_document(config()).await;
    assert_eq!(operations(&doc), literal_routes());
}

/// The literal list matches the `.route(...)` calls in `router()`, so a route registered
/// without being listed (and so without being documented) fails here.
#[test]
fn literal_list_matches_the_router_source() {
    let source = include_str!("../src/lib.rs");
    let mut registered = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        let call = call.trim_start().strip_prefix('"');
        let call = call.unwrap_or_else(|| panic!("a route path is not a literal: {call:?}"));
        let (path, rest) = call.split_once('"').unwrap();
        // The handler expression (on the path's line, or the next one when rustfmt wraps
        // the call) ends where the next builder call or statement begins.
        let rest = rest.trim_start_matches([',', ' ', '\n']);
        let expr = rest.split(['\n', ';']).next().unwrap();
        let mut methods = 0;
        for method in METHODS {
            let needle = format!("{method}(");
            let hits = expr.match_indices(&needle).filter(|(i, _)| {
                *i == 0
                    || !expr.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && expr.as_bytes()[i - 1] != b'_'
            });
            for _ in hits {
                registered.insert(((*method).to_owned(), shape(path)));
                methods += 1;
            }
        }
        assert!(methods > 0, "no method found for route {path}: {expr}");
    }
    let listed: BTreeSet<_> = ROUTES
        .iter()
        .chain(HOSTED_ONLY)
        .map(|(m, p)| ((*m).to_owned(), shape(p)))
        .collect();
    assert_eq!(registered, listed);
}

/// Requesting every documented operation reaches a handler: never the router's 404
/// `not_found` or 405 `method_not_allowed` fallbacks.
#[tokio::test]
async fn every_documented_operation_reaches_a_handler() {
    let app = TestApp::with(config());
    let doc = fetch_document(config()).await;
    for (method, path) in operations(&doc) {
        let uri = path
            .replace("{quoteId}", "no-such-quote")
            .replace("{paymentId}", "no-such-payment")
            .replace("{paymentHash}", &"ab".repeat(32));
        assert!(!uri.contains('{'), "unfilled parameter in {uri}");
        let (status, body) = send(&app, &method, &uri, None).await;
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {body}"
        );
        assert_ne!(
            body["code"], "not_found",
            "{method} {uri} hit the fallback: {body}"
        );
        assert_ne!(body["code"], "method_not_allowed", "{method} {uri}: {body}");
    }
}

/// With `--no-dev-endpoints` the dev paths are neither served nor documented.
#[tokio::test]
async fn dev_endpoints_are_documented_only_when_served() {
    let off = Config {
        dev_endpoints: false,
        ..config()
    };
    let doc = fetch_document(off.clone()).await;
    let expected: BTreeSet<_> = literal_routes()
        .into_iter()
        .filter(|(_, path)| !path.starts_with("/api/dev/"))
        .collect();
    assert_eq!(operations(&doc), expected);
    let app = TestApp::with(off);
    let (status, body) = send(
        &app,
        "post",
        "/api/dev/clock/advance",
        Some(json!({"seconds": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");

    let on = fetch_document(config()).await;
    let settle = operation(&on, "post", "/api/dev/settle/{paymentHash}");
    assert_eq!(settle["tags"], json!(["dev"]));
    assert!(
        settle["description"]
            .as_str()
            .unwrap()
            .contains("--no-dev-endpoints")
    );
}

/// The wire types the clients rely on are components, with the fields the handlers send.
#[tokio::test]
async fn components_hold_the_wire_schemas() {
    let doc = fetch_document(config()).await;
    let schemas = &doc["components"]["schemas"];
    for name in [
        "StartRequest",
        "StartResponse",
        "ConfirmRequest",
        "ConfirmResponse",
        "ChargeRequest",
        "ChargeResponse",
        "StatusResponse",
        "LnurlResponse",
        "LnurlError",
        "UsageResponse",
        "RefreshRequest",
        "RefreshResponse",
        "Problem",
        "ErrorCode",
        "Nonce",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    let problem_fields: BTreeSet<&str> = schemas["Problem"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let expected = [
        "type",
        "title",
        "status",
        "detail",
        "code",
        "error",
        "error_description",
    ];
    assert_eq!(problem_fields, expected.into_iter().collect());
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    assert_eq!(codes.len(), ErrorCode::ALL.len());

    // The nonce: an integer up to 2^53-1, or a canonical decimal string.
    let nonce = &schemas["Nonce"]["oneOf"];
    assert_eq!(nonce[0]["type"], "integer");
    assert_eq!(nonce[0]["maximum"], json!(9_007_199_254_740_991_u64));
    assert_eq!(nonce[1]["type"], "string");

    // paymentStatus may be absent, null or a status; status enums stay open.
    let confirm = &schemas["ConfirmResponse"];
    let required = confirm["required"].as_array().unwrap();
    assert!(!required.contains(&json!("paymentStatus")));
    assert!(required.contains(&json!("jwt")));
    let alternatives = confirm["properties"]["paymentStatus"]["oneOf"]
        .as_array()
        .unwrap();
    assert!(alternatives.contains(&json!({"type": "null"})));
    for open in ["PaymentStatus", "QuoteStatus", "UsageStatus", "DenyReason"] {
        assert!(
            schemas[open]["anyOf"]
                .as_array()
                .unwrap()
                .contains(&json!({"type": "string"})),
            "{open} must accept unknown strings"
        );
    }
}

/// Each error response names its codes, and each code's default status is that response's
/// status; errors are problem+json except LUD-06 ones.
#[tokio::test]
async fn error_responses_match_the_codes_they_name() {
    let doc = fetch_document(config()).await;
    for (method, path) in operations(&doc) {
        let op = operation(&doc, &method, &path);
        for (status, response) in op["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                continue;
            }
            let description = response["description"].as_str().unwrap();
            let codes: Vec<ErrorCode> = description
                .split('`')
                .skip(1)
                .step_by(2)
                .filter_map(|word| word.parse().ok())
                .collect();
            assert!(
                !codes.is_empty(),
                "{method} {path} {status} names no code: {description}"
            );
            for code in codes {
                assert_eq!(
                    code.default_status(),
                    status,
                    "{method} {path}: `{code}` is documented under {status}"
                );
            }
            let content = response["content"].as_object().unwrap();
            // A charge deny is a charge answer whatever its status (caller funding).
            let deny = content
                .get("application/json")
                .is_some_and(|c| c["schema"]["$ref"] == "#/components/schemas/ChargeResponse");
            if deny && !content.contains_key("application/problem+json") {
                assert_eq!((path.as_str(), status), ("/api/mcp/charge", 402));
                continue;
            }
            // 400, and what the middleware answers on every route, are problems there too.
            let lnurl = path.starts_with("/api/mcp/lnurl/")
                && ![400, 408, 413, 421].contains(&status)
                && status < 500;
            let (media_type, schema) = if lnurl {
                ("application/json", "#/components/schemas/LnurlError")
            } else {
                ("application/problem+json", "#/components/schemas/Problem")
            };
            assert_eq!(
                content[media_type]["schema"]["$ref"], schema,
                "{method} {path} {status}: {response}"
            );
        }
        for code in [ErrorCode::RequestTimeout, ErrorCode::InternalError] {
            let status = code.default_status().to_string();
            assert!(
                op["responses"][&status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
    }
}

/// Keys, bearer tokens, L402/x402 credentials, `Idempotency-Key` and `WWW-Authenticate`
/// are documented where the handlers read or send them.
#[tokio::test]
async fn headers_and_security_are_documented() {
    let doc = fetch_document(config()).await;
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["bearerAuth"]["bearerFormat"], "JWT");
    assert_eq!(schemes["projectKey"]["type"], "apiKey");
    assert_eq!(schemes["projectKey"]["in"], "header");
    assert_eq!(schemes["projectKey"]["name"], "X-LW-Public");
    for credential in ["l402", "x402"] {
        assert_eq!(schemes[credential]["name"], "Authorization");
    }

    let names = |alts: &[&[&str]]| -> BTreeSet<Vec<String>> {
        alts.iter()
            .map(|alt| alt.iter().map(|s| (*s).to_owned()).collect())
            .collect()
    };
    let start = operation(&doc, "post", "/api/mcp/start");
    assert_eq!(
        security(start),
        names(&[
            &[],
            &["projectKey"],
            &["l402", "projectKey"],
            &["projectKey", "x402"]
        ])
    );
    let confirm = operation(&doc, "post", "/api/mcp/confirm");
    assert_eq!(security(confirm), names(&[&[], &["projectKey"]]));
    for (method, path) in [("post", "/api/mcp/charge"), ("get", "/api/mcp/usage")] {
        assert_eq!(
            security(operation(&doc, method, path)),
            names(&[&["bearerAuth"]])
        );
    }
    let resource = operation(&doc, "get", "/api/demo/resource");
    assert_eq!(
        security(resource),
        names(&[&["bearerAuth"], &["l402"], &["x402"]])
    );
    assert_eq!(
        security(operation(&doc, "post", "/api/public/demo/start")),
        names(&[&[]])
    );

    let charge = operation(&doc, "post", "/api/mcp/charge");
    let idempotency = &charge["parameters"][0];
    assert_eq!(idempotency["name"], "Idempotency-Key");
    assert_eq!(idempotency["in"], "header");
    assert_eq!(idempotency["required"], false);

    for (method, path, status) in [
        ("post", "/api/mcp/start", "401"),
        ("post", "/api/mcp/start", "402"),
        ("post", "/api/mcp/charge", "401"),
        ("get", "/api/mcp/usage", "401"),
        ("get", "/api/demo/resource", "401"),
        ("get", "/api/demo/resource", "402"),
    ] {
        let response = &operation(&doc, method, path)["responses"][status];
        assert!(
            response["headers"]["WWW-Authenticate"].is_object(),
            "{method} {path} {status} lacks WWW-Authenticate"
        );
    }
}

/// What the handlers actually send fits the documented schemas' required and known fields.
#[tokio::test]
async fn responses_on_the_wire_fit_their_schemas() {
    let doc = fetch_document(config()).await;
    let fits = |name: &str, body: &Value| common::assert_fits(&doc, name, body);
    let app = TestApp::with(config());

    let (status, pow) = send(&app, "post", "/api/public/demo/start", None).await;
    assert_eq!(status, StatusCode::OK);
    fits("StartResponse", &pow);
    fits("PowChallenge", &pow["powChallenge"]);

    let post = |path: &'static str, body: Value| send(&app, "post", path, Some(body));
    let (_, ln) = post("/api/public/demo/start", json!({"forceLightning": true})).await;
    fits("StartResponse", &ln);
    fits("Invoice", &ln["invoice"]);
    let quote_id = ln["quoteId"].as_str().unwrap();

    let (status, pending) = post("/api/mcp/confirm", json!({"quoteId": quote_id})).await;
    assert_eq!(status, StatusCode::OK);
    fits("ConfirmResponse", &pending);
    assert_eq!(pending["paymentStatus"], "pending");

    let (_, quote) = send(&app, "get", &format!("/api/mcp/status/{quote_id}"), None).await;
    fits("StatusResponse", &quote);
    let (_, lnurl) = send(&app, "get", &format!("/api/mcp/lnurl/{quote_id}"), None).await;
    fits("LnurlResponse", &lnurl);
    let (status, lnurl_error) = send(&app, "get", "/api/mcp/lnurl/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    fits("LnurlError", &lnurl_error);

    let (status, problem) = send(&app, "get", "/api/mcp/usage", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    fits("Problem", &problem);
    let (_, jwks) = send(&app, "get", "/.well-known/jwks.json", None).await;
    fits("Jwks", &jwks);
    fits("Jwk", &jwks["keys"][0]);
    let (_, health) = send(&app, "get", "/healthz", None).await;
    fits("HealthResponse", &health);
}
