//! Serde types for every request and response body of the LiveAuth HTTP API (v1).
//!
//! Field names are camelCase on the wire, as in the seed README. Unknown
//! fields are ignored on input, and the status enums keep unknown values
//! (`Other`), so a newer API stays readable. Which fields are always written
//! (as `null` when empty) and which are left out follows the seed's examples
//! exactly, so each example round-trips byte-for-value.
//!
//! The one header of the API's own, [`PROJECT_KEY_HEADER`], is here too. Errors are not:
//! see [`crate::problem`].

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codec;
use crate::pow::{Hash, MAX_NONCE, parse_nonce};

/// The header that carries a project's public key (`la_pk_…`).
///
/// Header names are case-insensitive (RFC 9110 §5.1); this is the spelling of the seed
/// and of the OpenAPI document. `http`'s `HeaderMap::get` and `reqwest`'s `header` take
/// it as is; `HeaderName::from_static` would need it lowercased.
pub const PROJECT_KEY_HEADER: &str = "X-LW-Public";

/// The nonce rule, quoted in every rejection so a client can fix its input.
const NONCE_RULE: &str = "nonce must be a canonical decimal integer in 0..=9007199254740991 \
     (no sign, no leading zeros, no fraction or exponent)";

/// Body of `POST /api/mcp/start` (and of the strict mock's `POST /api/public/demo/start`).
///
/// An empty body `{}` is valid and asks for a PoW challenge.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct StartRequest {
    /// `true` asks for a Lightning invoice instead of a PoW challenge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_lightning: Option<bool>,
    /// `true` asks for a quote to confirm with an L402 bundle macaroon (answered
    /// `authHint: "l402_bundle"`, no challenge, no invoice); checked before
    /// `forceLightning`, as the hosted API does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_l402: Option<bool>,
}

/// Result of `POST /api/mcp/start` (and of the strict mock's `POST /api/public/demo/start`;
/// the hosted legacy demo answers [`LegacyDemoStartResponse`]).
///
/// Exactly one of `powChallenge` and `invoice` is set; the other is written
/// as `null`, as in the seed. `authHint` is always written too (`null` unless the
/// API names another method, e.g. hosted `"l402_bundle"`), as the hosted API does; a
/// body without it (the seed's examples) reads as `null`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StartResponse {
    /// Identifies the quote in confirm, status and lnurl.
    pub quote_id: String,
    /// The signed challenge of a PoW quote.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub pow_challenge: Option<PowChallenge>,
    /// The invoice of a Lightning quote.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub invoice: Option<Invoice>,
    /// How the quote is meant to be redeemed when it is neither PoW nor Lightning
    /// (hosted: `"l402_bundle"` for `forceL402`); `null` otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub auth_hint: Option<String>,
}

/// The signed PoW challenge inside a [`StartResponse`] (`POST /api/mcp/start`).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PowChallenge {
    /// The project the quote belongs to.
    pub project_id: String,
    /// `la_pk_…`; the first part of the hashed message.
    pub project_public_key: String,
    /// Random challenge, lowercase hex.
    pub challenge_hex: String,
    /// 32-byte big-endian target, 64 lowercase hex chars; a valid hash is below it.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub target_hex: String,
    /// The target is `(2^256 - 1) >> difficultyBits`.
    pub difficulty_bits: u32,
    /// After this unix time the challenge is refused.
    pub expires_at_unix: i64,
    /// Server MAC over the challenge, sent back at confirm as `sig`.
    pub signature: String,
}

