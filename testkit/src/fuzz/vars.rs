//! `${name}` in a fuzz input: replaced by the last value of that field in an earlier
//! answer, so a script can carry a quote id or a token from one step to the next.

use std::collections::BTreeMap;

use serde_json::Value;

/// Values learned from earlier answers.
#[derive(Debug, Default)]
pub(crate) struct Vars(BTreeMap<String, String>);

impl Vars {
    /// Every string and number field of `value`, at any depth (the last one wins).
    pub(crate) fn learn(&mut self, value: &Value) {
        match value {
            Value::Object(object) => {
                for (key, value) in object {
                    match value {
                        Value::String(s) => {
                            self.0.insert(key.clone(), s.clone());
                        }
                        Value::Number(n) => {
                            self.0.insert(key.clone(), n.to_string());
                        }
                        other => self.learn(other),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| self.learn(item)),
            _ => {}
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&String> {
        self.0.get(name)
    }

    pub(crate) fn set(&mut self, name: &str, value: String) {
        self.0.insert(name.to_owned(), value);
    }

    /// `input` with every `${name}` of a known name replaced; unknown ones stay as sent.
    pub(crate) fn substitute(&self, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(input.len());
        let mut rest = input;
        while let Some(start) = find(rest, b"${") {
            out.extend_from_slice(&rest[..start]);
            let after = &rest[start + 2..];
            match after.iter().position(|&b| b == b'}').and_then(|end| {
                let name = std::str::from_utf8(&after[..end]).ok()?;
                Some((end, self.0.get(name)?))
            }) {
                Some((end, value)) => {
                    out.extend_from_slice(value.as_bytes());
                    rest = &after[end + 1..];
                }
                None => {
                    out.extend_from_slice(b"${");
                    rest = after;
                }
            }
        }
        out.extend_from_slice(rest);
        out
    }
}

/// Where `needle` first occurs in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
