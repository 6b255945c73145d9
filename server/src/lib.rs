//! placeholder until the MCP server issue
pub mod api;
pub mod invoice_check;
pub mod redact;