/// The Lightning invoice inside a [`StartResponse`] (`POST /api/mcp/start`).
///
/// The fee fields are the hosted API's (facts §2.3): `amountSats` is what the payer
/// pays, `baseAmountSats`/`creditAmountSats` what the session is credited, and
/// `amountSats = base + invoiceFeeSats`. They are left out when absent (the seed).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Invoice {
    /// BOLT11 payment request.
    pub bolt11: String,
    /// Amount to pay, fee included; the BOLT11 amount.
    pub amount_sats: u64,
    /// After this unix time the invoice cannot be paid.
    pub expires_at_unix: i64,
    /// SHA-256 of the preimage: 64 lowercase hex, or (an older hosted backend) LND's
    /// standard-base64 `r_hash`. Compare as 32 decoded bytes
    /// ([`crate::codec::decode_hash32_any`]).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^([0-9a-f]{64}|[A-Za-z0-9+/]{43}=)$")
    )]
    pub payment_hash: String,
    /// The hosted fee fields, when sent.
    #[serde(flatten)]
    pub fees: InvoiceFees,
    /// Sats the session is credited once paid (the base amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_amount_sats: Option<u64>,
}

/// The hosted API's invoice fee fields (facts §2.3), sent with an [`Invoice`] and a
/// [`LegacyDemoStartResponse`]; each is left out when absent (the seed).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvoiceFees {
    /// Price before the invoice fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_amount_sats: Option<u64>,
    /// Invoice fee rate in basis points of the base amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_fee_basis_points: Option<u64>,
    /// Smallest invoice fee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_fee_minimum_sats: Option<u64>,
    /// `max(minimum, floor(base × bp / 10000))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_fee_sats: Option<u64>,
    /// Equal to `amountSats`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_charged_sats: Option<u64>,
}

impl Invoice {
    /// An invoice without the hosted fee fields (the seed's shape).
    pub fn new(
        bolt11: String,
        amount_sats: u64,
        expires_at_unix: i64,
        payment_hash: String,
    ) -> Self {
        Self {
            bolt11,
            amount_sats,
            expires_at_unix,
            payment_hash,
            fees: InvoiceFees::default(),
            credit_amount_sats: None,
        }
    }
}

/// Result of the hosted legacy demo start (`POST /api/public/auth/demo/start`, older
/// `/api/public/demo/start`; facts §1.5): a simulated session whose `invoice` is a bare
/// BOLT11 string, not the [`Invoice`] object of `/api/mcp/start`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LegacyDemoStartResponse {
    /// Identifies the demo session (the quote id of later calls).
    pub session_id: String,
    /// BOLT11 payment request.
    pub invoice: String,
    /// Amount to pay, fee included.
    pub amount_sats: u64,
    /// The hosted fee fields, when sent.
    #[serde(flatten)]
    pub fees: InvoiceFees,
    /// After this unix time the invoice cannot be paid.
    pub expires_at_unix: i64,
    /// `"DEMO"` (the hosted API also knows `"TEST"` and `"LIVE"`).
    pub mode: String,
}

/// Body of `POST /api/mcp/confirm`.
///
/// A Lightning quote needs only `quoteId`; a PoW quote needs the rest too.
/// The challenge signature is written as `sig` (what the hosted API
/// expects) and read from `sig` or `signature`; a body with both is refused
/// as a duplicate field.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// From [`PowChallenge::signature`]; also read under the name `signature`.
    #[serde(
        default,
        rename = "sig",
        alias = "signature",
        skip_serializing_if = "Option::is_none"
    )]
    pub sig: Option<String>,
    /// An L402 bundle macaroon ([`crate::bundle`]), for a `forceL402` quote: confirming
    /// consumes one of its bundle's calls. A secret: `Debug` does not show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macaroon: Option<String>,
}

