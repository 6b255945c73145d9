//! The fuzz target `tool_call` on stable: every committed seed, then proptest-generated
//! inputs through the same `liveauth_testkit::fuzz::tool_call` harness.

use liveauth_testkit::corpus::seeds;
use liveauth_testkit::fuzz::tool_call::{FIELDS, TOOLS, call_tool, tool_call};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The tool seeds run in order on one harness, as the fuzzer's first inputs do.
#[test]
fn tool_call_seeds() {
    for (_, data) in seeds("tool_call") {
        tool_call(&data);
    }
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
}
