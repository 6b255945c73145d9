//! `liveauth_mcp_status`: a quote's lifecycle and payment state, as the API reports it.

use liveauth_protocol::wire::{PaymentStatus, QuoteStatus, StatusResponse};

use super::QuoteParams;
use super::lightning::{WithLightning, status_word};
use crate::payment_view;

tool! {
    /// Check the status of a quote. Use it to poll for Lightning payment confirmation:
    /// when paymentStatus is "paid", call liveauth_mcp_confirm with the quoteId.
    status_router: liveauth_mcp_status(QuoteParams) -> WithLightning<StatusResponse>,
    title: "Quote status",
    read_only: true,
    idempotent: true,
    open_world: true,
    meta: payment_view::callable_by_view(),
    |caller, args, _context| {
        let mut status = caller.api.status(&args.quote_id).await?;
        caller.session.note_status(&args.quote_id, &summary(&status))?;
        status.expires_at = super::utc(status.expires_at);
        // The invoice of a quote this server started, in the state the API reports.
        let word = match &status.payment_status {
            Some(payment) => status_word(payment),
            None => status_word(&status.status),
        };
        let lightning = caller.quoted_lightning(&args.quote_id, word.as_deref())?;
        Ok(WithLightning { result: status, lightning })
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
    status_word(&status.status).unwrap_or_else(|| "unknown".to_owned())
}
