//! `liveauth_mcp_status`: a quote's lifecycle and payment state, as the API reports it.

use liveauth_protocol::wire::{PaymentStatus, QuoteStatus, StatusResponse};

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
        caller.session.note_status(&args.quote_id, &summary(&status))?;
        status.expires_at = super::utc(status.expires_at);
        Ok(status)
    }
}

/// The status kept with the quote: `paid` for a paid quote that the hosted API still calls
/// `pending`, else the API's lifecycle word.
fn summary(status: &StatusResponse) -> String {
    if matches!(status.payment_status, Some(PaymentStatus::Paid))
        && status.status == QuoteStatus::Pending
    {
        return "paid".to_owned();
    }
    match serde_json::to_value(&status.status) {
        Ok(serde_json::Value::String(word)) => word,
        _ => "unknown".to_owned(),
    }
}
