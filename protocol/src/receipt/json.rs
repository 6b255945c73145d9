//! The JSON text receipt payloads are written in: compact, fields in the order given, and
//! strings escaped as .NET's `System.Text.Json` default encoder escapes them (the hosted
//! API's signer), so a payload we write is the payload it would write.
//!
//! That encoder escapes more than JSON requires: every non-ASCII character (as UTF-16
//! `\uXXXX` units), the HTML-sensitive `<`, `>`, `&`, `'`, `+` and `` ` ``, and `"` as
//! `\u0022`; hex digits are uppercase. Our payloads hold ASCII identifiers, so this only
//! matters for a tool name or key an agent chose.

use std::fmt::Write as _;

/// A payload field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(u64),
    Str(&'a str),
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(text: Option<&'a str>) -> Self {
        text.map_or(Self::Null, Self::Str)
    }
}

/// `{"key":value,...}` with the fields in the order given.
pub fn object(fields: &[(&str, Value<'_>)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(&mut out, key);
        out.push(':');
        match value {
            Value::Null => out.push_str("null"),
            Value::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Str(text) => string(&mut out, text),
        }
    }
    out.push('}');
    out
}

/// Appends `text` as a JSON string, escaped as .NET's default encoder does.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' if !matches!(c, '"' | '<' | '>' | '&' | '\'' | '+' | '`') => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_order_and_nulls() {
        let json = object(&[
            ("b", Value::Int(5)),
            ("a", Value::Null),
            ("c", Value::Str("x")),
        ]);
        assert_eq!(json, r#"{"b":5,"a":null,"c":"x"}"#);
    }

    #[test]
    fn strings_are_escaped_as_dotnet_does() {
        let json = object(&[("k", Value::Str("a\"b<c>&'+`\\\n\u{1}é😀"))]);
        assert_eq!(
            json,
            r#"{"k":"a\u0022b\u003Cc\u003E\u0026\u0027\u002B\u0060\\\n\u0001\u00E9\uD83D\uDE00"}"#
        );
        // Still JSON that means the same text.
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["k"], "a\"b<c>&'+`\\\n\u{1}é😀");
    }
}
