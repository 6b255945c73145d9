//! The protocol's fuzz targets on stable: every committed seed, then proptest-generated
//! inputs through the same parser properties (`pow_rule`, `nonce_parse`,
//! `challenge_signature`, `auth_header`, `macaroon`, `receipt_verify`, `bundle_macaroon`;
//! the `fuzzing` feature).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use liveauth_protocol::bundle::fuzzing::bundle_macaroon;
use liveauth_protocol::fuzzing::{
    PowInput, SignatureInput, challenge_signature, nonce_parse, pow_check, pow_rule,
    signature_check,
};
use liveauth_protocol::l402::fuzzing::{auth_header, macaroon};
use liveauth_protocol::pow::MAX_NONCE;
use liveauth_protocol::receipt::fuzzing::receipt_verify;
use liveauth_testkit::corpus::seeds;
use proptest::prelude::*;

/// A fuzz target: its corpus name and its function.
type Target = (&'static str, fn(&[u8]));

/// Every seed of every protocol target passes (the `pow_verify` corpus also feeds the
/// mock's confirm in `fuzz_api.rs`).
#[test]
fn seed_corpora() {
    let targets: [Target; 7] = [
        ("pow_verify", pow_rule),
        ("nonce_parse", nonce_parse),
        ("challenge_signature", challenge_signature),
        ("auth_header", auth_header),
        ("macaroon", macaroon),
        ("receipt_verify", receipt_verify),
        ("bundle_macaroon", bundle_macaroon),
    ];
    for (target, run) in targets {
        for (_, data) in seeds(target) {
            run(&data);
        }
    }
}

/// Known edge cases of the nonce rule, run as fuzz inputs.
#[test]
fn nonce_edges() {
    for text in [
        "0",
        "00",
        "-0",
        " 1",
        "1 ",
        "\"1\"",
        "1.0",
        "9007199254740992",
    ] {
        nonce_parse(text.as_bytes());
    }
}

fn hex_or_not() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{64}",
        (0u32..=256).prop_map(|bits| liveauth_protocol::codec::encode_hex(
            &liveauth_protocol::pow::target_from_bits(bits).unwrap()
        )),
        "[0-9a-fA-F]{60,66}",
        "[ -~]{0,10}",
    ]
}

fn nonce_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..=MAX_NONCE).prop_map(|n| n.to_string()),
        (0u64..1000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[0-9]{0,20}",
        "[-+ 0-9.e]{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pow(
        key in "[ -~]{0,20}",
        challenge_hex in prop_oneof!["[0-9a-f]{0,64}", "[ -~]{0,10}"],
        nonce in nonce_text(),
        bits in prop_oneof![0u32..=12, 0u32..=300, any::<u32>()],
        target_hex in hex_or_not(),
    ) {
        pow_check(&PowInput { key, challenge_hex, nonce, bits: bits.to_string(), target_hex });
    }

    #[test]
    fn pow_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        pow_rule(&data);
    }

    #[test]
    fn nonce(text in prop_oneof![nonce_text(), any::<String>(), "[ -~]{0,20}"]) {
        nonce_parse(text.as_bytes());
    }

    #[test]
    fn signature(
        strings in prop::collection::vec("[ -~]{0,12}", 5),
        difficulty_bits in any::<u32>(),
        expires_at_unix in any::<i64>(),
        secret in "[ -~]{0,8}",
        candidate in prop_oneof!["[A-Za-z0-9_-]{43}", "[ -~]{0,50}"],
    ) {
        signature_check(&SignatureInput {
            project_id: strings[0].clone(),
            project_public_key: strings[1].clone(),
            quote_id: strings[2].clone(),
            challenge_hex: strings[3].clone(),
            target_hex: strings[4].clone(),
            difficulty_bits,
            expires_at_unix,
            secret,
            candidate,
        });
    }

    #[test]
    fn signature_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        challenge_signature(&data);
    }

    #[test]
    fn headers(text in prop_oneof![
        "(L402|LSAT|x402|Bearer) [ -~]{0,60}",
        "(L402|x402) (macaroon|invoice|paymentHash)=\"[A-Za-z0-9+/=]{0,40}\"(, [a-zA-Z]+=\"[ -~]{0,20}\")?",
        any::<String>(),
    ]) {
        auth_header(text.as_bytes());
    }

    #[test]
    fn macaroons(data in prop::collection::vec(any::<u8>(), 0..300)) {
        macaroon(&data);
    }

    /// The worked examples with one character changed, and envelopes of random fields.
    #[test]
    fn receipts(
        target in 0usize..2,
        field in 0usize..2,
        position in any::<prop::sample::Index>(),
        replacement in "[A-Za-z0-9_-]",
        junk in prop_oneof![
            Just(String::new()),
            "[ -~]{0,80}",
        ],
    ) {
        let seed = seeds("receipt_verify")
            .into_iter()
            .find(|(name, _)| name == ["seed-v1-worked-example", "seed-v2-worked-example"][target])
            .unwrap()
            .1;
        let mut envelope: serde_json::Value = serde_json::from_slice(&seed).unwrap();
        let key = ["payload", "signature"][field];
        let mut text = envelope[key].as_str().unwrap().to_owned();
        let i = position.index(text.len());
        text.replace_range(i..=i, &replacement);
        envelope[key] = text.into();
        receipt_verify(&serde_json::to_vec(&envelope).unwrap());
        envelope["keyId"] = junk.clone().into();
        receipt_verify(&serde_json::to_vec(&envelope).unwrap());
        receipt_verify(junk.as_bytes());
    }

    #[test]
    fn bundle_macaroons(text in prop_oneof![
        "[A-Za-z0-9+/=]{0,80}\\.[A-Za-z0-9+/=]{0,50}",
        "\\{\"kid\":\"[a-z0-9-]{0,8}\",\"aid\":\"[ -~]{0,6}\",\"scopes\":\\[\\],\"bid\":\"b\",\"rate\":-?[0-9]{1,3},\"exp\":[0-9]{1,5},\"iat\":0,\"jti\":\"t\"\\}",
        any::<String>(),
    ]) {
        bundle_macaroon(text.as_bytes());
    }
}
