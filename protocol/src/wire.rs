//! Serde types for every request and response body of the LiveAuth HTTP API (v1).
//!
//! Field names are camelCase on the wire, as in the seed README. Unknown
//! fields are ignored on input, and the status enums keep unknown values
//! (`Other`), so a newer API stays readable. Which fields are always written
//! (as `null` when empty) and which are left out follows the seed's examples
//! exactly, so each example round-trips byte-for-value.
//!
//! Errors are not here: see [`crate::problem`].

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::pow::{MAX_NONCE, parse_nonce};

/// The nonce rule, quoted in every rejection so a client can fix its input.
const NONCE_RULE: &str = "nonce must be a canonical decimal integer in 0..=9007199254740991 \
     (no sign, no leading zeros, no fraction or exponent)";

/// Body of `POST /api/mcp/start` and `POST /api/public/demo/start`.
///
/// An empty body `{}` is valid and asks for a PoW challenge.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StartRequest {
    /// `true` asks for a Lightning invoice instead of a PoW challenge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_lightning: Option<bool>,
}

/// Result of `POST /api/mcp/start` and `POST /api/public/demo/start`.
///
/// Exactly one of `powChallenge` and `invoice` is set; the other is written
/// as `null`, as in the seed.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    /// Identifies the quote in confirm, status and lnurl.
    pub quote_id: String,
    /// The signed challenge of a PoW quote.
    pub pow_challenge: Option<PowChallenge>,
    /// The invoice of a Lightning quote.
    pub invoice: Option<Invoice>,
}

/// The signed PoW challenge inside a [`StartResponse`] (`POST /api/mcp/start`).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PowChallenge {
    /// The project the quote belongs to.
    pub project_id: String,
    /// `la_pk_…`; the first part of the hashed message.
    pub project_public_key: String,
    /// Random challenge, lowercase hex.
    pub challenge_hex: String,
    /// 32-byte big-endian target, 64 lowercase hex chars; a valid hash is below it.
    pub target_hex: String,
    /// The target is `(2^256 - 1) >> difficultyBits`.
    pub difficulty_bits: u32,
    /// After this unix time the challenge is refused.
    pub expires_at_unix: i64,
    /// Server MAC over the challenge, sent back at confirm as `sig`.
    pub signature: String,
}

/// The Lightning invoice inside a [`StartResponse`] (`POST /api/mcp/start`).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// BOLT11 payment request.
    pub bolt11: String,
    /// Amount to pay.
    pub amount_sats: u64,
    /// After this unix time the invoice cannot be paid.
    pub expires_at_unix: i64,
    /// SHA-256 of the preimage, lowercase hex.
    pub payment_hash: String,
}

/// Body of `POST /api/mcp/confirm`.
///
/// A Lightning quote needs only `quoteId`; a PoW quote needs the rest too.
/// The challenge signature is written as `sig` (what the hosted API
/// expects) and read from `sig` or `signature`; a body with both is refused
/// as a duplicate field.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmRequest {
    /// From [`StartResponse::quote_id`].
    pub quote_id: String,
    /// From [`PowChallenge::challenge_hex`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_hex: Option<String>,
    /// The solving nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// SHA-256 of `projectPublicKey:challengeHex:nonce`, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_hex: Option<String>,
    /// From [`PowChallenge::expires_at_unix`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_unix: Option<i64>,
    /// From [`PowChallenge::difficulty_bits`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty_bits: Option<u32>,
    /// From [`PowChallenge::signature`].
    #[serde(
        default,
        rename = "sig",
        alias = "signature",
        skip_serializing_if = "Option::is_none"
    )]
    pub sig: Option<String>,
}

/// A PoW nonce (`POST /api/mcp/confirm`): canonical decimal, 0..=2^53-1.
///
/// Written as a JSON number. Read from a JSON integer or a string, each only
/// if canonical; floats (`5.0`, `1e3`), signs, leading zeros, whitespace and
/// values above 2^53-1 are refused, so every client hashes the same message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce(pub u64);

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Nonce {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Nonce".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": NONCE_RULE,
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_NONCE},
                {"type": "string", "pattern": "^(0|[1-9][0-9]{0,15})$"}
            ]
        })
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Nonce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The field is public, so refuse to put a non-canonical value on the wire.
        if self.0 > MAX_NONCE {
            return Err(serde::ser::Error::custom(NONCE_RULE));
        }
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Nonce {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NonceVisitor)
    }
}

