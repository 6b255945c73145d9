//! Memory bounded by design (issue 12, fault 2, and the L402/x402 part of fault 7),
//! through the real router: compact quotes, caps that refuse with `Retry-After` instead of
//! growing, the 200-character idempotency key, the per-client rate limit, the purge
//! timer, short demo sessions and the pay-per-call allowance of a paid credential.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::{KEYED, TestApp, solved};
use liveauth_protocol::auth::{Challenge, Credential, L402Scheme};
use liveauth_protocol::codec::{decode_hex32, encode_hex};
use mock_api::config::ClientRate;
use mock_api::store::{Cap, Limits};
use mock_api::{Config, Profile};
use serde_json::json;

fn on(profile: Profile, config: Config) -> Config {
    Config { profile, ..config }
}

/// The test configuration in `profile`, its store limits the defaults as `cap` sets them.
fn capped(profile: Profile, cap: impl FnOnce(&mut Limits)) -> Config {
    let mut limits = Limits::default();
    cap(&mut limits);
    Config {
        limits,
        ..on(profile, common::config())
    }
}

fn both() -> [Profile; 2] {
    [Profile::Strict, Profile::Hosted]
}

/// A refusal for a full store: 503 with `Retry-After` in both profiles, the strict one
/// saying `over_capacity`.
fn assert_full(profile: Profile, answer: &common::Answer) {
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{answer:?}");
    assert_eq!(answer.header("retry-after"), ["60"], "{answer:?}");
    if profile == Profile::Strict {
        assert_eq!(answer.code(), "over_capacity");
    }
}

/// A PoW quote costs the store at most 300 bytes (its record at a map's worst load), in
/// both profiles (their challenges differ in length).
#[tokio::test]
async fn pow_quotes_cost_at_most_300_bytes_each() {
    for profile in both() {
        let app = TestApp::with(on(profile, common::config()));
        for _ in 0..500 {
            app.start_pow().await;
        }
        let stats = app.state.store.stats();
        assert_eq!(stats.quotes, 500);
        let each = stats.quote_bytes / stats.quotes;
        assert!(each <= 300, "{profile}: {each} bytes a quote");
    }
}

/// Beyond the per-project cap a start is refused and nothing is stored; another project
/// still starts until the total cap.
#[tokio::test]
async fn starts_beyond_a_quote_cap_are_refused_and_nothing_grows() {
    for profile in both() {
        let app = TestApp::with(capped(profile, |limits| limits.quotes = Cap::new(3, 5)));
        for _ in 0..3 {
            app.start_pow().await;
        }
        for _ in 0..5 {
            let refused = app.post("/api/mcp/start", KEYED, json!({})).await;
            assert_full(profile, &refused);
        }
        assert_eq!(app.state.store.stats().quotes, 3);
        // The demo project has room of its own, until the total of 5.
        for _ in 0..2 {
            let ok = app.post("/api/mcp/start", &[], json!({})).await;
            assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
        }
        let refused = app.post("/api/mcp/start", &[], json!({})).await;
        assert_full(profile, &refused);
        let lightning = app
            .post("/api/mcp/start", &[], json!({"forceLightning": true}))
            .await;
        assert_full(profile, &lightning);
        assert_eq!(app.state.store.stats().quotes, 5);
    }
}

/// The 402 answers of the demo resource mint Lightning quotes: capped apart from starts.
#[tokio::test]
async fn payment_challenges_beyond_their_cap_are_refused() {
    for profile in both() {
        let app = TestApp::with(capped(profile, |limits| limits.challenges = Cap::new(2, 2)));
        for _ in 0..2 {
            let answer = app.get("/api/demo/resource", &[]).await;
            assert_eq!(answer.status, StatusCode::PAYMENT_REQUIRED, "{answer:?}");
        }
        let refused = app.get("/api/demo/resource", &[]).await;
        assert_full(profile, &refused);
        let stats = app.state.store.stats();
        assert_eq!((stats.quotes, stats.challenges), (2, 2));
        // Starts are counted apart.
        app.start_pow().await;
    }
}