impl fmt::Debug for ConfirmRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmRequest")
            .field("quote_id", &self.quote_id)
            .field("challenge_hex", &self.challenge_hex)
            .field("nonce", &self.nonce)
            .field("hash_hex", &self.hash_hex)
            .field("expires_at_unix", &self.expires_at_unix)
            .field("difficulty_bits", &self.difficulty_bits)
            .field("sig", &self.sig)
            .field("macaroon", &self.macaroon.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ConfirmRequest {
    /// The complete body that redeems `quote_id` with a solution of `challenge`: `nonce`
    /// and its hash, every signed field echoed back.
    pub fn solved(quote_id: String, challenge: &PowChallenge, nonce: u64, hash: &Hash) -> Self {
        Self {
            quote_id,
            challenge_hex: Some(challenge.challenge_hex.clone()),
            nonce: Some(Nonce(nonce)),
            hash_hex: Some(codec::encode_hex(hash)),
            expires_at_unix: Some(challenge.expires_at_unix),
            difficulty_bits: Some(challenge.difficulty_bits),
            sig: Some(challenge.signature.clone()),
            macaroon: None,
        }
    }
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
        integer_nonce(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nonce, E> {
        integer_nonce(v)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Nonce, E> {
        integer_nonce(v)
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Nonce, E> {
        integer_nonce(v)
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

/// A JSON integer as a nonce: in 0..=2^53-1, or an error that says which side it is off.
fn integer_nonce<T, E>(v: T) -> Result<Nonce, E>
where
    T: TryInto<u64> + PartialOrd + Default + fmt::Display + Copy,
    E: de::Error,
{
    match v.try_into() {
        Ok(n) if n <= MAX_NONCE => Ok(Nonce(n)),
        _ if v < T::default() => Err(E::custom(format_args!(
            "nonce {v} is negative: {NONCE_RULE}"
        ))),
        _ => Err(E::custom(format_args!(
            "nonce {v} is too large: {NONCE_RULE}"
        ))),
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfirmResponse {
    /// EdDSA access token; `null` until paid.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub jwt: Option<String>,
    /// Lifetime of `jwt` in seconds.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub expires_in: Option<u64>,
    /// Sats left in today's budget.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub remaining_budget_sats: Option<u64>,
    /// Opaque token for `POST /api/mcp/refresh`.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub refresh_token: Option<String>,
    /// State of the invoice: absent (the seed's example), `null` (PoW quotes) or a
    /// status (Lightning quotes).
    // In Rust: `None` = key absent; `Some(None)` = `null`; `Some(Some(s))` = a status.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<PaymentStatus>))]
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

/// Body of `POST /api/mcp/charge`. Every field is optional, as on the hosted API; an
/// empty body `{}` books one call at the tool's default price (1 sat).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct ChargeRequest {
    /// Cost of the call just made; absent → the tool's default price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_cost_sats: Option<u64>,
    /// A charge repeated with the same key (per tool, ≤ 200 characters, trimmed) is
    /// booked once; the hosted API's only idempotency mechanism.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The tool the call is attributed to (slug or name); absent → the anonymous tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    /// Who pays (LiveAuth 1.3): the caller's own funds or the provider's allowance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funding_mode: Option<FundingMode>,
    /// The SHA-256 of the call's canonical arguments (64 lowercase hex,
    /// [`crate::request_hash`]): a retry with the same key must carry the same hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
}

/// Who funds a charge (LiveAuth 1.3).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FundingMode {
    /// The calling agent's balance, topped up by Lightning payments it confirms.
    Caller,
    /// The tool provider's per-session allowance (the default of older tools).
    Provider,
}

/// `GET /api/mcp/capabilities` (LiveAuth 1.3): what the API offers beyond 1.1.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct Capabilities {
    /// Whether charges may be caller-funded (`fundingMode: "caller"`).
    pub caller_funding: bool,
}

/// Result of `POST /api/mcp/charge`; a deny is a 200 with `status: "deny"`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChargeResponse {
    /// Whether the charge was booked.
    pub status: ChargeStatus,
    /// Calls booked today (absent from the hosted 402 `payment_required`: read as 0).
    #[serde(default)]
    pub calls_used: u64,
    /// Sats booked today (absent from the hosted 402 `payment_required`: read as 0).
    #[serde(default)]
    pub sats_used: u64,
    /// Why a deny happened; absent on `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<DenyReason>,
    /// Seconds until a denied charge may succeed: the next minute window (`rate_limited`)
    /// or the next UTC day (`budget_exceeded`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Sats charged for the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_sats: Option<u64>,
    /// The platform's share: `max(1, floor(gross × feeBasisPoints / 10000))`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_fee_sats: Option<u64>,
    /// `grossSats − platformFeeSats`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_sats: Option<u64>,
    /// Platform fee rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee_basis_points: Option<u64>,
    /// The booked revenue event (a GUID); the same on an idempotent replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_event_id: Option<String>,
    /// The tool charged (a GUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_id: Option<String>,
    /// The tool's display name (`Anonymous Agent Call` without `toolName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    /// The tool's slug (`anonymous-agent-call` without `toolName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_slug: Option<String>,
    /// The `mcp-call-receipt-v1` (HMAC) of an accepted charge (hosted-api-facts §3.1);
    /// byte-identical on an idempotent replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Box<crate::receipt::SignedReceipt>>,
    /// The `receipt-v2` (ECDSA P-256, verifiable against
    /// `/.well-known/liveauth-receipt-keys.json`) of an accepted charge (§3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_v2: Option<Box<crate::receipt::SignedReceipt>>,
    /// Who paid (LiveAuth 1.3); a caller-funded charge says `caller`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding_mode: Option<FundingMode>,
    /// `true` on a repeat of a caller-funded charge already booked: the original answer,
    /// nothing booked again, and the call must not run again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    /// The caller's own funds left, in sats (caller-funded charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_balance_sats: Option<u64>,
    /// Today's spending limit left, in sats: a limit, not money (caller-funded charges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_budget_sats: Option<u64>,
    /// What to pay before retrying, on a 402 `payment_required` deny.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<CallerPayment>,
    /// Every other field the API sent, kept so a client can pass the answer through
    /// whole.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ChargeResponse {
    /// An answer with these counters and no optional field.
    pub fn new(status: ChargeStatus, calls_used: u64, sats_used: u64) -> Self {
        Self {
            status,
            calls_used,
            sats_used,
            reason: None,
            retry_after_seconds: None,
            gross_sats: None,
            platform_fee_sats: None,
            net_sats: None,
            fee_basis_points: None,
            revenue_event_id: None,
            tool_id: None,
            tool_name: None,
            tool_slug: None,
            receipt: None,
            receipt_v2: None,
            funding_mode: None,
            duplicate: None,
            caller_balance_sats: None,
            remaining_budget_sats: None,
            payment: None,
            extra: serde_json::Map::new(),
        }
    }
}

/// The invoice a caller pays to fund a charge (the `payment` of a 402 `payment_required`
/// deny, LiveAuth 1.3): pay it, confirm it at `confirmPath`, then retry the charge with
/// `retryIdempotencyKey` and the same `requestHash`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CallerPayment {
    /// The payment (a GUID), for `POST /api/mcp/payments/{paymentId}/confirm`.
    pub payment_id: String,
    /// How to pay: `lightning`.
    pub method: String,
    /// The invoice's amount, fees included.
    pub amount_sats: u64,
    /// What the payment adds to the caller's balance (fees excluded).
    pub credit_sats: u64,
    /// BOLT11 invoice.
    pub invoice: String,
    /// When the invoice expires, RFC 3339 UTC; an invoice paid later credits nothing.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
    /// Where to confirm the payment (`/api/mcp/payments/{paymentId}/confirm`).
    pub confirm_path: String,
    /// The idempotency key to retry the charge with.
    pub retry_idempotency_key: String,
}

/// The fields of a [`CallerPayment`] as written, sorted.
pub const CALLER_PAYMENT_FIELDS: [&str; 8] = [
    "amountSats",
    "confirmPath",
    "creditSats",
    "expiresAt",
    "invoice",
    "method",
    "paymentId",
    "retryIdempotencyKey",
];

/// The fields every 402 `payment_required` charge answer has (the hosted example's,
/// facts §2.5; the mock adds the counters).
pub const PAYMENT_REQUIRED_FIELDS: [&str; 7] = [
    "status",
    "reason",
    "fundingMode",
    "grossSats",
    "callerBalanceSats",
    "remainingBudgetSats",
    "payment",
];

/// Result of `POST /api/mcp/payments/{paymentId}/confirm` (LiveAuth 1.3).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PaymentConfirmResponse {
    /// `paid` (credited, once), `pending` (not paid yet) or `expired` (unpaid in time).
    pub status: CallerPaymentStatus,
    /// The payment confirmed.
    pub payment_id: String,
    /// The caller's balance after the confirmation.
    pub caller_balance_sats: u64,
}

/// Where a caller-funding payment stands; unknown values kept in `Other`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerPaymentStatus {
    /// Paid in time; its credit is in the caller's balance.
    Paid,
    /// Not paid yet.
    Pending,
    /// Not paid before the invoice expired: nothing credited.
    Expired,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// `status` of a [`ChargeResponse`]. Strict: a client must never mistake an
/// unknown value for `ok`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// A caller-funded charge the caller's balance does not cover: pay `payment` (402).
    PaymentRequired,
    /// The idempotency key was used for another call (`requestHash`) or price.
    IdempotencyConflict,
    /// A reason this version does not know.
    #[serde(untagged)]
    Other(String),
}

impl DenyReason {
    /// The wire spelling, as serde writes it (`"budget_exceeded"`, or an unknown reason
    /// as it was read).
    pub fn as_str(&self) -> &str {
        match self {
            Self::BudgetExceeded => "budget_exceeded",
            Self::RateLimited => "rate_limited",
            Self::PaymentRequired => "payment_required",
            Self::IdempotencyConflict => "idempotency_conflict",
            Self::Other(reason) => reason,
        }
    }
}

/// Result of `GET /api/mcp/status/{quoteId}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// The quote asked about.
    pub quote_id: String,
    /// Lifecycle state of the quote.
    pub status: QuoteStatus,
    /// State of the invoice; `null` for PoW quotes.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub payment_status: Option<PaymentStatus>,
    /// Quote expiry, RFC 3339 UTC (see [`crate::time::rfc3339_utc`]).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
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
    /// Confirmed with an L402 bundle macaroon (hosted `"l402_paid"`).
    #[serde(rename = "l402_paid")]
    L402Paid,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

/// Success body of `GET /api/mcp/lnurl/{quoteId}` (LUD-06).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LnurlResponse {
    /// BOLT11 payment request.
    pub pr: String,
    /// Always empty (LUD-06 keeps the field for compatibility).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub routes: Vec<serde_json::Value>,
}

/// Error body of `GET /api/mcp/lnurl/{quoteId}` (LUD-06): `{status: "ERROR", reason}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LnurlErrorStatus {
    /// `"ERROR"`.
    #[serde(rename = "ERROR")]
    Error,
}

