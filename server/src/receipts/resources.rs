//! The kept receipts as MCP resources: `liveauth://receipts` (the newest receipts,
//! summarized) and one `liveauth://receipts/{receiptId}` per receipt (the receipt as kept:
//! both envelopes and what checking v2 found). `resources/list` pages through them,
//! newest first, [`PAGE`] at a time; the cursor is the offset.

use rmcp::ErrorData;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};
use serde_json::json;

use crate::session::AgentSession;

/// The listing resource.
pub(crate) const LIST_URI: &str = "liveauth://receipts";
/// Resources per `resources/list` page, and receipts in the listing resource.
pub(crate) const PAGE: i64 = 100;
const JSON: &str = "application/json";

/// `liveauth://receipts/{receiptId}`.
pub(crate) fn receipt_uri(receipt_id: &str) -> String {
    format!("{LIST_URI}/{receipt_id}")
}

/// `resources/list`: the listing first, then the receipts, newest first.
pub(crate) fn list(
    session: &AgentSession,
    cursor: Option<&str>,
) -> Result<ListResourcesResult, ErrorData> {
    let offset = match cursor {
        None => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|offset| *offset >= 0)
            .ok_or_else(|| ErrorData::invalid_params(format!("bad cursor {cursor:?}"), None))?,
    };
    let receipts = session.receipts(offset, PAGE).map_err(internal)?;
    let mut resources = Vec::new();
    if offset == 0 {
        resources.push(
            Resource::new(LIST_URI, "receipts")
                .with_title("LiveAuth receipts")
                .with_description(
                    "The signed receipts of this agent's accepted charges, newest first.",
                )
                .with_mime_type(JSON),
        );
    }
    let full = i64::try_from(receipts.len()).unwrap_or(PAGE) == PAGE;
    resources.extend(receipts.iter().map(|receipt| {
        let sats = receipt
            .gross_sats
            .map_or_else(String::new, |sats| format!("{sats} sats, "));
        let verified = match receipt.check.receipt_verified {
            Some(true) => "receiptV2 verified",
            Some(false) => "receiptV2 did NOT verify",
            None => "no receiptV2",
        };
        Resource::new(receipt.uri(), receipt.receipt_id.clone())
            .with_title(format!("Receipt {}", receipt.receipt_id))
            .with_description(format!(
                "{sats}received {}, {verified}",
                receipt.received_at
            ))
            .with_mime_type(JSON)
    }));
    let mut result = ListResourcesResult::with_all_items(resources);
    if full {
        result.next_cursor = Some((offset + PAGE).to_string());
    }
    Ok(result)
}

/// `resources/templates/list`: one receipt by id.
pub(crate) fn templates() -> ListResourceTemplatesResult {
    ListResourceTemplatesResult::with_all_items(vec![
        ResourceTemplate::new(format!("{LIST_URI}/{{receiptId}}"), "receipt")
            .with_title("A LiveAuth receipt")
            .with_description("One kept receipt by its receiptId (mcp_receipt_…).")
            .with_mime_type(JSON),
    ])
}

/// `resources/read` of the listing or of one receipt; anything else is
/// `Unknown resource: <uri>`.
pub(crate) fn read(session: &AgentSession, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let text = if uri == LIST_URI {
        let receipts = session.receipts(0, PAGE).map_err(internal)?;
        let summaries: Vec<_> = receipts
            .iter()
            .map(|receipt| {
                json!({
                    "receiptId": receipt.receipt_id,
                    "uri": receipt.uri(),
                    "grossSats": receipt.gross_sats,
                    "toolSlug": receipt.tool_slug,
                    "receiptVerified": receipt.check.receipt_verified,
                    "receivedAt": receipt.received_at,
                })
            })
            .collect();
        json!({ "receipts": summaries })
    } else {
        let receipt = uri
            .strip_prefix(LIST_URI)
            .and_then(|rest| rest.strip_prefix('/'))
            .map(|id| session.receipt(id))
            .transpose()
            .map_err(internal)?
            .flatten()
            .ok_or_else(|| unknown(uri))?;
        serde_json::to_value(receipt).map_err(|error| internal(error.into()))?
    };
    let text = serde_json::to_string_pretty(&text).map_err(|error| internal(error.into()))?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(JSON),
    ]))
}

fn unknown(uri: &str) -> ErrorData {
    ErrorData::resource_not_found(format!("Unknown resource: {uri}"), None)
}

fn internal(error: crate::state::StateError) -> ErrorData {
    ErrorData::internal_error(format!("the state store failed: {error}"), None)
}
