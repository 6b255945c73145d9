//! The `lightning` block of every result that carries an invoice (facts §1.4), and the QR
//! code image that follows the text block while the invoice is unpaid (§1.2).
//!
//! One place builds both: [`Payment::block`] is a pure function of what a result knows
//! about its invoice and the time, and [`attach_qr`] adds the PNG to any result whose
//! `lightning.status` is `pending`, so a tool only has to fill in the block.

use liveauth_protocol::codec::encode_base64;
use liveauth_protocol::wire::{Invoice, StartResponse};
use rmcp::model::{CallToolResult, ContentBlock};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Caller, ToolError};

/// Width and height of the QR image in pixels (as LiveAuth 1.1+ draws it).
pub(crate) const QR_WIDTH_PX: u32 = 280;
/// Light modules around the code (the quiet zone), as LiveAuth draws it.
const QR_MARGIN_MODULES: usize = 1;
/// `paymentStatus` (or `status`) words that mean the invoice is paid, compared ignoring
/// case.
const PAID_WORDS: [&str; 4] = ["paid", "confirmed", "settled", "l402_paid"];

/// What a person needs to pay an invoice: the invoice, its `lightning:` URI (what the QR
/// code and a wallet link hold), the amount, the expiry and whether it is still payable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LightningBlock {
    /// The BOLT11 invoice.
    pub invoice: String,
    /// `lightning:` followed by the invoice: open it in a wallet, or scan the QR image.
    pub lightning_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_sats: Option<u64>,
    /// The expiry as ISO 8601 with milliseconds (`2030-03-17T17:46:40.000Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_unix: Option<i64>,
    /// `pending` (pay it; the result then carries its QR code as an image/png block),
    /// `paid` or `expired`.
    pub status: LightningStatus,
}

/// Where the payment of an invoice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LightningStatus {
    Pending,
    Paid,
    Expired,
}

/// What a result knows about its invoice: the input of [`Payment::block`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Payment<'a> {
    /// The BOLT11 invoice as the API sent it.
    pub invoice: &'a str,
    pub amount_sats: Option<u64>,
    pub expires_at_unix: Option<i64>,
    /// The API's `paymentStatus`, else its `status`, if the result has either.
    pub status: Option<&'a str>,
}

impl<'a> Payment<'a> {
    /// A quoted invoice, whose state the result reports as `status`.
    pub(crate) fn of(invoice: &'a Invoice, status: Option<&'a str>) -> Self {
        Self {
            invoice: &invoice.bolt11,
            amount_sats: Some(invoice.amount_sats),
            expires_at_unix: Some(invoice.expires_at_unix),
            status,
        }
    }

    /// The block at `now_unix`. An invoice that is not `ln` followed by ASCII letters and
    /// digits fails the tool: a person must never be shown a QR code of something else.
    pub(crate) fn block(&self, now_unix: i64) -> Result<LightningBlock, ToolError> {
        let invoice = self.invoice.trim();
        let well_formed = invoice.len() > 2
            && invoice.as_bytes()[..2].eq_ignore_ascii_case(b"ln")
            && invoice.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(ToolError::InvalidLightningInvoice);
        }
        let said = |words: &[&str]| {
            self.status
                .is_some_and(|status| words.iter().any(|w| status.eq_ignore_ascii_case(w)))
        };
        let status = if said(&PAID_WORDS) {
            LightningStatus::Paid
        } else if said(&["expired"]) || self.expires_at_unix.is_some_and(|at| at <= now_unix) {
            LightningStatus::Expired
        } else {
            LightningStatus::Pending
        };
        Ok(LightningBlock {
            invoice: invoice.to_owned(),
            lightning_uri: format!("lightning:{invoice}"),
            amount_sats: self.amount_sats,
            expires_at: self.expires_at_unix.and_then(iso_millis),
            expires_at_unix: self.expires_at_unix,
            status,
        })
    }
}

impl Caller {
    /// The block of `payment` at this server's time.
    pub(super) fn lightning(&self, payment: Payment<'_>) -> Result<LightningBlock, ToolError> {
        payment.block(self.clock.now_unix())
    }

