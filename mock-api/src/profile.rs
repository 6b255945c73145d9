//! The mock's two behaviours, and the one place that names how they differ.
//!
//! [`Profile::Hosted`] (the default) behaves like the hosted LiveAuth API wherever a
//! client can observe it (DESIGN §2/§3, `docs/decisions.md`), so code built against the
//! mock works against production. [`Profile::Strict`] keeps the reference's stronger
//! promises. Handlers share one implementation and ask the profile only at the few points
//! where the two differ; each such point is a method here.

use liveauth_protocol::challenge::{
    ChallengeSigner, HostedChallengeSigner, SignatureError, SignedFields,
};
use liveauth_protocol::codec::{HexCase, encode_base64url, encode_hex};
use liveauth_protocol::wire::{ChargeResponse, ChargeStatus, Invoice, InvoiceFees, PowChallenge};

use crate::hosted_token::{AccessTokens, HostedTokenIssuer};
use crate::rng::Rng;
use crate::token::TokenIssuer;
use liveauth_protocol::pow::TargetRule;
use liveauth_protocol::time::{rfc3339_utc, zoneless_utc};

liveauth_protocol::text_enum! {
    /// Which API the mock behaves like (`--profile hosted|strict`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub enum Profile as "profile" {
        /// The hosted API as it is (facts §2, §9).
        #[default]
        Hosted = "hosted",
        /// The reference's stronger promises (problem+json, EdDSA, rotation, `<` target, …).
        Strict = "strict",
    }
}

/// The hosted platform fee on charges, in basis points (facts §2.5).
pub(crate) const PLATFORM_FEE_BP: u64 = 500;

/// The hosted platform fee on a charge of `cost`: `max(1, floor(cost × bp / 10000))`.
pub(crate) fn platform_fee(cost: u64) -> u64 {
    (cost.saturating_mul(PLATFORM_FEE_BP) / 10_000).max(1)
}
/// The hosted invoice fee, in basis points, and its minimum (facts §2.3).
const INVOICE_FEE_BP: u64 = 200;
const INVOICE_FEE_MIN_SATS: u64 = 1;
/// The id of the mock's one tool, the hosted system tool `anonymous-agent-call`.
pub(crate) const ANONYMOUS_TOOL_ID: &str = "5a0c1f3e-7d2b-4e8a-9c61-0b4d2e6f8a17";
pub(crate) const ANONYMOUS_TOOL_NAME: &str = "Anonymous Agent Call";
pub(crate) const ANONYMOUS_TOOL_SLUG: &str = "anonymous-agent-call";

/// The hosted invoice fee on a base price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceFee {
    pub base_sats: u64,
    pub fee_sats: u64,
}

impl InvoiceFee {
    /// `max(1, floor(base × 200 / 10000))` on `base`.
    pub fn on(base_sats: u64) -> Self {
        let fee_sats =
            (base_sats.saturating_mul(INVOICE_FEE_BP) / 10_000).max(INVOICE_FEE_MIN_SATS);
        Self {
            base_sats,
            fee_sats,
        }
    }

    /// What the payer pays: the BOLT11 amount and `amountSats`.
    pub fn total_sats(self) -> u64 {
        self.base_sats.saturating_add(self.fee_sats)
    }

    /// Writes the hosted fee fields into `invoice` (whose `amountSats` is the total).
    pub fn describe(self, invoice: &mut Invoice) {
        invoice.fees = InvoiceFees {
            base_amount_sats: Some(self.base_sats),
            invoice_fee_basis_points: Some(INVOICE_FEE_BP),
            invoice_fee_minimum_sats: Some(INVOICE_FEE_MIN_SATS),
            invoice_fee_sats: Some(self.fee_sats),
            total_charged_sats: Some(self.total_sats()),
        };
        invoice.credit_amount_sats = Some(self.base_sats);
    }
}

/// Where a charge's idempotency key is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdempotencySource {
    /// The body field `idempotencyKey` only; an `Idempotency-Key` header is ignored, as
    /// the hosted API ignores it.
    Body,
    /// The header or the body field; both given and different is a 400.
    HeaderOrBody,
}

/// How a charge repeated with a used idempotency key is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The first answer byte for byte; the same key with another cost is 422
    /// `idempotency_conflict`.
    Exact,
    /// The hosted API's (facts §9.8): the key alone names the charge, so any repeat is
    /// 200 `ok` with the original amounts and the session's current `callsUsed` and
    /// `satsUsed`.
    CurrentCounters,
}

impl Profile {
    /// Which PoW hashes confirm accepts: the hosted verifier takes `hash == target`.
    pub fn target_rule(self) -> TargetRule {
        match self {
            Self::Hosted => TargetRule::AtMost,
            Self::Strict => TargetRule::Below,
        }
    }