/// Result of `GET /api/mcp/usage`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// When the session (and its refresh tokens) ends, RFC 3339 UTC.
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub expires_at: String,
    /// Start of the current budget day, RFC 3339 UTC (`…T00:00:00Z`).
    #[cfg_attr(feature = "openapi", schema(format = DateTime))]
    pub day_window_start: String,
    /// The caller's own funds, in sats, where the API offers caller funding (1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_balance_sats: Option<u64>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    /// The latest refresh token (rotating APIs accept each once; the hosted API keeps
    /// one for the session).
    pub refresh_token: String,
}

/// Result of `POST /api/mcp/refresh`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefreshResponse {
    /// New access token.
    pub jwt: String,
    /// Lifetime of `jwt` in seconds.
    pub expires_in: u64,
    /// Sats left in today's budget.
    pub remaining_budget_sats: u64,
    /// The rotated refresh token; absent from APIs that do not rotate (the seed, the
    /// hosted API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Result of `POST /api/dev/settle/{paymentHash}` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    /// The invoice marked paid, lowercase hex.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub payment_hash: String,
    /// Its preimage, lowercase hex; usable in an L402/x402 credential.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{64}$"))]
    pub preimage: String,
}

/// Body of `POST /api/dev/clock/advance` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClockAdvanceRequest {
    /// How far to move the manual clock forward.
    pub seconds: u64,
}

