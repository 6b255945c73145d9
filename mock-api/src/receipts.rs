//! The receipts the mock signs on every accepted charge (hosted-api-facts §3, DESIGN §5):
//! `receipt` (`mcp-call-receipt-v1`, HMAC-SHA256) and `receiptV2` (`receipt-v2`, ECDSA
//! P-256, its key set at `/.well-known/liveauth-receipt-keys.json`), in both profiles.
//!
//! Nothing of a receipt is stored: both signatures are deterministic (HMAC; ECDSA with
//! RFC 6979 nonces), so an idempotent replay signs the same fields again and gets the same
//! bytes. What the stored answer lacks is kept in [`ReceiptFacts`] (33 bytes inline): the
//! revenue event (strict answers do not carry it) and the token the charge came with (a
//! replay may come with a refreshed one). The time is the record's, the idempotency key
//! the record's key.

use liveauth_protocol::codec::format_uuid;
use liveauth_protocol::receipt::created_at;
use liveauth_protocol::receipt::v1::{self, CallReceipt};
use liveauth_protocol::receipt::v2::{self, Claims, ReceiptKeySet, Signer};
use liveauth_protocol::wire::ChargeResponse;
use sha2::{Digest, Sha256};

use crate::profile::{
    ANONYMOUS_TOOL_ID, ANONYMOUS_TOOL_NAME, ANONYMOUS_TOOL_SLUG, PLATFORM_FEE_BP, platform_fee,
};
use crate::record::{Uuid, parse_uuid};
use crate::rng::Rng;
use crate::token::AccessClaims;

/// The v2 key id when none is given.
pub const DEFAULT_V2_KEY_ID: &str = "liveauth-mock-receipt-v2";
/// The v2 `issuer` when none is given.
pub const DEFAULT_ISSUER: &str = "LiveAuth Mock";
/// The v2 `environment`: the mock's invoices are never real money.
pub const DEFAULT_ENVIRONMENT: &str = "TEST";

/// How receipts are signed (`mock-api --receipt-*`). `Debug` leaves the HMAC secret out.
#[derive(Clone)]
pub struct ReceiptConfig {
    /// The v1 secret, as the hosted `Mcp:ReceiptSigningKey` (its UTF-8 bytes are the HMAC
    /// key); `None`: derived from the mock's seeded keys.
    pub hmac_key: Option<String>,
    /// The v1 `keyId`.
    pub hmac_key_id: String,
    /// The v2 signing key (`--receipt-v2-key`, PKCS#8); `None`: derived from the mock's
    /// seeded keys, named [`ReceiptConfig::v2_key_id`].
    pub v2_key: Option<Signer>,
    pub v2_key_id: String,
    pub issuer: String,
    pub environment: String,
    /// Keys listed as `retired` in the key set: they sign nothing, and receipts they signed
    /// (under an earlier configuration) still verify.
    pub retired: Vec<Signer>,
    /// Whether `receiptV2` is sent at all (`--no-receipt-v2`: only v1, as a hosted backend
    /// without the v2 signer would).
    pub v2: bool,
}

impl Default for ReceiptConfig {
    fn default() -> Self {
        Self {
            hmac_key: None,
            hmac_key_id: v1::DEFAULT_KEY_ID.to_owned(),
            v2_key: None,
            v2_key_id: DEFAULT_V2_KEY_ID.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            environment: DEFAULT_ENVIRONMENT.to_owned(),
            retired: Vec::new(),
            v2: true,
        }
    }
}

impl std::fmt::Debug for ReceiptConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptConfig")
            .field("hmac_key_id", &self.hmac_key_id)
            .field("v2_key", &self.v2_key)
            .field("v2_key_id", &self.v2_key_id)
            .field("issuer", &self.issuer)
            .field("environment", &self.environment)
            .field("retired", &self.retired)
            .field("v2", &self.v2)
            .finish_non_exhaustive()
    }
}

/// The keys receipts are signed with, and the key set published.
pub struct ReceiptKeys {
    hmac_key: Vec<u8>,
    hmac_key_id: String,
    v2: Option<Signer>,
    issuer: String,
    environment: String,
    key_set: ReceiptKeySet,
}

impl std::fmt::Debug for ReceiptKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptKeys")
            .field("hmac_key_id", &self.hmac_key_id)
            .field("v2", &self.v2)
            .finish_non_exhaustive()
    }
}