    /// How `hashHex` is read: the hosted API compares it case-insensitively.
    pub fn hash_case(self) -> HexCase {
        match self {
            Self::Hosted => HexCase::Any,
            Self::Strict => HexCase::Lower,
        }
    }

    /// Whether confirm, status and lnurl find their project from `X-LW-Public` alone
    /// (hosted: no key is the anonymous demo project), rather than from the quote.
    pub fn resolves_quotes_by_key(self) -> bool {
        matches!(self, Self::Hosted)
    }

    /// `expiresIn` and `remainingBudgetSats` of a confirm whose invoice is unpaid: hosted
    /// `0` (facts §2.4), strict `null`.
    pub fn pending_confirm_amounts(self) -> Option<u64> {
        match self {
            Self::Hosted => Some(0),
            Self::Strict => None,
        }
    }

    /// Whether a quote's status also says `paid` and `expired` (strict), or only
    /// `pending` until it is `confirmed`, with `paymentStatus` `paid` or `pending` (hosted,
    /// facts §2.6).
    pub fn reports_paid_and_expired(self) -> bool {
        matches!(self, Self::Strict)
    }

    /// Whether refresh rotates the refresh token (strict, with reuse detection) or keeps
    /// it for the session (hosted: the answer has no `refreshToken`).
    pub fn rotates_refresh_tokens(self) -> bool {
        matches!(self, Self::Strict)
    }

    /// Whether a new access token retires the session's previous ones (hosted: the
    /// gate-token row holds one `jti`, so a refresh makes the old JWT "Unknown token").
    pub fn retires_previous_tokens(self) -> bool {
        matches!(self, Self::Hosted)
    }

    /// A new refresh token: hosted 32 hex (a GUID "N"), strict `la_rt_` + 256 random
    /// bits base64url.
    pub fn new_refresh_token(self, rng: &Rng) -> String {
        match self {
            Self::Hosted => encode_hex(&rng.bytes::<16>()),
            Self::Strict => format!("la_rt_{}", encode_base64url(&rng.bytes::<32>())),
        }
    }

    /// A new token id: hosted 32 hex (a GUID "N"), strict a hyphenated UUID.
    pub fn new_token_id(self, rng: &Rng) -> String {
        match self {
            Self::Hosted => encode_hex(&rng.bytes::<16>()),
            Self::Strict => rng.uuid(),
        }
    }

    /// The access tokens of the profile, keyed by the seed-derived `secret`: hosted HS256
    /// with the hosted claims, or strict's EdDSA issuer (`strict`) with its JWKS.
    pub fn access_tokens(self, secret: [u8; 32], strict: &TokenIssuer) -> AccessTokens {
        match self {
            Self::Hosted => AccessTokens::Hs256(HostedTokenIssuer::new(secret)),
            Self::Strict => AccessTokens::EdDsa(strict.clone()),
        }
    }

    /// Whether `/.well-known/jwks.json` is served (hosted has no JWKS: 404).
    pub fn publishes_jwks(self) -> bool {
        matches!(self, Self::Strict)
    }

    /// The session id of a confirmed quote: hosted keys its gate session by the quote
    /// (the token's `mcpQuoteId`), strict draws a fresh id.
    pub fn session_id(self, quote_id: &str, rng: &Rng) -> String {
        match self {
            Self::Hosted => quote_id.to_owned(),
            Self::Strict => rng.uuid(),
        }
    }

    /// Whether the demo start paths answer the hosted legacy shape
    /// (`LegacyDemoStartResponse`, at `/api/public/auth/demo/start` and
    /// `/api/public/demo/start`); strict keeps `/api/public/demo/start` in the
    /// `/api/mcp/start` shape.
    pub fn legacy_demo_start(self) -> bool {
        matches!(self, Self::Hosted)
    }

    /// Whether `maxCallsPerMinute` is enforced: the hosted API reports it in usage but
    /// never denies `rate_limited`.
    pub fn limits_calls_per_minute(self) -> bool {
        matches!(self, Self::Strict)
    }

    /// The hosted invoice fee on a `base` price: 200 bp, at least 1 sat (facts §2.3).
    /// `None` in strict, whose invoices are the bare price.
    pub fn invoice_fee(self, base: u64) -> Option<InvoiceFee> {
        match self {
            Self::Hosted => Some(InvoiceFee::on(base)),
            Self::Strict => None,
        }
    }