/// Result of `POST /api/dev/clock/advance` (mock only).
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClockAdvanceResponse {
    /// The clock's time after the move.
    pub now_unix: i64,
}

/// Result of `GET /healthz`: `{"status": "ok"}`.
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Schemas the derive cannot express: the nonce's two spellings, and the status enums
/// that keep unknown values (an "open enum": the known strings, or any other string).
#[cfg(feature = "openapi")]
mod schemas {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
    use utoipa::{PartialSchema, ToSchema};

    use super::{
        CallerPaymentStatus, DenyReason, MAX_NONCE, Nonce, PaymentStatus, QuoteStatus, UsageStatus,
    };

    impl PartialSchema for Nonce {
        fn schema() -> RefOr<Schema> {
            let integer = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0u64))
                .maximum(Some(MAX_NONCE));
            // The pattern forbids signs, fractions and leading zeros; the range still applies.
            let string = ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^(0|[1-9][0-9]{0,15})$"));
            OneOfBuilder::new()
                .item(integer)
                .item(string)
                .description(Some(
                    "A PoW nonce: canonical decimal in 0..=9007199254740991 (2^53-1). \
                     Written as a JSON integer; a string holding the same canonical decimal \
                     is also read. Floats, signs, leading zeros and larger values are refused \
                     with `nonce_invalid`.",
                ))
                .examples([serde_json::json!(123_456)])
                .into()
        }
    }

    impl ToSchema for Nonce {}

    /// `anyOf` the known values or any string: codegen keeps the known names and a client
    /// still accepts a value added later.
    fn open_enum(known: &[&str], description: &str) -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(known.iter().copied())),
            )
            .item(ObjectBuilder::new().schema_type(Type::String))
            .description(Some(description))
            .into()
    }

    /// Known values of each open enum, as serde spells them (a test keeps them in sync).
    pub(super) const QUOTE_STATUS: &[&str] = &["pending", "paid", "confirmed", "expired"];
    pub(super) const PAYMENT_STATUS: &[&str] = &["pending", "paid", "expired", "l402_paid"];
    pub(super) const USAGE_STATUS: &[&str] = &["active", "expired"];
    pub(super) const DENY_REASON: &[&str] = &[
        "budget_exceeded",
        "rate_limited",
        "payment_required",
        "idempotency_conflict",
    ];
    pub(super) const CALLER_PAYMENT_STATUS: &[&str] = &["paid", "pending", "expired"];

    impl PartialSchema for QuoteStatus {
        fn schema() -> RefOr<Schema> {
            open_enum(
                QUOTE_STATUS,
                "Lifecycle of a quote: pending → paid (Lightning) → confirmed, or expired. \
                 Other values may be added; treat them as not confirmed.",
            )
        }
    }

    impl ToSchema for QuoteStatus {}

    impl PartialSchema for PaymentStatus {
        fn schema() -> RefOr<Schema> {
            open_enum(
                PAYMENT_STATUS,
                "State of a Lightning invoice. Other values may be added; treat them as \
                 not paid.",
            )
        }
    }

    impl ToSchema for PaymentStatus {}

    impl PartialSchema for UsageStatus {
        fn schema() -> RefOr<Schema> {
            open_enum(USAGE_STATUS, "Session state. Other values may be added.")
        }
    }

    impl ToSchema for UsageStatus {}

    impl PartialSchema for DenyReason {
        fn schema() -> RefOr<Schema> {
            open_enum(
                DENY_REASON,
                "Why a charge was denied (`maxSatsPerDay` or `maxCallsPerMinute` reached, \
                 a caller-funded charge to pay first, a key reused for another call). \
                 Other reasons may be added.",
            )
        }
    }

    impl ToSchema for DenyReason {}

    impl PartialSchema for CallerPaymentStatus {
        fn schema() -> RefOr<Schema> {
            open_enum(
                CALLER_PAYMENT_STATUS,
                "Where a caller-funding payment stands. Other values may be added; treat \
                 them as not paid.",
            )
        }
    }

    impl ToSchema for CallerPaymentStatus {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "openapi")]
    #[test]
    fn open_enum_schemas_list_what_serde_reads() {
        fn known<T: serde::de::DeserializeOwned + Serialize + fmt::Debug>(
            values: &[&str],
            is_other: impl Fn(&T) -> bool,
        ) {
            for value in values {
                let parsed: T = serde_json::from_value(serde_json::json!(value)).unwrap();
                assert!(!is_other(&parsed), "{value} is not a known variant");
                assert_eq!(
                    serde_json::to_value(&parsed).unwrap(),
                    serde_json::json!(value)
                );
            }
        }
        known(schemas::QUOTE_STATUS, |s| {
            matches!(s, QuoteStatus::Other(_))
        });
        known(schemas::PAYMENT_STATUS, |s| {
            matches!(s, PaymentStatus::Other(_))
        });
        known(schemas::USAGE_STATUS, |s| {
            matches!(s, UsageStatus::Other(_))
        });
        known(schemas::DENY_REASON, |s| matches!(s, DenyReason::Other(_)));
        known(schemas::CALLER_PAYMENT_STATUS, |s| {
            matches!(s, CallerPaymentStatus::Other(_))
        });
    }

    #[test]
    fn caller_payment_fields_are_what_serde_writes() {
        let payment = super::CallerPayment {
            payment_id: String::new(),
            method: String::new(),
            amount_sats: 0,
            credit_sats: 0,
            invoice: String::new(),
            expires_at: String::new(),
            confirm_path: String::new(),
            retry_idempotency_key: String::new(),
        };
        let value = serde_json::to_value(payment).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, super::CALLER_PAYMENT_FIELDS);
    }

    #[test]
    fn oversized_nonce_does_not_serialize() {
        assert!(serde_json::to_string(&Nonce(MAX_NONCE + 1)).is_err());
        assert_eq!(
            serde_json::to_string(&Nonce(MAX_NONCE)).unwrap(),
            "9007199254740991"
        );
    }

    /// JSON integers are nonces only in 0..=2^53-1, and the error says which side.
    #[test]
    fn integer_nonces_in_range_only() {
        let read = |json: &str| serde_json::from_str::<Nonce>(json).map_err(|e| e.to_string());
        assert_eq!(read("0"), Ok(Nonce(0)));
        assert_eq!(read("9007199254740991"), Ok(Nonce(MAX_NONCE)));
        for (json, why) in [
            ("-1", "nonce -1 is negative"),
            ("-9223372036854775808", "is negative"),
            ("9007199254740992", "nonce 9007199254740992 is too large"),
            ("18446744073709551615", "is too large"),
        ] {
            let error = read(json).unwrap_err();
            assert!(error.contains(why), "{json}: {error}");
        }
        // serde_json never hands out 128-bit integers; other formats may.
        assert!(
            NonceVisitor
                .visit_i128::<serde_json::Error>(-1)
                .unwrap_err()
                .to_string()
                .contains("is negative")
        );
        assert!(
            NonceVisitor
                .visit_u128::<serde_json::Error>(u128::MAX)
                .unwrap_err()
                .to_string()
                .contains("is too large")
        );
        assert_eq!(
            NonceVisitor.visit_i128::<serde_json::Error>(7).ok(),
            Some(Nonce(7))
        );
    }

    #[test]
    fn deny_reason_as_str_is_the_wire_spelling() {
        for reason in [
            DenyReason::BudgetExceeded,
            DenyReason::RateLimited,
            DenyReason::Other("quota_frozen".into()),
        ] {
            assert_eq!(
                serde_json::to_value(&reason).unwrap(),
                serde_json::json!(reason.as_str())
            );
            let read: DenyReason =
                serde_json::from_value(serde_json::json!(reason.as_str())).unwrap();
            assert_eq!(read, reason);
        }
    }

    #[test]
    fn unknown_status_values_round_trip() {
        let s: QuoteStatus = serde_json::from_str(r#""refunded""#).unwrap();
        assert_eq!(s, QuoteStatus::Other("refunded".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""refunded""#);
        assert!(serde_json::from_str::<ChargeStatus>(r#""maybe""#).is_err());
    }
}
