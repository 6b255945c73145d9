//! The server's fuzz targets on stable: every committed seed, then proptest-generated
//! inputs through the same `fuzzing` functions (`bolt11_check`, `tool_call`).

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns: a panic is a failed test

use std::path::PathBuf;

use liveauth_mcp::fuzzing::{FIELDS, TOOLS, call_tool, tool_call};
use liveauth_mcp::invoice_check::fuzzing::{AMOUNT_SATS, NOW_UNIX, bolt11_check};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// The seed files of a fuzz target (`fuzz/corpus/<target>/seed-*`), sorted by name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.starts_with("seed-")
                .then(|| (name, std::fs::read(&path).unwrap()))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
}

/// Every seed passes; the BOLT #11 spec's valid examples parse (as signed raw invoices:
/// the older ones have no payment secret, which `lightning-invoice` now requires) and its
/// invalid ones do not, so the corpus holds what its names say.
#[test]
fn bolt11_seeds() {
    for (name, data) in seeds("bolt11_check") {
        bolt11_check(&data);
        let text = String::from_utf8(data).unwrap();
        if name.starts_with("seed-spec-invalid") {
            let parsed = text.parse::<lightning_invoice::Bolt11Invoice>();
            assert!(parsed.is_err(), "{name} parses");
        } else {
            let parsed = text.parse::<lightning_invoice::SignedRawBolt11Invoice>();
            assert!(parsed.is_ok(), "{name}: {parsed:?}");
        }
    }
}

/// The tool seeds run in order on one harness, as the fuzzer's first inputs do.
#[test]
fn tool_call_seeds() {
    for (_, data) in seeds("tool_call") {
        tool_call(&data);
    }
}

/// Writes the invoice the `bolt11_check` constants describe (accepted by the check). Run
/// by hand: `cargo test -p liveauth-mcp --test fuzz_mirror -- --ignored`.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand"]
fn write_quoted_invoice_seed() {
    use mock_api::lightning::{InvoiceRequest, LightningNode, Network, payment_hash};
    let invoice = LightningNode::from_seed([1; 32], Network::Regtest)
        .create_invoice(&InvoiceRequest {
            amount_sats: AMOUNT_SATS,
            payment_hash: payment_hash(&[0; 32]),
            payment_secret: [9; 32],
            description: "LiveAuth session".to_owned(),
            created_at_unix: NOW_UNIX - 60,
            expiry_secs: 600,
        })
        .unwrap();
    std::fs::write(corpus("bolt11_check").join("seed-quoted-invoice"), invoice).unwrap();
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("${quoteId}"),
            Just("${nonce}"),
            Just("${refreshToken}"),
            Just("${jwt}")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arguments() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((0..FIELDS.len(), json_value()), 0..4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(i, v)| (FIELDS[i].to_owned(), v))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every tool with arbitrary arguments (real field names, values of any type).
    #[test]
    fn tools_with_arbitrary_arguments(tool in 0..TOOLS.len(), args in arguments()) {
        call_tool(TOOLS[tool], args);
    }

    /// Raw inputs, as the fuzzer sends them.
    #[test]
    fn raw_tool_inputs(tool in 0..TOOLS.len(), rest in "[ -~]{0,40}") {
        tool_call(format!("{}\n{rest}", TOOLS[tool]).as_bytes());
    }

    #[test]
    fn bolt11_mutations(index in 0usize..400, c in "[a-z0-9]", cut in any::<bool>()) {
        for (_, data) in seeds("bolt11_check") {
            let mut text = String::from_utf8(data).unwrap();
            if text.is_char_boundary(index.min(text.len())) && index < text.len() {
                if cut { text.truncate(index) } else { text.replace_range(index..=index, &c) }
            }
            bolt11_check(text.as_bytes());
        }
    }
}
