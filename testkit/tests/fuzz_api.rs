//! The fuzz targets `api_request` and `pow_verify` on stable: every committed seed, then
//! proptest-generated inputs through the same `liveauth_testkit::fuzz` harnesses.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use liveauth_protocol::fuzzing::PowInput;
use liveauth_testkit::corpus::{self, seeds};
use liveauth_testkit::fuzz::api_script::{
    ApiRequest, PROJECT_KEY, api_request, api_script, parse_script, routes, script_to_bytes,
};
use liveauth_testkit::fuzz::pow_confirm::{self, pow_confirm_check};
use proptest::prelude::*;

/// Every `api_request` seed passes, and the flow seeds reach the states they are for.
#[test]
fn api_request_seeds() {
    for (name, data) in seeds("api_request") {
        api_request(&data);
        let trace = api_script(&parse_script(&data));
        let statuses: Vec<Option<u16>> = trace.iter().map(|(_, s)| *s).collect();
        let expected: &[Option<u16>] = match name.as_str() {
            // start, confirm, charge, charge again (idempotency conflict), usage, refresh,
            // resource, refresh again (with the rotated token).
            "seed-demo-pow-session" => &[
                Some(200),
                Some(200),
                Some(200),
                Some(422),
                Some(200),
                Some(200),
                Some(200),
                Some(200),
            ],
            "seed-project-lightning" => &[
                Some(200),
                Some(200),
                Some(200),
                Some(200),
                Some(200),
                Some(200),
                Some(200),
                Some(200),
            ],
            // 402, settle, then the resource by L402 (the payment's one call) and by x402
            // (spent: 402), start with them (spent: 402), ..., the resource again (402).
            "seed-l402-x402" => &[
                Some(402),
                Some(200),
                Some(200),
                Some(402),
                Some(402),
                Some(401),
                Some(200),
                Some(402),
            ],
            _ => continue,
        };
        assert_eq!(statuses, expected, "{name}: {trace:?}");
    }
}

/// Every `pow_verify` seed passes.
#[test]
fn pow_verify_seeds() {
    for (_, data) in seeds("pow_verify") {
        pow_confirm::pow_confirm(&data);
    }
}

