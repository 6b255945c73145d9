//! JSON bodies that are not objects (issue 12, fault 7): `[]`, `1`, `"x"`, `null`, `true`
//! are refused on every JSON route, 400 in the hosted profile (ASP.NET's model binding)
//! and 422 `body_not_object` in the strict one, and change nothing. serde would read `[]`
//! as a struct whose fields are all optional, which is how `start` took it for `{}`.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use axum::http::StatusCode;
use common::{Answer, KEYED, TestApp};
use liveauth_testkit::mock::Profile;
use mock_api::Config;
use serde_json::json;

const NOT_OBJECTS: &[&str] = &["[]", "[{}]", "1", "\"x\"", "null", "true", " \n [] "];

/// `POST path` with the raw JSON `body`.
async fn post_raw(app: &TestApp, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut request = axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(
        request
            .body(axum::body::Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

fn assert_refused(profile: Profile, answer: &Answer, what: &str) {
    match profile {
        Profile::Strict => {
            assert_eq!(answer.problem(), (422, "body_not_object"), "{what}");
        }
        Profile::Hosted => {
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}: {answer:?}");
            assert!(answer.body["errors"].is_object(), "{what}: {answer:?}");
        }
    }
}

/// Every JSON route, with the headers that would get a valid body past its other checks.
async fn routes(
    app: &TestApp,
    profile: Profile,
) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let session = app.session().await;
    let bearer = format!("Bearer {}", session["jwt"].as_str().unwrap());
    let mut routes = vec![
        ("/api/mcp/start", vec![]),
        (
            "/api/mcp/start",
            vec![("x-lw-public", KEYED[0].1.to_owned())],
        ),
        ("/api/mcp/confirm", vec![]),
        ("/api/mcp/charge", vec![("authorization", bearer)]),
        ("/api/mcp/refresh", vec![]),
        ("/api/dev/clock/advance", vec![]),
    ];
    // Hosted serves the legacy demo there, which reads no body.
    if profile == Profile::Strict {
        routes.push(("/api/public/demo/start", vec![]));
    }
    routes
}

async fn non_object_bodies_are_refused_on_every_json_route(profile: Profile) {
    let app = TestApp::with(Config {
        profile,
        ..common::config()
    });
    let routes = routes(&app, profile).await;
    let stats = app.state.store.stats();
    let now = app.state.now();
    for (path, headers) in &routes {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        for body in NOT_OBJECTS {
            let answer = post_raw(&app, path, &headers, body).await;
            assert_refused(profile, &answer, &format!("{path} {body}"));
        }
        // Malformed JSON stays a 400 bad request in both.
        let answer = post_raw(&app, path, &headers, "[1,").await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}: {answer:?}");
    }
    assert_eq!(app.state.store.stats(), stats);
    assert_eq!(app.state.now(), now);
    // The same routes still take an object.
    let start = app.post("/api/mcp/start", &[], json!({})).await;
    assert_eq!(start.status, StatusCode::OK);
    assert_eq!(app.advance(1).await, now + 1);
}

liveauth_testkit::on_both_profiles!(non_object_bodies_are_refused_on_every_json_route);
