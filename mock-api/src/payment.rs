//! Lightning quotes and L402/x402 payment credentials.
//!
//! A Lightning quote carries a real BOLT11 invoice signed by the mock's node key; its
//! preimage stays here until the invoice is "paid" (dev settle, demo auto-settle). A
//! credential proves payment by the preimage: `sha256(preimage) == payment_hash`, and for
//! L402 also a macaroon minted here whose identifier names that payment hash.

use liveauth_protocol::auth::{Challenge, Credential, L402Scheme};
use liveauth_protocol::l402::{L402Identifier, preimage_matches};
use liveauth_protocol::macaroon::Macaroon;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::Invoice;

use crate::config::Project;
use crate::error::Rejection;
use crate::lightning::{InvoiceRequest, payment_hash};
use crate::profile::InvoiceFee;
use crate::state::{AppState, secs};
use crate::store::{LightningQuote, Quote, QuoteKind, QuoteOrigin};

const MACAROON_LOCATION: &[u8] = b"liveauth-mock";

/// A new Lightning quote for `project`, stored (unless its cap is reached) and returned.
pub(crate) fn new_lightning_quote(
    state: &AppState,
    project: &Project,
    origin: QuoteOrigin,
) -> Result<Quote, Rejection> {
    new_invoice_quote(state, project, project.price_sats, origin)
}

/// A new Lightning quote of `price_sats` (plus the profile's invoice fee) for `project`.
pub(crate) fn new_invoice_quote(
    state: &AppState,
    project: &Project,
    price_sats: u64,
    origin: QuoteOrigin,
) -> Result<Quote, Rejection> {
    let now = state.now();
    let id = state.rng.uuid();
    let fee = state.config.profile.invoice_fee(price_sats);
    let amount_sats = fee.map_or(price_sats, InvoiceFee::total_sats);
    let description = match origin {
        QuoteOrigin::CallerPayment => format!("LiveAuth caller credit {id}"),
        QuoteOrigin::Start | QuoteOrigin::Challenge => format!("LiveAuth session {id}"),
    };
    let Minted {
        bolt11,
        payment_hash,
        preimage,
        expires_at,
    } = mint_invoice(state, amount_sats, description)?;
    // The demo simulates paying for a session; a caller's credit is always paid for.
    let auto_settle_at = (project.demo && origin != QuoteOrigin::CallerPayment)
        .then(|| now.saturating_add(secs(state.config.demo_settle_after_secs)));
    let mut invoice = Invoice::new(
        bolt11,
        amount_sats,
        expires_at,
        state.config.payment_hash_encoding.encode(&payment_hash),
    );
    if let Some(fee) = fee {
        fee.describe(&mut invoice);
    }
    let kind = QuoteKind::Lightning(LightningQuote {
        invoice,
        payment_hash,
        preimage,
        paid_at: None,
        auto_settle_at,
        resource_calls: 0,
    });
    let quote = Quote::new(id, project, now, expires_at, kind, origin);
    state.store.insert_quote(quote.clone())?;
    Ok(quote)
}

/// A signed invoice and what only the mock knows of it.
pub(crate) struct Minted {
    pub bolt11: String,
    pub payment_hash: [u8; 32],
    pub preimage: [u8; 32],
    pub expires_at: i64,
}

/// A real BOLT11 invoice of `amount_sats` from the mock's node, valid for
/// `Config::invoice_ttl_secs`, with a fresh preimage.
pub(crate) fn mint_invoice(
    state: &AppState,
    amount_sats: u64,
    description: String,
) -> Result<Minted, Rejection> {
    let now = state.now();
    let preimage: [u8; 32] = state.rng.bytes();
    let payment_hash = payment_hash(&preimage);
    let ttl = state.config.invoice_ttl_secs;
    let request = InvoiceRequest {
        amount_sats,
        payment_hash,
        payment_secret: state.rng.bytes(),
        description,
        created_at_unix: u64::try_from(now).unwrap_or(0),
        expiry_secs: ttl,
    };
    let bolt11 = state.keys.node.create_invoice(&request).map_err(|error| {
        Rejection::new(
            ErrorCode::InternalError,
            format!("could not create an invoice: {error}"),
        )
    })?;
    Ok(Minted {
        bolt11,
        payment_hash,
        preimage,
        expires_at: now.saturating_add(secs(ttl)),
    })
}