impl ReceiptKeys {
    /// The keys of `config`; what it leaves open is derived from `root` (a secret of the
    /// mock's seeded key material), so a seeded mock signs the same receipts every run
    /// without drawing from the RNG (which would move every later seeded value).
    pub fn new(config: &ReceiptConfig, root: &[u8; 32]) -> Self {
        let derive = |label: &[u8], counter: u8| -> [u8; 32] {
            Sha256::new()
                .chain_update(label)
                .chain_update([counter])
                .chain_update(root)
                .finalize()
                .into()
        };
        let hmac_key = match &config.hmac_key {
            Some(key) => key.as_bytes().to_vec(),
            // Text, as the hosted key is: 64 hex digits.
            None => liveauth_protocol::codec::encode_hex(&derive(b"receipt-v1", 0)).into_bytes(),
        };
        let v2 = config.v2.then(|| {
            config.v2_key.clone().unwrap_or_else(|| {
                // Nearly every 32 bytes are a valid scalar; the next counter otherwise.
                (0..=u8::MAX)
                    .find_map(|i| {
                        Signer::from_secret(&config.v2_key_id, &derive(b"receipt-v2", i)).ok()
                    })
                    .unwrap_or_else(|| unreachable!("256 hashes are never all out of range"))
            })
        });
        let active = v2.iter().map(|signer| signer.key_set_entry(v2::ACTIVE));
        let retired = config
            .retired
            .iter()
            .map(|signer| signer.key_set_entry(v2::RETIRED));
        let keys = active.chain(retired).collect();
        Self {
            hmac_key,
            hmac_key_id: config.hmac_key_id.clone(),
            v2,
            issuer: config.issuer.clone(),
            environment: config.environment.clone(),
            key_set: ReceiptKeySet {
                version: v2::KEY_SET_VERSION.to_owned(),
                keys,
            },
        }
    }

    /// The document of `GET /.well-known/liveauth-receipt-keys.json`.
    pub fn key_set(&self) -> &ReceiptKeySet {
        &self.key_set
    }
}

/// What a charge's receipts need beyond its stored answer, record and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptFacts {
    revenue_event: Uuid,
    /// The access token's `jti`, when it is a GUID or 32 hex digits (hosted: 32 hex).
    token: Option<Uuid>,
}

impl ReceiptFacts {
    /// The facts of a charge just accepted: the answer's revenue event (hosted), else a
    /// fresh one (strict answers carry none).
    pub fn new(response: &ChargeResponse, claims: &AccessClaims, rng: &Rng) -> Self {
        let revenue_event = response
            .revenue_event_id
            .as_deref()
            .and_then(parse_uuid)
            .unwrap_or_else(|| rng.bytes());
        Self {
            revenue_event,
            token: guid_bytes(&claims.jti),
        }
    }
}

/// A GUID's bytes from its hyphenated or 32-hex-digit form.
fn guid_bytes(text: &str) -> Option<Uuid> {
    parse_uuid(text).or_else(|| {
        let hex: [u8; 32] = text.as_bytes().try_into().ok()?;
        let hyphenated = format!(
            "{}-{}-{}-{}-{}",
            std::str::from_utf8(&hex[..8]).ok()?,
            std::str::from_utf8(&hex[8..12]).ok()?,
            std::str::from_utf8(&hex[12..16]).ok()?,
            std::str::from_utf8(&hex[16..20]).ok()?,
            std::str::from_utf8(&hex[20..]).ok()?,
        );
        parse_uuid(&hyphenated)
    })
}

/// One accepted charge, as its receipts describe it.
#[derive(Debug, Clone, Copy)]
pub struct Charge<'a> {
    pub facts: &'a ReceiptFacts,
    pub claims: &'a AccessClaims,
    pub cost: u64,
    pub idempotency_key: Option<&'a str>,
    /// When it was first accepted (unix seconds).
    pub at: i64,
}

/// Signs `charge`'s receipts into `response`.
pub fn attach(keys: &ReceiptKeys, response: &mut ChargeResponse, charge: &Charge<'_>) {
    let receipt = call_receipt(charge);
    response.receipt = Some(Box::new(receipt.sign(&keys.hmac_key, &keys.hmac_key_id)));
    response.receipt_v2 = keys.v2.as_ref().map(|signer| {
        Box::new(signer.sign(&Claims {
            issuer: &keys.issuer,
            environment: &keys.environment,
            amount_debited_sats: receipt.gross_sats,
            tool_slug: receipt.tool_slug.as_deref(),
            request_hash: None,
            result_hash: None,
            receipt_id: Some(&receipt.receipt_id),
            revenue_event_id: Some(&receipt.revenue_event_id),
            created_at: Some(&receipt.created_at),
        }))
    });
}

