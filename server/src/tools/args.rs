//! The argument extractor every tool uses, and the one parameter type two tools share.

use liveauth_protocol::json;
use rmcp::ErrorData;
use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::ToolError;

/// Tool arguments, parsed by the tool itself so that a bad argument becomes an `isError`
/// result naming the field (rmcp's `Parameters` would make it a JSON-RPC error).
#[derive(Debug)]
pub struct Args<T>(pub Result<T, ToolError>);

impl<S, T: DeserializeOwned> FromContextPart<ToolCallContext<'_, S>> for Args<T> {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, ErrorData> {
        let arguments = serde_json::Value::Object(context.arguments.take().unwrap_or_default());
        let parsed = check_sizes(&arguments, &mut String::new(), 0).and_then(|()| {
            json::from_value(arguments).map_err(|error| {
                let field = error
                    .path()
                    .map_or_else(|| "arguments".to_owned(), |path| format!("`{path}`"));
                ToolError::InvalidArgument(format!("{field}: {}", error.inner()))
            })
        });
        Ok(Self(parsed))
    }
}

/// The longest string any argument may be, in bytes. The longest real ones (a refresh
/// token, a signature) are a few hundred; a longer one is a mistake or an attack, and is
/// refused before it reaches the API (where it would read as "cannot reach the API").
pub(crate) const MAX_STRING_BYTES: usize = 4096;

/// How deep arguments may nest. No tool takes more than an object of scalars.
pub(crate) const MAX_DEPTH: usize = 8;

/// Refuses a string longer than [`MAX_STRING_BYTES`] or nesting deeper than [`MAX_DEPTH`]
/// anywhere in `value`, naming where (`path` is the field path of `value`, `depth` its
/// depth). The depth cap also bounds this recursion.
fn check_sizes(
    value: &serde_json::Value,
    path: &mut String,
    depth: usize,
) -> Result<(), ToolError> {
    let field = |path: &str| {
        if path.is_empty() {
            "arguments".to_owned()
        } else {
            format!("`{path}`")
        }
    };
    if depth > MAX_DEPTH {
        return Err(ToolError::InvalidArgument(format!(
            "{}: nested deeper than {MAX_DEPTH} levels",
            field(path)
        )));
    }
    let within = |key: &str, child: &serde_json::Value, path: &mut String| {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        let checked = check_sizes(child, path, depth + 1);
        path.truncate(len);
        checked
    };
    match value {
        serde_json::Value::String(text) if text.len() > MAX_STRING_BYTES => {
            Err(ToolError::InvalidArgument(format!(
                "{}: {} bytes long; at most {MAX_STRING_BYTES} are accepted",
                field(path),
                text.len()
            )))
        }
        serde_json::Value::Object(fields) => fields
            .iter()
            .try_for_each(|(key, child)| within(key, child, path)),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, child)| within(&index.to_string(), child, path)),
        _ => Ok(()),
    }
}

// The arguments of `liveauth_mcp_status` and `liveauth_mcp_lnurl`. No `///` here: a doc
// comment would become the description of both input schemas.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuoteParams {
    /// The quoteId from the start response.
    pub quote_id: String,
}
