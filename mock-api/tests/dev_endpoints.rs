//! The dev endpoints (and every other route) out of a web page's reach (issue 12, fault 5):
//! a `Host` the mock does not serve is 421, a JSON body needs a JSON content type, and the
//! clock moves a bounded amount, never past what BOLT11 can encode.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{Answer, TestApp};
use liveauth_testkit::mock::Profile;
use mock_api::Config;
use serde_json::json;

fn app(profile: Profile) -> TestApp {
    TestApp::with(Config {
        profile,
        ..common::config()
    })
}

/// `method path` with `host` and no body.
async fn with_host(app: &TestApp, method: Method, path: &str, host: &str) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("host", host)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    app.send(request).await
}

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/dev/clock/advance"),
    (
        "POST",
        "/api/dev/settle/0000000000000000000000000000000000000000000000000000000000000000",
    ),
    ("POST", "/api/mcp/start"),
    ("POST", "/api/mcp/confirm"),
    ("GET", "/api/mcp/usage"),
    ("GET", "/healthz"),
    ("GET", "/openapi.json"),
    ("GET", "/no/such/route"),
];

/// A `Host` that names another server (a DNS-rebinding page's) is 421 on every route,
/// in the mock's error format, and changes nothing.
async fn a_foreign_host_is_refused_everywhere(profile: Profile) {
    let app = app(profile);
    let before = app.state.now();
    for &(method, path) in ROUTES {
        for host in [
            "evil.example",
            "evil.example:8402",
            "127.0.0.1.nip.io",
            "10.0.0.1",
        ] {
            let answer = with_host(&app, method.parse().unwrap(), path, host).await;
            assert_eq!(
                answer.status,
                StatusCode::MISDIRECTED_REQUEST,
                "{host} {path}"
            );
            match profile {
                Profile::Strict => assert_eq!(answer.code(), "host_not_allowed"),
                Profile::Hosted => assert_eq!(answer.body["status"], 421, "{answer:?}"),
            }
        }
    }
    let advance = with_host(&app, Method::POST, "/api/dev/clock/advance", "evil.example").await;
    assert_eq!(advance.status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(app.state.now(), before);
}

/// Loopback names and IPs with any port, and names given with `--allow-host`, are served;
/// so is a request without `Host` (in-process; a browser always sends one).
async fn the_mock_s_own_hosts_are_served(profile: Profile) {
    let app = TestApp::with(Config {
        profile,
        allowed_hosts: vec!["Mock.Internal".to_owned()],
        ..common::config()
    });
    for host in [
        "localhost",
        "localhost:8402",
        "127.0.0.1:1",
        "[::1]:8402",
        "mock.internal:80",
    ] {
        let answer = with_host(&app, Method::GET, "/healthz", host).await;
        assert_eq!(answer.status, StatusCode::OK, "{host}");
    }
    let answer = app.get("/healthz", &[]).await;
    assert_eq!(answer.status, StatusCode::OK);
}

/// A JSON endpoint takes a body only with a JSON content type (a cross-site POST carries
/// none, or `text/plain`): 415, and the clock stays where it was.
async fn a_body_without_a_json_content_type_is_415(profile: Profile) {
    let app = app(profile);
    let before = app.state.now();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/dev/clock/advance");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = app
            .send(request.body(Body::from(r#"{"seconds": 3600}"#)).unwrap())
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        if profile == Profile::Strict {
            assert_eq!(answer.code(), "unsupported_media_type");
        }
    }
    assert_eq!(app.state.now(), before);
    // An empty body still reads as `{}` without a content type: it carries nothing.
    let empty = Request::builder()
        .method(Method::POST)
        .uri("/api/mcp/start")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(empty).await.status, StatusCode::OK);
}

/// Ten years at a time, the clock stops (400) well before year 3058, where BOLT11
/// timestamps end, and Lightning starts keep working there.
async fn the_clock_stops_short_of_the_end_of_bolt11(profile: Profile) {
    let app = app(profile);
    let ten_years = 10 * 365 * 86_400_u64;
    let year_3058 = 34_359_738_367_i64;
    let mut refused = None;
    for _ in 0..120 {
        let answer = app
            .post("/api/dev/clock/advance", &[], json!({"seconds": ten_years}))
            .await;
        if answer.status != StatusCode::OK {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the clock was moved past year 3058");
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{refused:?}");
    assert!(app.state.now() < year_3058);
    let too_far = app
        .post("/api/dev/clock/advance", &[], json!({"seconds": u64::MAX}))
        .await;
    assert_eq!(too_far.status, StatusCode::BAD_REQUEST);

    let start = app
        .post(
            "/api/mcp/start",
            common::KEYED,
            json!({"forceLightning": true}),
        )
        .await;
    assert_eq!(start.status, StatusCode::OK, "{start:?}");
    let bolt11 = start.body["invoice"]["bolt11"].as_str().unwrap();
    let invoice: lightning_invoice::Bolt11Invoice = bolt11.parse().unwrap();
    let created = i64::try_from(invoice.duration_since_epoch().as_secs()).unwrap();
    assert_eq!(created, app.state.now());
}

liveauth_testkit::on_both_profiles!(
    a_foreign_host_is_refused_everywhere,
    the_mock_s_own_hosts_are_served,
    a_body_without_a_json_content_type_is_415,
    the_clock_stops_short_of_the_end_of_bolt11,
);

/// Over a real socket, the IP the mock was reached at is served (`LocalAddr` from the
/// serving loop), and a foreign name is not.
#[tokio::test]
async fn over_a_socket_the_reached_address_is_served() {
    let served = liveauth_testkit::mock::serve(common::config())
        .await
        .unwrap();
    let addr: std::net::SocketAddr = served.base.trim_start_matches("http://").parse().unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let ok = liveauth_testkit::socket::exchange(
        &mut stream,
        &liveauth_testkit::socket::get(addr, "/healthz"),
    )
    .await;
    assert_eq!(ok, Ok(200));
    let foreign = "GET /healthz HTTP/1.1\r\nhost: rebind.example:8402\r\n\r\n";
    assert_eq!(
        liveauth_testkit::socket::exchange(&mut stream, foreign).await,
        Ok(421)
    );
}