fn call_receipt(charge: &Charge<'_>) -> CallReceipt {
    let revenue_event_id = format_uuid(&charge.facts.revenue_event);
    let guid = |text: &str| parse_uuid(text).map(|bytes| format_uuid(&bytes));
    let fee = platform_fee(charge.cost);
    CallReceipt {
        receipt_id: CallReceipt::receipt_id_for(&revenue_event_id),
        request_id: Some(request_id(&charge.facts.revenue_event)),
        revenue_event_id,
        mcp_tool_id: Some(ANONYMOUS_TOOL_ID.to_owned()),
        tool_name: Some(ANONYMOUS_TOOL_NAME.to_owned()),
        tool_slug: Some(ANONYMOUS_TOOL_SLUG.to_owned()),
        tool_method_name: Some(ANONYMOUS_TOOL_SLUG.to_owned()),
        mcp_gate_token_id: charge.facts.token.as_ref().map(format_uuid),
        mcp_gate_session_id: guid(&charge.claims.sub),
        paying_project_id: guid(&charge.claims.project_id),
        agent_id: None,
        gross_sats: charge.cost,
        platform_fee_sats: fee,
        net_sats: charge.cost.saturating_sub(fee),
        fee_basis_points: PLATFORM_FEE_BP,
        status: v1::STATUS_CHARGED.to_owned(),
        idempotency_key: charge.idempotency_key.map(str::to_owned),
        created_at: created_at(charge.at, 0),
    }
}

/// A request id in the form of ASP.NET's trace identifiers (`0HN7ABCDEF12:00000001`: a
/// connection id in Kestrel's base32, a request number), derived from the revenue event so
/// a replay needs nothing stored.
fn request_id(revenue_event: &Uuid) -> String {
    const DIGITS: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";
    let mut bits = u64::from_be_bytes(revenue_event[..8].try_into().unwrap_or_default());
    let mut connection = [0u8; 10];
    for digit in connection.iter_mut().rev() {
        *digit = DIGITS[usize::try_from(bits & 31).unwrap_or(0)];
        bits >>= 5;
    }
    let connection = std::str::from_utf8(&connection).unwrap_or_default();
    format!("0H{connection}:00000001")
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveauth_protocol::receipt::v2::Expectations;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: String::new(),
            aud: String::new(),
            sub: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0".into(),
            iat: 0,
            nbf: 0,
            exp: 0,
            jti: "aaaaaaaabbbb4cccbdddeeeeeeeeeeee".into(),
            max_sats_per_day: 0,
            max_calls_per_minute: 0,
            project_id: "00000000-0000-0000-0000-000000000002".into(),
        }
    }

    #[test]
    fn receipts_verify_and_sign_the_same_bytes_again() {
        let keys = ReceiptKeys::new(&ReceiptConfig::default(), &[3; 32]);
        let claims = claims();
        let facts = ReceiptFacts {
            revenue_event: [0x3f; 16],
            token: guid_bytes(&claims.jti),
        };
        let charge = Charge {
            facts: &facts,
            claims: &claims,
            cost: 5,
            idempotency_key: Some("k"),
            at: 1_781_181_296,
        };
        let mut first = ChargeResponse::new(liveauth_protocol::wire::ChargeStatus::Ok, 1, 5);
        attach(&keys, &mut first, &charge);
        let mut again = first.clone();
        attach(&keys, &mut again, &charge);
        let (v1r, v2r) = (first.receipt.unwrap(), first.receipt_v2.unwrap());
        assert_eq!(Some(&v1r), again.receipt.as_ref());
        assert_eq!(Some(&v2r), again.receipt_v2.as_ref());
        let payload = v1::verify(&v1r, &keys.hmac_key).unwrap();
        assert_eq!(
            payload["mcpGateTokenId"],
            "aaaaaaaa-bbbb-4ccc-bddd-eeeeeeeeeeee"
        );
        assert_eq!(payload["createdAt"], "2026-06-11T12:34:56.0000000Z");
        assert_eq!(payload["netSats"], 4);
        let request_id = payload["requestId"].as_str().unwrap();
        assert!(request_id.starts_with("0H") && request_id.ends_with(":00000001"));
        assert_eq!(request_id.len(), 21);
        let verified = v2::verify(&v2r, keys.key_set(), &Expectations::default()).unwrap();
        assert_eq!(verified.payload["receiptId"], payload["receiptId"]);
        assert_eq!(verified.payload["issuer"], DEFAULT_ISSUER);
    }
}
