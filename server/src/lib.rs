//! placeholder until the MCP server issue
pub mod invoice_check;