/// The `WWW-Authenticate` values that ask for payment of `quote`'s invoice.
pub(crate) fn challenges(state: &AppState, quote: &LightningQuote) -> Vec<String> {
    let identifier = L402Identifier::new(quote.payment_hash, state.rng.bytes());
    let macaroon = Macaroon::new(
        &state.keys.macaroon_root,
        identifier.encode().to_vec(),
        Some(MACAROON_LOCATION),
    );
    let invoice = quote.invoice.bolt11.clone();
    vec![
        Challenge::L402 {
            scheme: L402Scheme::L402,
            macaroon,
            invoice: invoice.clone(),
        }
        .to_string(),
        Challenge::X402 {
            invoice,
            payment_hash: quote.payment_hash,
        }
        .to_string(),
    ]
}

/// A 402 answer with a fresh quote for `project` and its challenges.
pub(crate) fn payment_required(
    state: &AppState,
    project: &Project,
    code: ErrorCode,
    why: &str,
) -> Rejection {
    let quote = match new_lightning_quote(state, project, QuoteOrigin::Challenge) {
        Ok(quote) => quote,
        Err(error) => return error,
    };
    let QuoteKind::Lightning(ln) = &quote.kind else {
        return Rejection::new(
            ErrorCode::InternalError,
            "new Lightning quote has no invoice",
        );
    };
    Rejection::PaymentRequired {
        code,
        detail: format!(
            "{why}: pay the invoice in WWW-Authenticate (quote {}), then retry with \
             `Authorization: L402 <macaroon>:<preimage>` or `Authorization: x402 <preimage>`",
            quote.id
        ),
        challenges: challenges(state, ln),
    }
}

/// Checks an L402/x402 credential and returns the paid quote it proves, marking it paid.
/// Anything else (a bearer token, a wrong preimage, a foreign macaroon) is `None`.
pub(crate) fn redeem(state: &AppState, credential: &Credential) -> Option<Quote> {
    let (hash, preimage) = match credential {
        Credential::L402 {
            macaroon, preimage, ..
        } => {
            // Caveats we did not mint are not understood, so they are not satisfied.
            macaroon.verify(&state.keys.macaroon_root, |_| false).ok()?;
            let identifier = L402Identifier::from_macaroon(macaroon).ok()?;
            (*identifier.payment_hash(), preimage)
        }
        Credential::X402 { preimage } => (payment_hash(preimage), preimage),
        Credential::Bearer(_) => return None,
    };
    if !preimage_matches(preimage, &hash) {
        return None;
    }
    let quote_id = state.store.quote_id_for_payment(&hash)?;
    // A caller-funding payment credits a balance; it is no credential.
    if state.store.quote(&quote_id)?.origin == QuoteOrigin::CallerPayment {
        return None;
    }
    let now = state.now();
    state.store.update_quote(&quote_id, &mut |quote| {
        if let QuoteKind::Lightning(ln) = &mut quote.kind {
            ln.paid_at.get_or_insert(now);
        }
    });
    state.store.quote(&quote_id)
}

/// As [`redeem`], for one call of the demo resource: a payment opens
/// `Config::calls_per_payment` calls (counted atomically on its quote), then its
/// credential is `None` like an unpaid one, so the client pays again.
pub(crate) fn redeem_call(state: &AppState, credential: &Credential) -> Option<Quote> {
    let quote = redeem(state, credential)?;
    let allowance = state.config.calls_per_payment;
    let mut opened = false;
    state.store.update_quote(&quote.id, &mut |quote| {
        if let QuoteKind::Lightning(ln) = &mut quote.kind
            && ln.resource_calls < allowance
        {
            ln.resource_calls += 1;
            opened = true;
        }
    });
    opened.then_some(quote)
}
