//! The MCP Apps payment view `ui://liveauth/lightning-payment` (facts §4): a
//! self-contained page a host that supports MCP Apps renders beside the result of start,
//! lnurl and confirm. It shows the `lightning` block of the tool result (amount, the
//! server's QR image, status, countdown, a shortened invoice, an "Open wallet" link),
//! polls `liveauth_mcp_status` through the host every 3 s while the invoice is unpaid, and
//! says when it is paid or expired. Hosts without MCP Apps ignore it; their user still
//! gets the JSON and the QR image.
//!
//! The page (`view.html`) fetches nothing itself (its CSP forbids it), writes tool data
//! only as text, and speaks to its host only by `postMessage` JSON-RPC.

use rmcp::model::{MetaObject, ReadResourceResult, Resource, ResourceContents};
use serde_json::json;

/// The resource's URI, as LiveAuth 1.1+ names it.
pub(crate) const URI: &str = "ui://liveauth/lightning-payment";
/// An MCP Apps HTML page.
const MIME: &str = "text/html;profile=mcp-app";
const NAME: &str = "LiveAuth Lightning Payment";
/// The page, compiled in.
const HTML: &str = include_str!("view.html");

/// Who may call a tool: the model and the view (MCP Apps `visibility`).
const VISIBILITY: [&str; 2] = ["model", "app"];

/// The `resources/list` entry.
pub(crate) fn resource() -> Resource {
    Resource::new(URI, NAME)
        .with_title(NAME)
        .with_description(
            "Shows a pending Lightning invoice with its QR code, counts down to its expiry and \
             follows its payment.",
        )
        .with_mime_type(MIME)
}

/// `resources/read` of [`URI`].
pub(crate) fn read() -> ReadResourceResult {
    let meta = MetaObject(object(json!({ "ui": { "prefersBorder": true } })));
    ReadResourceResult::new(vec![
        ResourceContents::text(HTML, URI)
            .with_mime_type(MIME)
            .with_meta(meta),
    ])
}

/// `_meta` of a tool whose result the view renders (start, lnurl, confirm).
pub(crate) fn rendered_by_view() -> MetaObject {
    MetaObject(object(
        json!({ "ui": { "resourceUri": URI, "visibility": VISIBILITY } }),
    ))
}

/// `_meta` of a tool the view may call but does not render (status).
pub(crate) fn callable_by_view() -> MetaObject {
    MetaObject(object(json!({ "ui": { "visibility": VISIBILITY } })))
}

fn object(value: serde_json::Value) -> rmcp::model::JsonObject {
    match value {
        serde_json::Value::Object(object) => object,
        _ => rmcp::model::JsonObject::new(),
    }
}
