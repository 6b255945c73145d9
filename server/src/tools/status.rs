//! `liveauth_mcp_status`: a quote's lifecycle and payment state, as the API reports it.

use liveauth_protocol::wire::StatusResponse;

use super::QuoteParams;

tool! {
    /// Check the status of a quote. Use it to poll for Lightning payment confirmation:
    /// when paymentStatus is "paid", call liveauth_mcp_confirm with the quoteId.
    status_router: liveauth_mcp_status(QuoteParams) -> StatusResponse,
    title: "Quote status",
    read_only: true,
    idempotent: true,
    open_world: true,
    |caller, args, _context| {
        let mut status = caller.api.status(&args.quote_id).await?;
        status.expires_at = super::utc(status.expires_at);
        Ok(status)
    }
}