fn header() -> impl Strategy<Value = (String, Vec<u8>)> {
    let authorization = prop_oneof![
        Just("Bearer ${jwt}".to_owned()),
        "Bearer [A-Za-z0-9._~+/=-]{0,40}",
        Just("${l402}".to_owned()),
        Just("${x402}".to_owned()),
        "L402 [A-Za-z0-9+/=]{0,40}:[0-9a-f]{0,64}",
        "LSAT [ -~]{0,40}",
        "x402 [0-9a-fA-F]{0,66}",
        "[ -~]{0,30}",
    ];
    prop_oneof![
        prop_oneof![
            Just("la_pk_demo".to_owned()),
            Just(PROJECT_KEY.to_owned()),
            "[ -~]{0,12}"
        ]
        .prop_map(|v| ("X-LW-Public".to_owned(), v.into_bytes())),
        authorization.prop_map(|v| ("Authorization".to_owned(), v.into_bytes())),
        "[ -~]{0,12}".prop_map(|v| ("Idempotency-Key".to_owned(), v.into_bytes())),
        prop_oneof![
            Just("application/json".to_owned()),
            Just("application/problem+json".to_owned()),
            Just("text/plain".to_owned()),
            "[ -~]{0,20}"
        ]
        .prop_map(|v| ("Content-Type".to_owned(), v.into_bytes())),
        ("[A-Za-z-]{1,12}", prop::collection::vec(any::<u8>(), 0..12)),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let number = prop_oneof![
        Just("${nonce}".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just("1e3".to_owned()),
        Just("\"007\"".to_owned()),
        Just("null".to_owned()),
    ];
    prop_oneof![
        Just(String::new()),
        Just("{}".to_owned()),
        any::<bool>().prop_map(|b| format!(r#"{{"forceLightning":{b}}}"#)),
        (number.clone(), any::<bool>()).prop_map(|(nonce, alias)| format!(
            r#"{{"quoteId":"${{quoteId}}","challengeHex":"${{challengeHex}}","nonce":{nonce},"expiresAtUnix":${{expiresAtUnix}},"difficultyBits":${{difficultyBits}},"{}":"${{signature}}"}}"#,
            if alias { "signature" } else { "sig" }
        )),
        Just(r#"{"quoteId":"${quoteId}"}"#.to_owned()),
        number.clone().prop_map(|n| format!(r#"{{"callCostSats":{n}}}"#)),
        Just(r#"{"refreshToken":"${refreshToken}"}"#.to_owned()),
        number.prop_map(|n| format!(r#"{{"seconds":{n}}}"#)),
        "[ -~]{0,40}",
    ]
    .prop_map(String::into_bytes)
}

fn request() -> impl Strategy<Value = ApiRequest> {
    let known = (0..routes().len(), any::<bool>()).prop_map(|(i, swap)| {
        let (method, path) = &routes()[i];
        let method = match (swap, method.as_str()) {
            (false, m) => m,
            (true, "GET") => "POST",
            (true, _) => "GET",
        };
        (method.to_owned(), path.clone())
    });
    let random = (
        "[A-Z]{1,7}",
        "/[ -~]{0,30}".prop_map(|p| p.replace(' ', "%20")),
    );
    let target = prop_oneof![9 => known, 1 => random];
    (target, prop::collection::vec(header(), 0..4), body()).prop_map(
        |((method, path), headers, body)| ApiRequest {
            method,
            path,
            headers,
            body,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Scripts of requests mostly on real routes, with real and garbage credentials.
    #[test]
    fn api_request_scripts(requests in prop::collection::vec(request(), 1..6)) {
        api_script(&requests);
    }

    /// The byte form round-trips, so seeds and fuzzer inputs mean what they say.
    #[test]
    fn script_bytes_round_trip(requests in prop::collection::vec(request(), 1..6)) {
        let requests: Vec<ApiRequest> = requests
            .into_iter()
            .map(|r| ApiRequest {
                headers: r
                    .headers
                    .into_iter()
                    .filter(|(n, v)| {
                        !n.contains(':')
                            && !v.contains(&b'\n')
                            && !v.first().is_some_and(u8::is_ascii_whitespace)
                            && !v.ends_with(b"\r")
                    })
                    .collect(),
                body: r.body.into_iter().filter(|&b| b != b'\n').collect(),
                ..r
            })
            .collect();
        let bytes = script_to_bytes(&requests);
        prop_assert_eq!(parse_script(&bytes), requests);
    }

    /// The mock accepts a confirm exactly when the independent recomputation does.
    #[test]
    fn pow_confirm(
        nonce in prop_oneof!["(0|[1-9][0-9]{0,5})", "[0-9+ -]{0,18}", any::<u64>().prop_map(|n| n.to_string())],
        bits in 0u32..14,
        hash_hex in prop_oneof![Just(String::new()), "[0-9a-f]{64}"],
    ) {
        pow_confirm_check(&PowInput {
            key: "la_pk_demo".into(),
            challenge_hex: String::new(),
            nonce,
            bits: bits.to_string(),
            target_hex: hash_hex,
        });
    }
}

/// Writes the seeds that hold real values from the mock (headers, macaroons, a JWT, an
/// invoice) into `fuzz/corpus/`. Run by hand after a wire format change:
/// `cargo test -p liveauth-testkit --test fuzz_api -- --ignored write_real_value_seeds`.
#[tokio::test]
#[ignore = "writes into fuzz/corpus; run by hand"]
async fn write_real_value_seeds() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use liveauth_protocol::auth::Challenge;
    use serde_json::{Value, json};
    use tower::ServiceExt as _;

    let write = |target: &str, name: &str, data: &[u8]| {
        std::fs::write(corpus::dir(target).join(format!("seed-{name}")), data).unwrap();
    };
    let app = mock_api::app(liveauth_testkit::fuzz::api_script::config());
    let call = |method: &str, path: &str, auth: Option<String>, body: Value| {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.unwrap();
            let headers = response.headers().clone();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            (headers, serde_json::from_slice::<Value>(&body).unwrap())
        }
    };

    let (headers, _) = call("GET", "/api/demo/resource", None, json!({})).await;
    let mut macaroon = None;
    let mut payment_hash = String::new();
    for value in headers.get_all(header::WWW_AUTHENTICATE) {
        let value = value.to_str().unwrap();
        match Challenge::parse(value).unwrap() {
            Challenge::L402 {
                macaroon: m,
                invoice,
                ..
            } => {
                write("auth_header", "mock-l402-challenge", value.as_bytes());
                write("bolt11_check", "mock-demo-invoice", invoice.as_bytes());
                macaroon = Some(m);
            }
            Challenge::X402 {
                payment_hash: h, ..
            } => {
                write("auth_header", "mock-x402-challenge", value.as_bytes());
                payment_hash = liveauth_protocol::codec::encode_hex(&h);
            }
        }
    }
    let macaroon = macaroon.unwrap();
    write("macaroon", "mock-binary", &macaroon.to_binary());
    write("macaroon", "mock-base64", macaroon.to_base64().as_bytes());
    let (_, settled) = call(
        "POST",
        &format!("/api/dev/settle/{payment_hash}"),
        None,
        json!({}),
    )
    .await;
    let preimage = settled["preimage"].as_str().unwrap();
    let base64 = macaroon.to_base64();
    write(
        "auth_header",
        "mock-l402-credential",
        format!("L402 {base64}:{preimage}").as_bytes(),
    );
    write(
        "auth_header",
        "mock-lsat-credential",
        format!("LSAT {base64}:{preimage}").as_bytes(),
    );
    write(
        "auth_header",
        "mock-x402-credential",
        format!("x402 {preimage}").as_bytes(),
    );

    let (_, started) = call("POST", "/api/public/demo/start", None, json!({})).await;
    let c = &started["powChallenge"];
    let (key, hex) = (
        c["projectPublicKey"].as_str().unwrap(),
        c["challengeHex"].as_str().unwrap(),
    );
    let target = liveauth_protocol::pow::target_from_bits(4).unwrap();
    let nonce = (0..)
        .find(|&n| liveauth_protocol::pow::verify_solution(key, hex, n, &target))
        .unwrap();
    let body = json!({
        "quoteId": started["quoteId"], "challengeHex": hex, "nonce": nonce,
        "expiresAtUnix": c["expiresAtUnix"], "difficultyBits": c["difficultyBits"],
        "sig": c["signature"],
    });
    let pow = format!(
        "{key}\n{hex}\n{nonce}\n4\n{}",
        c["targetHex"].as_str().unwrap()
    );
    write("pow_verify", "mock-solution", pow.as_bytes());
    let (_, confirmed) = call("POST", "/api/mcp/confirm", None, body).await;
    let jwt = confirmed["jwt"].as_str().unwrap();
    write(
        "auth_header",
        "mock-bearer-jwt",
        format!("Bearer {jwt}").as_bytes(),
    );

    let (_, lightning) = call(
        "POST",
        "/api/public/demo/start",
        None,
        json!({"forceLightning": true}),
    )
    .await;
    write(
        "bolt11_check",
        "mock-demo-start-invoice",
        lightning["invoice"]["bolt11"].as_str().unwrap().as_bytes(),
    );
}
