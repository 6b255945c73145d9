//! `requestHash` (docs/design.md, hosted-api-facts §6.5): the SHA-256, as lowercase hex, of a
//! call's arguments in canonical JSON. LiveAuth 1.3 binds a charge to the call it pays for
//! with it, so a retried charge with other arguments is an `idempotency_conflict`.
//!
//! Canonical JSON is what JavaScript's `JSON.stringify` writes for the value once every
//! object's keys are sorted in JavaScript's default order (UTF-16 code units), with no
//! whitespace. Strings are escaped as `JSON.stringify` escapes them (which is also how
//! `serde_json` does: `"`, `\`, and control characters only), and numbers are written as
//! JavaScript writes a double ([`js_number`]), because that is what the 1.3 SDK hashes.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};
use sha2::{Digest as _, Sha256};

use crate::codec::encode_hex;

/// The `requestHash` of `value`: 64 lowercase hex digits.
pub fn request_hash(value: &Value) -> String {
    encode_hex(&Sha256::digest(canonical_json(value).as_bytes()))
}

/// Whether `text` has the form of a `requestHash`: 64 hex digits (any case).
pub fn is_request_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `value` in canonical JSON (see the module documentation).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&js_number(n)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| utf16_order(a.0, b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    // serde_json escapes exactly what JSON.stringify does; a `str` cannot fail to serialize.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// JavaScript's default sort order of strings: by UTF-16 code units, which differs from
/// Rust's (code point) order for characters above U+FFFF against U+E000–U+FFFF.
fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `n` as JavaScript's `Number.prototype.toString` writes the double it parses to
/// (ECMA-262 Number::toString): integers up to 21 digits in full, `1e+21` beyond, small
/// fractions as `0.000001` down to 1e-6 and `1e-7` below, `-0` as `0`.
pub fn js_number(n: &Number) -> String {
    // A JSON number is a double to JavaScript, however many digits it was written with.
    let x = n.as_f64().unwrap_or(0.0);
    if x == 0.0 {
        return "0".to_owned();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as JavaScript's do:
    // `d.ddde±x`, the mantissa without trailing zeros.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // x = digits × 10^(n − k)
    let n = exponent + 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n(
            '0',
            usize::try_from(n - k).unwrap_or(0),
        ));
    } else if 0 < n && n <= 21 {
        let (whole, fraction) = digits.split_at(usize::try_from(n).unwrap_or(0));
        let _ = write!(out, "{whole}.{fraction}");
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', usize::try_from(-n).unwrap_or(0)));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            let _ = write!(out, ".{rest}");
        }
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{}", (n - 1).abs());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The §6.5 vectors (derived with Node from the 1.3 SDK's rule).
    #[test]
    fn reproduces_the_sdk_vectors() {
        let cases = [
            (
                json!({"url": "https://example.com"}),
                "5dc5c505a79bfc2eb22d0e45eff415c6ecf0c965c3d53d6e3e02c1bda74b0927",
            ),
            (
                json!({"a": 1, "b": {"x": 2, "y": 3}}),
                "46828c419428ba79d8942f422c83f507e73d888f31bb4801b14fb07e9ed378b3",
            ),
            (
                json!({"b": {"y": 3, "x": 2}, "a": 1}),
                "46828c419428ba79d8942f422c83f507e73d888f31bb4801b14fb07e9ed378b3",
            ),
            (
                json!({}),
                "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            ),
            (
                json!([]),
                "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
            ),
        ];
        for (value, hash) in cases {
            assert_eq!(request_hash(&value), hash, "{value}");
            assert!(is_request_hash(hash));
        }
        assert_eq!(
            canonical_json(&json!({"b": {"y": 3, "x": 2}, "a": 1})),
            r#"{"a":1,"b":{"x":2,"y":3}}"#
        );
    }

    /// Numbers as JavaScript writes them (each checked against `String(x)` in Node).
    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let cases: [(Value, &str); 14] = [
            (json!(0), "0"),
            (json!(-0.0), "0"),
            (json!(1.0), "1"),
            (json!(-42), "-42"),
            (json!(1.5), "1.5"),
            (json!(0.1), "0.1"),
            (json!(123_456.789), "123456.789"),
            (json!(0.000_001), "0.000001"),
            (json!(0.000_000_1), "1e-7"),
            (json!(1.5e-7), "1.5e-7"),
            (json!(1e21), "1e+21"),
            (json!(1.25e22), "1.25e+22"),
            (json!(1e20), "100000000000000000000"),
            (json!(u64::MAX), "18446744073709552000"),
        ];
        for (value, text) in cases {
            assert_eq!(canonical_json(&value), text, "{value}");
        }
    }

    #[test]
    fn strings_and_keys_follow_javascript() {
        // Control characters escaped, non-ASCII kept, `/` and `<` not escaped.
        let value = json!({"s": "a\"b\\c\n\u{1}é/<"});
        assert_eq!(
            canonical_json(&value),
            "{\"s\":\"a\\\"b\\\\c\\n\\u0001é/<\"}"
        );
        // U+1F600 is D83D DE00 in UTF-16, below U+FF5E; in code points it is above.
        let value = json!({"\u{ff5e}": 1, "\u{1f600}": 2, "z": 3});
        assert_eq!(
            canonical_json(&value),
            "{\"z\":3,\"\u{1f600}\":2,\"\u{ff5e}\":1}"
        );
    }

    #[test]
    fn only_64_hex_digits_are_a_request_hash() {
        assert!(is_request_hash(&"A".repeat(64)));
        for bad in ["", "abc", &"a".repeat(63), &"a".repeat(65), &"g".repeat(64)] {
            assert!(!is_request_hash(bad), "{bad}");
        }
    }
}