    /// The block of a quote's invoice, reported as `status`: `None` for a quote this server
    /// did not start and for one paid otherwise (PoW, an L402 bundle macaroon).
    pub(super) fn quoted_lightning(
        &self,
        quote_id: &str,
        status: Option<&str>,
    ) -> Result<Option<LightningBlock>, ToolError> {
        match self.session.quote(quote_id)? {
            Some(quote) => payable_invoice(&quote)
                .map(|invoice| self.lightning(Payment::of(invoice, status)))
                .transpose(),
            None => Ok(None),
        }
    }
}

/// The invoice a person pays for this quote: not one of a quote redeemed with an L402
/// bundle macaroon (`authHint` set; LiveAuth 1.3 gives it no `lightning` block).
pub(super) fn payable_invoice(quote: &StartResponse) -> Option<&Invoice> {
    quote.invoice.as_ref().filter(|_| quote.auth_hint.is_none())
}

/// Unix seconds as JavaScript's `Date.toISOString()` writes them (milliseconds, `Z`).
fn iso_millis(unix_secs: i64) -> Option<String> {
    let text = liveauth_protocol::time::try_rfc3339_utc(unix_secs)?;
    Some(format!("{}.000Z", text.strip_suffix('Z')?))
}

/// The word an API status enum is written as (`"paid"`, `"l402_paid"`, an unknown word).
pub(crate) fn status_word<T: Serialize>(status: &T) -> Option<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(word)) => Some(word),
        _ => None,
    }
}

/// A result and the `lightning` block of its invoice, side by side in one JSON object.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WithLightning<T> {
    #[serde(flatten)]
    pub result: T,
    /// The invoice to pay, when this result has one (LiveAuth 1.1+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lightning: Option<LightningBlock>,
}

/// Adds the QR code of `lightning.lightningUri` as an `image/png` block when the result's
/// structured content has a pending `lightning` block (§1.2); any other result is left as
/// it is. A QR code that cannot be drawn (an invoice too long for one) is left out.
pub(crate) fn attach_qr(result: &mut CallToolResult) {
    let block = result
        .structured_content
        .as_ref()
        .and_then(|content| content.get("lightning"))
        .and_then(|block| LightningBlock::deserialize(block).ok());
    let Some(block) = block.filter(|block| block.status == LightningStatus::Pending) else {
        return;
    };
    match qr_png(&block.lightning_uri) {
        Ok(png) => result
            .content
            .push(ContentBlock::image(encode_base64(&png), "image/png")),
        Err(error) => tracing::warn!("no QR image for the invoice: {error}"),
    }
}

/// Why no QR image could be drawn.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Code(qrcode::types::QrError),
    #[error("the PNG could not be written: {0}")]
    Png(#[from] png::EncodingError),
}

/// `text` as a QR code (error correction M, a one-module quiet zone), drawn as a
/// [`QR_WIDTH_PX`]-pixel square 8-bit grey PNG. Each pixel takes the colour of the module
/// it falls in, so modules are a pixel wider or narrower where the scale is not whole (as
/// LiveAuth's `qrcode` package draws it).
pub(crate) fn qr_png(text: &str) -> Result<Vec<u8>, QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(QrError::Code)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = modules + 2 * QR_MARGIN_MODULES;
    let px = QR_WIDTH_PX as usize;
    let module_at = |pixel: usize| (pixel * side / px).checked_sub(QR_MARGIN_MODULES);
    let mut pixels = Vec::with_capacity(px * px);
    for y in 0..px {
        for x in 0..px {
            let dark = match (module_at(x), module_at(y)) {
                (Some(mx), Some(my)) if mx < modules && my < modules => {
                    colors[my * modules + mx] == qrcode::Color::Dark
                }
                _ => false,
            };
            pixels.push(if dark { 0 } else { 255 });
        }
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, QR_WIDTH_PX, QR_WIDTH_PX);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(png)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test: a panic is a failed test
mod tests {
    use super::*;

    /// A syntactically valid invoice (the block does not decode it; lnurl does).
    const INVOICE: &str = "lnbcrt220n1p54twgqdz4f35hve2pw46xsgrnv4ehx6t0dcsxxv3s8qcn2dnx";
    const NOW: i64 = 1_900_000_000;

