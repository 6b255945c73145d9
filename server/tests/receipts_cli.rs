//! `liveauth-mcp receipts verify`, the built binary: the worked examples of
//! hosted-api-facts §3 verify (exit 0, the payload on stdout), a tampered copy does not
//! (exit 1, the verifier's code on stderr), and a missing key says which flag to pass.

#![allow(clippy::unwrap_used)] // tests: a panic is a failed test

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use liveauth_protocol::receipt::v2::example;
use serde_json::{Value, json};

const HMAC_KEY: &str = "test-jwt-signing-key-that-is-at-least-32-bytes-long";

fn seed(name: &str) -> Value {
    let path = format!(
        "{}/../fuzz/corpus/receipt_verify/seed-{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_liveauth-mcp"))
        .args(["receipts", "verify"])
        .args(args)
        .env_remove("LIVEAUTH_RECEIPT_HMAC_KEY")
        .env_remove("LIVEAUTH_API_BASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn worked_examples_verify_and_tampered_copies_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, serde_json::to_vec(&example::key_set()).unwrap()).unwrap();
    let keys = keys.to_str().unwrap();
    let write = |name: &str, value: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path.to_str().unwrap().to_owned()
    };

    let v2 = write("v2.json", &seed("v2-worked-example"));
    let ok = run(&[&v2, "--keys", keys], None);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let payload: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(payload["toolSlug"], "inspect");
    assert!(stderr(&ok).contains("valid: receipt-v2 signed with key key-a"));

    let v1 = seed("v1-worked-example");
    let ok = run(
        &["-", "--hmac-key", HMAC_KEY],
        Some(&serde_json::to_vec(&v1).unwrap()),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let payload: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(
        payload["receiptId"],
        "mcp_receipt_3f2b8c1e5d4a4e6f9a7b1c2d3e4f5a6b"
    );

    // A charge answer holding both: both must verify.
    let both = write(
        "charge.json",
        &json!({"status": "ok", "receipt": v1, "receiptV2": seed("v2-worked-example")}),
    );
    let ok = run(&[&both, "--keys", keys, "--hmac-key", HMAC_KEY], None);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));

    let mut tampered = seed("v2-worked-example");
    let payload = tampered["payload"].as_str().unwrap().replacen('J', "K", 1);
    tampered["payload"] = payload.into();
    let tampered = write("tampered.json", &tampered);
    let bad = run(&[&tampered, "--keys", keys], None);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid_receipt_signature"),
        "{}",
        stderr(&bad)
    );
    assert!(bad.stdout.is_empty());

    let bad = run(
        &["-", "--hmac-key", "another key"],
        Some(&serde_json::to_vec(&v1).unwrap()),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("invalid_receipt_signature"),
        "{}",
        stderr(&bad)
    );

    let missing = run(&[&v2], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("--keys"), "{}", stderr(&missing));

    let garbage = run(&["-"], Some(b"not json"));
    assert_eq!(garbage.status.code(), Some(1));
    assert!(
        stderr(&garbage).contains("malformed_receipt"),
        "{}",
        stderr(&garbage)
    );
}