struct NonceVisitor;

impl Visitor<'_> for NonceVisitor {
    type Value = Nonce;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NONCE_RULE)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nonce, E> {
        if v > MAX_NONCE {
            return Err(E::custom(format_args!(
                "nonce {v} is too large: {NONCE_RULE}"
            )));
        }
        Ok(Nonce(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nonce, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format_args!(
                "nonce {v} is negative: {NONCE_RULE}"
            ))),
        }
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Nonce, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format_args!(
                "nonce {v} is too large: {NONCE_RULE}"
            ))),
        }
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Nonce, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format_args!(
                "nonce {v} is out of range: {NONCE_RULE}"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nonce, E> {
        Err(E::custom(format_args!(
            "nonce {v} is not an integer literal: {NONCE_RULE}"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Nonce, E> {
        parse_nonce(v)
            .map(Nonce)
            .map_err(|why| E::custom(format_args!("{why} (got {v:?}): {NONCE_RULE}")))
    }
}

/// Result of `POST /api/mcp/confirm`.
///
/// `jwt`, `expiresIn`, `remainingBudgetSats` and `refreshToken` are always
/// written (`null` while a Lightning quote is unpaid). `paymentStatus` has
/// three states, each kept exactly: absent (the seed's example), `null` (PoW
/// quotes) or a value (Lightning quotes).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmResponse {
    /// EdDSA access token; `null` until paid.
    pub jwt: Option<String>,
    /// Lifetime of `jwt` in seconds.
    pub expires_in: Option<u64>,
    /// Sats left in today's budget.
    pub remaining_budget_sats: Option<u64>,
    /// Opaque token for `POST /api/mcp/refresh`.
    pub refresh_token: Option<String>,
    /// `None`: key absent; `Some(None)`: `null`; `Some(Some(s))`: a status.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    #[cfg_attr(feature = "schemars", schemars(with = "Option<PaymentStatus>"))]
    pub payment_status: Option<Option<PaymentStatus>>,
}

/// Keeps "key absent" (outer `None`) apart from "key is `null`" (`Some(None)`).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    // Only called when the key is present (absent keys take `default`).
    pub(super) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Body of `POST /api/mcp/charge`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeRequest {
    /// Cost of the call just made.
    pub call_cost_sats: u64,
}

/// Result of `POST /api/mcp/charge`; a deny is a 200 with `status: "deny"`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeResponse {
    /// Whether the charge was booked.
    pub status: ChargeStatus,
    /// Calls booked today.
    pub calls_used: u64,
    /// Sats booked today.
    pub sats_used: u64,
    /// Why a deny happened; absent on `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<DenyReason>,
    /// When a rate-limited charge may be retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
}

/// `status` of a [`ChargeResponse`]. Strict: a client must never mistake an
/// unknown value for `ok`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChargeStatus {
    /// Booked.
    Ok,
    /// Not booked; nothing was spent.
    Deny,
}

/// `reason` of a denied [`ChargeResponse`]; unknown reasons are kept in `Other`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The charge would exceed `maxSatsPerDay`.
    BudgetExceeded,
    /// The charge would exceed `maxCallsPerMinute`.
    RateLimited,
    /// A reason this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// Result of `GET /api/mcp/status/{quoteId}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// The quote asked about.
    pub quote_id: String,
    /// Lifecycle state of the quote.
    pub status: QuoteStatus,
    /// State of the invoice; `null` for PoW quotes.
    pub payment_status: Option<PaymentStatus>,
    /// Quote expiry, RFC 3339 UTC (see [`crate::time::rfc3339_utc`]).
    pub expires_at: String,
}

