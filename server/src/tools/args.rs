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
        let parsed = json::from_value(arguments).map_err(|error| {
            let field = error
                .path()
                .map_or_else(|| "arguments".to_owned(), |path| format!("`{path}`"));
            ToolError::InvalidArgument(format!("{field}: {}", error.inner()))
        });
        Ok(Self(parsed))
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
