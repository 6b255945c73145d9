//! Strict JSON decoding that names the offending field, and the JSON media-type test.
//!
//! Both ends read JSON this way: request bodies in the mock, response bodies and tool
//! arguments in the MCP server. An error carries the field path (`nonce`,
//! `powChallenge.targetHex`, `items[2]`), so the message tells a client or an agent
//! which value to fix; trailing data after the document is refused.

use std::fmt;

use serde::de::DeserializeOwned;

/// Why a JSON document did not decode: where (a field path, or the whole document) and
/// serde's message.
///
/// `Display` is the form request bodies are refused with: ``field `<path>`: <message>``,
/// or `invalid JSON body: <message>` when no field is to blame (syntax, trailing data,
/// the wrong top-level type). Callers that word it otherwise use [`JsonError::path`] and
/// [`JsonError::inner`].
#[derive(Debug)]
pub struct JsonError {
    /// `None`: the document as a whole.
    path: Option<String>,
    inner: serde_json::Error,
}

impl JsonError {
    fn at(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        // serde_path_to_error writes an empty path as "."; that is the whole document.
        let path = Some(error.path().to_string()).filter(|path| path != ".");
        Self {
            path,
            inner: error.into_inner(),
        }
    }

    fn whole(inner: serde_json::Error) -> Self {
        Self { path: None, inner }
    }

    /// The path of the field at fault (`a.b[0]`), or `None` for the document as a whole.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// serde's error, without the path.
    pub fn inner(&self) -> &serde_json::Error {
        &self.inner
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "field `{path}`: {}", self.inner),
            None => write!(f, "invalid JSON body: {}", self.inner),
        }
    }
}

impl std::error::Error for JsonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner)
    }
}

/// Decodes one JSON document into `T`; anything after it but whitespace is refused.
pub fn decode_strict<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut json).map_err(JsonError::at)?;
    json.end().map_err(JsonError::whole)?;
    Ok(value)
}

/// Decodes an already parsed JSON value into `T` (MCP tool arguments arrive as one).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(JsonError::at)
}

/// Whether a `Content-Type` value names JSON (`application/json` or any `+json` type).
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        quote_id: String,
        #[serde(default)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        n: u8,
    }

    fn error(body: &str) -> JsonError {
        decode_strict::<Outer>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn decodes() {
        let body = br#" {"quoteId": "q", "items": [{"n": 1}], "extra": true} "#;
        assert_eq!(
            decode_strict::<Outer>(body).unwrap(),
            Outer {
                quote_id: "q".into(),
                items: vec![Inner { n: 1 }],
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = error(r#"{"quoteId": 5}"#);
        assert_eq!(e.path(), Some("quoteId"));
        assert_eq!(
            e.to_string(),
            "field `quoteId`: invalid type: integer `5`, expected a string at line 1 column 13"
        );
        let e = error(r#"{"quoteId": "q", "items": [{"n": 1}, {"n": 300}]}"#);
        assert_eq!(e.path(), Some("items[1].n"));
        assert!(
            e.inner()
                .to_string()
                .starts_with("invalid value: integer `300`")
        );
    }

    #[test]
    fn document_errors_have_no_path() {
        for (body, message) in [
            (
                "{}",
                "invalid JSON body: missing field `quoteId` at line 1 column 2",
            ),
            (
                r#"{"quoteId": "q"} {}"#,
                "invalid JSON body: trailing characters at line 1 column 18",
            ),
            (
                "5",
                "invalid JSON body: invalid type: integer `5`, expected struct Outer at line 1 column 1",
            ),
            (
                "",
                "invalid JSON body: EOF while parsing a value at line 1 column 0",
            ),
        ] {
            let e = error(body);
            assert_eq!(e.path(), None, "{body}");
            assert_eq!(e.to_string(), message, "{body}");
        }
    }

    /// A cut-off object blames its unread key, which serde_path_to_error spells `?`.
    #[test]
    fn truncated_object() {
        let e = error("{");
        assert_eq!(e.path(), Some("?"));
        assert_eq!(
            e.to_string(),
            "field `?`: EOF while parsing an object at line 1 column 1"
        );
    }

    #[test]
    fn from_value_names_the_field() {
        let e = from_value::<Outer>(json!({"quoteId": "q", "items": [{"n": "x"}]})).unwrap_err();
        assert_eq!(e.path(), Some("items[0].n"));
        assert_eq!(
            e.inner().to_string(),
            "invalid type: string \"x\", expected u8"
        );
        let e = from_value::<Outer>(json!(null)).unwrap_err();
        assert_eq!(e.path(), None);
        assert_eq!(
            from_value::<Outer>(json!({"quoteId": "q"}))
                .unwrap()
                .quote_id,
            "q"
        );
    }

    #[test]
    fn json_media_types() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("Application/Problem+JSON"));
        assert!(is_json_media_type(" application/json ;q=1"));
        assert!(!is_json_media_type("text/html"));
        assert!(!is_json_media_type("application/jsonp"));
        assert!(!is_json_media_type(""));
    }
}