/// Beyond the session cap a confirm is refused and leaves its quote confirmable: once a
/// session has ended and been purged, the same quote gives its session.
#[tokio::test]
async fn confirms_beyond_the_session_cap_are_refused_and_can_be_retried() {
    for profile in both() {
        let config = capped(profile, |limits| limits.sessions = Cap::new(1, 1));
        let app = TestApp::with(Config {
            session_ttl_secs: 100,
            ..config
        });
        app.session().await;
        let start = app.start_pow().await;
        let refused = app.confirm_keyed(solved(&start)).await;
        assert_full(profile, &refused);
        let stats = app.state.store.stats();
        assert_eq!((stats.sessions, stats.refresh_families), (1, 1));
        app.advance(101).await;
        app.state.store.purge(app.state.now());
        let retried = app.confirm_keyed(solved(&start)).await;
        assert_eq!(retried.status, StatusCode::OK, "{retried:?}");
    }
}

/// A charge with `key` (as the header and the body field, which both profiles read).
async fn charge_keyed(app: &TestApp, jwt: &str, key: &str) -> common::Answer {
    let bearer = format!("Bearer {jwt}");
    let headers = [("authorization", bearer.as_str()), ("idempotency-key", key)];
    let body = json!({"callCostSats": 1, "idempotencyKey": key});
    app.post("/api/mcp/charge", &headers, body).await
}

/// Beyond the idempotency cap a charge with a new key is refused and books nothing; a
/// replay of a remembered key and a charge without a key still go through.
#[tokio::test]
async fn idempotency_records_beyond_their_cap_are_refused() {
    for profile in both() {
        let app = TestApp::with(capped(profile, |limits| {
            limits.idempotency = Cap::new(2, 10)
        }));
        let session = app.session().await;
        let jwt = session["jwt"].as_str().unwrap();
        for key in ["k1", "k2"] {
            let ok = charge_keyed(&app, jwt, key).await;
            assert_eq!(ok.body["status"], "ok", "{ok:?}");
        }
        let refused = charge_keyed(&app, jwt, "k3").await;
        assert_full(profile, &refused);
        let replay = charge_keyed(&app, jwt, "k1").await;
        assert_eq!(replay.status, StatusCode::OK, "{replay:?}");
        let unkeyed = app.charge(jwt, 1, None).await;
        assert_eq!(unkeyed.body["callsUsed"], 3, "{unkeyed:?}");
        assert_eq!(app.state.store.stats().idempotency_keys, 2);
    }
}

/// Keys of 200 characters are kept; one more is refused (strict: 422
/// `idempotency_key_too_long`, header or body; hosted: its validation 400).
#[tokio::test]
async fn idempotency_keys_over_200_characters_are_refused() {
    for profile in both() {
        let app = TestApp::with(on(profile, common::config()));
        let session = app.session().await;
        let jwt = session["jwt"].as_str().unwrap();
        let ok = charge_keyed(&app, jwt, &"k".repeat(200)).await;
        assert_eq!(ok.body["status"], "ok", "{ok:?}");
        let long = "k".repeat(201);
        let refused = charge_keyed(&app, jwt, &long).await;
        match profile {
            Profile::Strict => {
                assert_eq!(refused.problem(), (422, "idempotency_key_too_long"));
                let header_only = app.charge(jwt, 1, Some(&long)).await;
                assert_eq!(header_only.problem(), (422, "idempotency_key_too_long"));
            }
            Profile::Hosted => {
                assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
                assert_eq!(
                    refused.body["errors"]["IdempotencyKey"][0],
                    "The field IdempotencyKey must be a string with a maximum length of 200."
                );
            }
        }
        assert_eq!(app.state.store.stats().idempotency_keys, 1);
    }
}

