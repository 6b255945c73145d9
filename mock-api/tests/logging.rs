//! No secret reaches mock-api's log whatever `RUST_LOG` says (issue 12, fault 4): the
//! built binary serves a whole flow (PoW confirm, charge, usage, refresh, a Lightning
//! session, an L402-paid resource) at the most verbose settings, and its stderr is
//! searched for every secret the flow saw: the key, JWTs and their parts, refresh tokens,
//! preimages and the macaroon.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

mod common;

use common::PROJECT_KEY;
use liveauth_testkit::mock::Profile;
use liveauth_testkit::{on_both_profiles, process};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt as _;
use tokio::process::Command;

/// Everything; the message-dumping crates alone (more specific than any cap); every HTTP
/// layer at trace.
const VERBOSE: [&str; 3] = [
    "trace",
    "tower_http=trace",
    "tower_http=trace,hyper=trace,hyper_util=trace,axum=trace,mock_api=trace",
];

/// A flow against one mock-api binary; collects what it must keep out of its log.
struct Flow {
    http: reqwest::Client,
    base: String,
    secrets: Vec<String>,
}

impl Flow {
    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, Value, Vec<String>) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let challenges = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        for field in ["jwt", "refreshToken", "preimage"] {
            if let Some(secret) = body[field].as_str() {
                self.secrets.push(secret.to_owned());
                self.secrets.extend(
                    secret
                        .split('.')
                        .filter(|p| p.len() >= 16)
                        .map(str::to_owned),
                );
            }
        }
        (status, body, challenges)
    }

    async fn post(&mut self, path: &str, bearer: Option<&str>, body: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-lw-public", PROJECT_KEY)
            .json(&body);
        if let Some(jwt) = bearer {
            request = request.bearer_auth(jwt);
        }
        let (status, body, _) = self.send(request).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    async fn settle(&mut self, payment_hash: &str) -> String {
        let body = self
            .post(&format!("/api/dev/settle/{payment_hash}"), None, json!({}))
            .await;
        body["preimage"].as_str().unwrap().to_owned()
    }

    async fn run(&mut self) {
        let start = self.post("/api/mcp/start", None, json!({})).await;
        let session = self
            .post("/api/mcp/confirm", None, common::solved(&start))
            .await;
        let jwt = session["jwt"].as_str().unwrap().to_owned();
        self.post("/api/mcp/charge", Some(&jwt), json!({"callCostSats": 1}))
            .await;
        let usage = self
            .http
            .get(format!("{}/api/mcp/usage", self.base))
            .bearer_auth(&jwt);
        assert!(self.send(usage).await.0.is_success());
        let refresh = session["refreshToken"].clone();
        self.post("/api/mcp/refresh", None, json!({"refreshToken": refresh}))
            .await;

        let lightning = self
            .post("/api/mcp/start", None, json!({"forceLightning": true}))
            .await;
        let hash = lightning["invoice"]["paymentHash"]
            .as_str()
            .unwrap()
            .to_owned();
        self.settle(&hash).await;
        let quote = lightning["quoteId"].clone();
        self.post("/api/mcp/confirm", None, json!({"quoteId": quote}))
            .await;

        // The demo resource's L402 challenge, paid through the dev endpoint.
        let resource = format!("{}/api/demo/resource", self.base);
        let (status, _, challenges) = self.send(self.http.get(&resource)).await;
        assert_eq!(status, 402);
        if challenges.is_empty() {
            // The hosted profile's 402 is a bare problem, with nothing to pay; the caller
            // counts the secrets each profile must have shown.
            return;
        }
        let field = |scheme: &str, name: &str| {
            let challenge = challenges
                .iter()
                .find(|c| c.starts_with(scheme))
                .unwrap_or_else(|| panic!("no {scheme} challenge: {challenges:?}"));
            let (_, rest) = challenge.split_once(&format!("{name}=\"")).unwrap();
            rest.split('"').next().unwrap().to_owned()
        };
        let macaroon = field("L402", "macaroon");
        let preimage = self.settle(&field("x402", "paymentHash")).await;
        self.secrets.push(macaroon.clone());
        let paid = self
            .http
            .get(&resource)
            .header("authorization", format!("L402 {macaroon}:{preimage}"));
        assert!(self.send(paid).await.0.is_success());
    }
}

/// Serves mock-api in `profile` at `rust_log`, runs the flow, and returns its stderr and
/// the secrets seen.
async fn flow(profile: Profile, rust_log: &str) -> (String, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-api"));
    command
        .args(["--listen", "127.0.0.1:0", "--difficulty-bits", "8"])
        .args(["--profile", &profile.to_string(), "--project", PROJECT_KEY]);
    let mut mock = process::spawn(&mut command, rust_log);
    let logs = mock.stderr.collect();
    // Kept open to the end: the mock prints the rest of its banner after this line.
    let mut stdout = mock.stdout.lines();
    let banner = process::next_line(&mut stdout).await;
    let base = banner.rsplit(' ').next().unwrap().to_owned();
    let mut flow = Flow {
        http: reqwest::Client::new(),
        base,
        secrets: vec![PROJECT_KEY.to_owned()],
    };
    flow.run().await;
    mock.child.kill().await.unwrap();
    (logs.await.unwrap(), flow.secrets)
}

async fn no_secret_reaches_the_log(profile: Profile) {
    let runs = VERBOSE
        .map(|rust_log| tokio::spawn(async move { (rust_log, flow(profile, rust_log).await) }));
    for run in runs {
        let (rust_log, (stderr, secrets)) = run.await.unwrap();
        // The key, 2 JWTs, 2 refresh tokens and a preimage at least; strict's 402 adds
        // the resource's macaroon and a second preimage.
        let least = liveauth_testkit::mock::hosted_or_strict(profile, 6, 8);
        assert!(secrets.len() >= least, "{secrets:?}");
        // The HTTP crates are capped at info whatever RUST_LOG says; at trace the mock's
        // own debug lines show the log was captured.
        assert!(
            rust_log != "trace" || stderr.contains(" DEBUG "),
            "{rust_log}: nothing was logged: {stderr}"
        );
        for secret in &secrets {
            assert!(
                !stderr.contains(secret.as_str()),
                "{rust_log}: a secret reached stderr: {secret}"
            );
        }
    }
}

on_both_profiles!(no_secret_reaches_the_log);