    /// Adds the hosted charge answer's fields (facts §2.5) to an accepted charge of
    /// `cost`; strict answers only the counters.
    pub fn describe_charge(self, response: &mut ChargeResponse, cost: u64, rng: &Rng) {
        if self == Self::Strict || response.status != ChargeStatus::Ok {
            return;
        }
        let fee = platform_fee(cost);
        response.gross_sats = Some(cost);
        response.platform_fee_sats = Some(fee);
        response.net_sats = Some(cost.saturating_sub(fee));
        response.fee_basis_points = Some(PLATFORM_FEE_BP);
        response.revenue_event_id = Some(rng.uuid());
        response.tool_id = Some(ANONYMOUS_TOOL_ID.to_owned());
        response.tool_name = Some(ANONYMOUS_TOOL_NAME.to_owned());
        response.tool_slug = Some(ANONYMOUS_TOOL_SLUG.to_owned());
    }

    /// Where a charge's idempotency key comes from.
    pub fn idempotency_source(self) -> IdempotencySource {
        match self {
            Self::Hosted => IdempotencySource::Body,
            Self::Strict => IdempotencySource::HeaderOrBody,
        }
    }

    /// The cost of a charge without `callCostSats`: the hosted anonymous tool's default
    /// price (1 sat); strict still requires the field.
    pub fn default_call_cost(self) -> Option<u64> {
        match self {
            Self::Hosted => Some(1),
            Self::Strict => None,
        }
    }

    /// Whether a quote id that is not a GUID is refused as such before any lookup (hosted:
    /// 400 `Invalid quoteId`); strict answers it as an unknown quote.
    pub fn refuses_non_guid_quote_ids(self) -> bool {
        matches!(self, Self::Hosted)
    }

    /// The smallest `callCostSats` accepted: the hosted body validation refuses 0.
    pub fn min_call_cost(self) -> u64 {
        match self {
            Self::Hosted => 1,
            Self::Strict => 0,
        }
    }

    /// How a charge repeated with a used idempotency key is answered.
    pub fn replay(self) -> Replay {
        match self {
            Self::Hosted => Replay::CurrentCounters,
            Self::Strict => Replay::Exact,
        }
    }

    /// A new random `challengeHex`: the hosted API draws 16 bytes (32 hex digits), strict
    /// 32 (64 hex digits).
    pub fn new_challenge_hex(self, rng: &Rng) -> String {
        match self {
            Self::Hosted => encode_hex(&rng.bytes::<16>()),
            Self::Strict => encode_hex(&rng.bytes::<32>()),
        }
    }

    /// The challenge signer under `secret`: the hosted hex HMAC over
    /// `projectId:challengeHex:bits:expiry`, or strict's length-prefixed MAC that also
    /// binds the quote, the key and the target.
    pub fn challenge_signer(self, secret: [u8; 32]) -> ChallengeSigning {
        match self {
            Self::Hosted => ChallengeSigning::Hosted(HostedChallengeSigner::new(&secret)),
            Self::Strict => ChallengeSigning::Strict(ChallengeSigner::new(&secret)),
        }
    }

    /// How a time read back from the "database" is written: the hosted API writes its
    /// SQLite `DateTime`s without a zone (they are UTC).
    pub fn stored_time(self, unix_secs: i64) -> String {
        match self {
            Self::Hosted => zoneless_utc(unix_secs),
            Self::Strict => rfc3339_utc(unix_secs),
        }
    }
}

/// The challenge signature of a profile ([`Profile::challenge_signer`]).
#[derive(Debug)]
pub enum ChallengeSigning {
    Hosted(HostedChallengeSigner),
    Strict(ChallengeSigner),
}

impl ChallengeSigning {
    /// The `signature` of `challenge`, issued for `quote_id`.
    pub fn sign(&self, quote_id: &str, challenge: &PowChallenge) -> String {
        match self {
            Self::Hosted(signer) => signer.sign(
                &challenge.project_id,
                &challenge.challenge_hex,
                challenge.difficulty_bits,
                challenge.expires_at_unix,
            ),
            Self::Strict(signer) => signer.sign(&SignedFields::new(quote_id, challenge)),
        }
    }

    /// Checks a presented `sig` against the stored challenge.
    pub fn verify(
        &self,
        quote_id: &str,
        challenge: &PowChallenge,
        sig: &str,
    ) -> Result<(), SignatureError> {
        match self {
            Self::Hosted(signer) => signer.verify(
                &challenge.project_id,
                &challenge.challenge_hex,
                challenge.difficulty_bits,
                challenge.expires_at_unix,
                sig,
            ),
            Self::Strict(signer) => signer.verify(&SignedFields::new(quote_id, challenge), sig),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for profile in [Profile::Hosted, Profile::Strict] {
            assert_eq!(profile.as_str().parse(), Ok(profile));
        }
        assert!("Hosted".parse::<Profile>().is_err());
        assert_eq!(Profile::default(), Profile::Hosted);
    }
}