/// `request` as sent from `addr` (what `mock_api::serve` records for every connection).
fn from(addr: [u8; 4], mut request: Request<Body>) -> Request<Body> {
    let addr = SocketAddr::from((addr, 40_000));
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

fn start_request() -> Request<Body> {
    Request::post("/api/mcp/start")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap()
}

/// With a limit of 3 a minute, a remote client's fourth start or 402 is 429 with
/// `Retry-After` until its minute ends; another client and loopback are not affected.
#[tokio::test]
async fn a_client_beyond_its_rate_gets_429_until_its_minute_ends() {
    for profile in both() {
        let app = TestApp::with(on(
            profile,
            Config {
                client_rate: ClientRate {
                    per_minute: 3,
                    loopback: false,
                },
                ..common::config()
            },
        ));
        let remote = [203, 0, 113, 9];
        for _ in 0..2 {
            let ok = app.send(from(remote, start_request())).await;
            assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
        }
        let challenge = Request::get("/api/demo/resource").body(Body::empty());
        let paid = app.send(from(remote, challenge.unwrap())).await;
        assert_eq!(paid.status, StatusCode::PAYMENT_REQUIRED, "{paid:?}");
        app.advance(20).await;
        let refused = app.send(from(remote, start_request())).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
        assert_eq!(refused.header("retry-after"), ["40"]);
        if profile == Profile::Strict {
            assert_eq!(refused.code(), "rate_limited");
        }
        let challenge = Request::get("/api/demo/resource").body(Body::empty());
        let refused = app.send(from(remote, challenge.unwrap())).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{refused:?}");
        let other = app.send(from([203, 0, 113, 10], start_request())).await;
        assert_eq!(other.status, StatusCode::OK, "{other:?}");
        for _ in 0..5 {
            let local = app.send(from([127, 0, 0, 1], start_request())).await;
            assert_eq!(
                local.status,
                StatusCode::OK,
                "loopback is exempt: {local:?}"
            );
        }
        app.advance(40).await;
        let again = app.send(from(remote, start_request())).await;
        assert_eq!(again.status, StatusCode::OK, "{again:?}");
    }
}

/// Through a real socket (`mock_api::serve` passes the client's address), with loopback
/// limited: the third start is 429.
#[tokio::test]
async fn the_rate_limit_applies_through_the_socket_when_loopback_is_limited() {
    let config = Config {
        client_rate: ClientRate {
            per_minute: 2,
            loopback: true,
        },
        ..common::config()
    };
    let served = liveauth_testkit::mock::serve(config).await.unwrap();
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = client
            .post(format!("{}/api/mcp/start", served.base))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

/// The timer purges expired quotes although only paths that never purge are called.
#[tokio::test(start_paused = true)]
async fn the_purge_timer_drops_expired_quotes_while_only_other_paths_are_called() {
    let app = TestApp::new();
    for _ in 0..5 {
        app.start_pow().await;
    }
    assert_eq!(app.state.store.stats().quotes, 5);
    // Past the challenge's 300 s and the hour expired quotes are kept for status.
    app.state.clock.advance(300 + 3600 + 1).unwrap();
    for _ in 0..3 {
        let health = app.get("/healthz", &[]).await;
        assert_eq!(health.status, StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert_eq!(app.state.store.stats().quotes, 0);
}

/// A demo Lightning quote that settled by itself buys a one-hour session (refresh fails
/// after it); the same quote paid (dev settle) keeps the full 24 hours.
#[tokio::test]
async fn sessions_from_self_settled_demo_invoices_last_an_hour() {
    for profile in both() {
        let app = TestApp::with(on(profile, common::config()));
        let by_itself = app
            .post("/api/mcp/start", &[], json!({"forceLightning": true}))
            .await;
        let paid = app
            .post("/api/mcp/start", &[], json!({"forceLightning": true}))
            .await;
        let hash = paid.body["invoice"]["paymentHash"].as_str().unwrap();
        let settle = app.settle(hash).await;
        assert_eq!(settle.status, StatusCode::OK, "{settle:?}");
        app.advance(5).await;
        let mut refresh_tokens = Vec::new();
        for start in [&by_itself, &paid] {
            let confirmed = app
                .confirm_quote(start.body["quoteId"].as_str().unwrap())
                .await;
            assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:?}");
            refresh_tokens.push(confirmed.body["refreshToken"].as_str().unwrap().to_owned());
        }
        app.advance(3600).await;
        let short = app.refresh(&refresh_tokens[0]).await;
        let expected = match profile {
            Profile::Strict => StatusCode::BAD_REQUEST, // invalid_grant
            Profile::Hosted => StatusCode::UNAUTHORIZED,
        };
        assert_eq!(short.status, expected, "{profile}: {short:?}");
        let long = app.refresh(&refresh_tokens[1]).await;
        assert_eq!(long.status, StatusCode::OK, "{profile}: {long:?}");
    }
}

/// The macaroon of the 402 answer, and the preimage of its invoice once paid (strict).
async fn paid_credential(app: &TestApp) -> (liveauth_protocol::macaroon::Macaroon, [u8; 32]) {
    let answer = app.get("/api/demo/resource", &[]).await;
    assert_eq!(answer.status, StatusCode::PAYMENT_REQUIRED, "{answer:?}");
    let values = answer.header("www-authenticate");
    let Ok(Challenge::L402 { macaroon, .. }) = Challenge::parse(&values[0]) else {
        panic!("no L402 challenge: {values:?}");
    };
    let Ok(Challenge::X402 { payment_hash, .. }) = Challenge::parse(&values[1]) else {
        panic!("no x402 challenge: {values:?}");
    };
    let hash = encode_hex(&payment_hash);
    let settle = app.settle(&hash).await;
    let preimage = decode_hex32(settle.body["preimage"].as_str().unwrap()).unwrap();
    (macaroon, preimage)
}

/// An x402 credential of a demo Lightning start, paid (dev settle).
async fn paid_x402(app: &TestApp) -> Credential {
    let start = app
        .post("/api/mcp/start", &[], json!({"forceLightning": true}))
        .await;
    let hash = start.body["invoice"]["paymentHash"].as_str().unwrap();
    let settle = app.settle(hash).await;
    let preimage = decode_hex32(settle.body["preimage"].as_str().unwrap()).unwrap();
    Credential::X402 { preimage }
}

/// A paid credential opens the demo resource once, as the hosted pay-per-call token
/// (`remainingCalls: 1`); then it is refused with the 402 of an invalid credential, so the
/// client pays again, and a new payment opens it again. In strict, also for L402 (the
/// macaroon of a 402 challenge) and for x402 on the same payment; the hosted profile's
/// 402 answers carry no challenges to take a macaroon from.
#[tokio::test]
async fn a_paid_credential_opens_the_demo_resource_once_per_payment() {
    for profile in both() {
        let app = TestApp::with(on(profile, common::config()));
        let x402 = paid_x402(&app).await;
        let ok = app.resource(&x402).await;
        assert_eq!(ok.body["paidBy"]["method"], "x402", "{ok:?}");
        let spent = app.resource(&x402).await;
        assert_eq!(spent.status, StatusCode::PAYMENT_REQUIRED, "{spent:?}");
        if profile == Profile::Strict {
            assert_eq!(spent.code(), "credential_invalid");
            assert_eq!(spent.header("www-authenticate").len(), 2);
            let (macaroon, preimage) = paid_credential(&app).await;
            let l402 = Credential::L402 {
                scheme: L402Scheme::L402,
                macaroon,
                preimage,
            };
            let ok = app.resource(&l402).await;
            assert_eq!(ok.body["paidBy"]["method"], "l402", "{ok:?}");
            for used in [&l402, &Credential::X402 { preimage }] {
                let again = app.resource(used).await;
                assert_eq!(again.problem(), (402, "credential_invalid"));
            }
        }
        let again = paid_x402(&app).await;
        let ok = app.resource(&again).await;
        assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
    }
}

/// With `calls_per_payment: 3`, three calls, then 402.
#[tokio::test]
async fn the_allowance_per_payment_is_configurable() {
    let app = TestApp::with(Config {
        calls_per_payment: 3,
        ..common::config()
    });
    let credential = paid_x402(&app).await;
    let statuses: Vec<u16> = futures_util::future::join_all(
        (0..5).map(|_| async { app.resource(&credential).await.status.as_u16() }),
    )
    .await;
    let opened = statuses.iter().filter(|&&s| s == 200).count();
    assert_eq!(opened, 3, "{statuses:?}");
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 402),
        "{statuses:?}"
    );
}