/// Lifecycle of a quote (`GET /api/mcp/status/{quoteId}`); unknown values kept in `Other`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuoteStatus {
    /// Waiting for a solution or payment.
    Pending,
    /// Paid, not yet exchanged for a token.
    Paid,
    /// Exchanged for a token.
    Confirmed,
    /// Expired unconfirmed.
    Expired,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// State of a Lightning invoice (status and confirm); unknown values kept in `Other`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    /// Not paid yet.
    Pending,
    /// Paid.
    Paid,
    /// Expired unpaid.
    Expired,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// Success body of `GET /api/mcp/lnurl/{quoteId}` (LUD-06).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LnurlResponse {
    /// BOLT11 payment request.
    pub pr: String,
    /// Always empty (LUD-06 keeps the field for compatibility).
    #[serde(default)]
    pub routes: Vec<serde_json::Value>,
}

/// Error body of `GET /api/mcp/lnurl/{quoteId}` (LUD-06): `{status: "ERROR", reason}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LnurlError {
    /// Always `"ERROR"`.
    pub status: LnurlErrorStatus,
    /// Why no invoice is available.
    pub reason: String,
}

impl LnurlError {
    /// An LUD-06 error with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            status: LnurlErrorStatus::Error,
            reason: reason.into(),
        }
    }
}

/// The `status` of an [`LnurlError`]: only `"ERROR"` exists.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LnurlErrorStatus {
    /// `"ERROR"`.
    #[serde(rename = "ERROR")]
    Error,
}

/// Result of `GET /api/mcp/usage`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageResponse {
    /// Session state.
    pub status: UsageStatus,
    /// Calls booked in the current UTC day.
    pub calls_used: u64,
    /// Sats booked in the current UTC day.
    pub sats_used: u64,
    /// Daily sats budget of the session.
    pub max_sats_per_day: u64,
    /// `maxSatsPerDay - satsUsed`.
    pub remaining_budget_sats: u64,
    /// Rate limit of the session.
    pub max_calls_per_minute: u64,
    /// Access token expiry, RFC 3339 UTC.
    pub expires_at: String,
    /// Start of the current budget day, RFC 3339 UTC (`…T00:00:00Z`).
    pub day_window_start: String,
}

/// Session state in a [`UsageResponse`]; unknown values kept in `Other`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UsageStatus {
    /// Charges are possible.
    Active,
    /// The session has expired.
    Expired,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// Body of `POST /api/mcp/refresh`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// The latest refresh token; each is valid once.
    pub refresh_token: String,
}

/// Result of `POST /api/mcp/refresh`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshResponse {
    /// New access token.
    pub jwt: String,
    /// Lifetime of `jwt` in seconds.
    pub expires_in: u64,
    /// Sats left in today's budget.
    pub remaining_budget_sats: u64,
    /// The rotated refresh token; absent from APIs that do not rotate (the seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Result of `POST /api/dev/settle/{paymentHash}` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    /// The invoice marked paid, lowercase hex.
    pub payment_hash: String,
    /// Its preimage, lowercase hex; usable in an L402/x402 credential.
    pub preimage: String,
}

/// Body of `POST /api/dev/clock/advance` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockAdvanceRequest {
    /// How far to move the manual clock forward.
    pub seconds: u64,
}

/// Result of `POST /api/dev/clock/advance` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockAdvanceResponse {
    /// The clock's time after the move.
    pub now_unix: i64,
}

/// Result of `GET /healthz`: `{"status": "ok"}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    /// `"ok"` when live.
    pub status: String,
}

impl Default for HealthResponse {
    fn default() -> Self {
        Self {
            status: "ok".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_nonce_does_not_serialize() {
        assert!(serde_json::to_string(&Nonce(MAX_NONCE + 1)).is_err());
        assert_eq!(
            serde_json::to_string(&Nonce(MAX_NONCE)).unwrap(),
            "9007199254740991"
        );
    }

    #[test]
    fn unknown_status_values_round_trip() {
        let s: QuoteStatus = serde_json::from_str(r#""refunded""#).unwrap();
        assert_eq!(s, QuoteStatus::Other("refunded".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""refunded""#);
        assert!(serde_json::from_str::<ChargeStatus>(r#""maybe""#).is_err());
    }
}