    fn block(status: Option<&str>, expires_at_unix: Option<i64>) -> LightningBlock {
        Payment {
            invoice: INVOICE,
            amount_sats: Some(22),
            expires_at_unix,
            status,
        }
        .block(NOW)
        .unwrap()
    }

    #[test]
    fn paid_words_in_any_case_are_paid_even_past_expiry() {
        for word in [
            "paid",
            "PAID",
            "confirmed",
            "Settled",
            "l402_paid",
            "L402_PAID",
        ] {
            assert_eq!(
                block(Some(word), Some(NOW + 60)).status,
                LightningStatus::Paid
            );
            assert_eq!(
                block(Some(word), Some(NOW - 60)).status,
                LightningStatus::Paid
            );
        }
    }

    #[test]
    fn expired_by_word_or_by_time() {
        assert_eq!(
            block(Some("EXPIRED"), Some(NOW + 60)).status,
            LightningStatus::Expired
        );
        assert_eq!(
            block(Some("expired"), None).status,
            LightningStatus::Expired
        );
        // Expiry at this very second counts as past (`expiresAtUnix×1000 ≤ now`).
        assert_eq!(block(None, Some(NOW)).status, LightningStatus::Expired);
        assert_eq!(
            block(Some("pending"), Some(NOW - 1)).status,
            LightningStatus::Expired
        );
    }

    #[test]
    fn anything_else_is_pending() {
        for status in [
            None,
            Some("pending"),
            Some("solved"),
            Some("paid_out"),
            Some(""),
        ] {
            assert_eq!(
                block(status, Some(NOW + 1)).status,
                LightningStatus::Pending
            );
        }
        assert_eq!(block(None, None).status, LightningStatus::Pending);
    }

    #[test]
    fn fields_as_liveauth_writes_them() {
        let block = Payment {
            invoice: &format!("  {INVOICE}\n"),
            amount_sats: None,
            expires_at_unix: Some(NOW),
            status: None,
        }
        .block(0)
        .unwrap();
        let json = serde_json::to_value(&block).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "invoice": INVOICE,
                "lightningUri": format!("lightning:{INVOICE}"),
                "expiresAt": "2030-03-17T17:46:40.000Z",
                "expiresAtUnix": NOW,
                "status": "pending",
            })
        );
    }

    #[test]
    fn invalid_invoices_fail_the_tool() {
        let upper = INVOICE.to_ascii_uppercase();
        assert!(
            Payment {
                invoice: &upper,
                ..payment()
            }
            .block(NOW)
            .is_ok()
        );
        for bad in [
            "",
            "ln",
            "bc1qxyz",
            "lnbc1<script>",
            "lnbc 1abc",
            "lnbc1abc\u{e9}",
            "lnbc1abc?amount=1",
            "lightning:lnbc1abc",
        ] {
            let error = Payment {
                invoice: bad,
                ..payment()
            }
            .block(NOW)
            .unwrap_err();
            assert!(matches!(error, ToolError::InvalidLightningInvoice), "{bad}");
            assert!(
                error
                    .to_string()
                    .starts_with("Invalid BOLT11 Lightning invoice")
            );
        }
    }

    fn payment() -> Payment<'static> {
        Payment {
            invoice: INVOICE,
            amount_sats: None,
            expires_at_unix: None,
            status: None,
        }
    }

    #[test]
    fn the_qr_image_decodes_to_the_uri() {
        let uri = format!("lightning:{INVOICE}");
        let png = qr_png(&uri).unwrap();
        let decoded = liveauth_testkit::qr::decode_png(&png).unwrap();
        assert_eq!(decoded.width, QR_WIDTH_PX);
        assert_eq!(decoded.text, uri);
    }

    #[test]
    fn only_a_pending_block_gets_an_image() {
        for (status, images) in [(None, 1), (Some("paid"), 0), (Some("expired"), 0)] {
            let lightning = block(status, Some(NOW + 60));
            let value = serde_json::json!({ "quoteId": "q", "lightning": lightning });
            let mut result = CallToolResult::structured(value);
            attach_qr(&mut result);
            let found = result.content.iter().filter(|c| c.as_image().is_some());
            assert_eq!(found.count(), images, "{status:?}");
        }
    }
}
