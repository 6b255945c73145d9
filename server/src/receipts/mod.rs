//! The receipts of accepted charges (hosted-api-facts §3, DESIGN §5): every one received
//! is kept in the agent's state ([`KeptReceipt`], `session/receipts.rs`), `receiptV2` is
//! verified against the API's key set ([`KeySetCache`]: fetched once, fetched again when a
//! receipt names a key it does not list), and the charge tool reports the outcome as
//! `receiptVerified`. [`resources`] lists them as MCP resources; [`audit`] is the
//! `liveauth-mcp receipts verify` command.
//!
//! A v1 `receipt` is an HMAC under the API's secret: no client can verify it, so it is
//! kept as received.

pub mod audit;
pub(crate) mod resources;

use std::sync::Arc;

use liveauth_protocol::receipt::v2::{self, Expectations, ReceiptKeySet};
use liveauth_protocol::receipt::{ReceiptErrorCode, SignedReceipt};
use liveauth_protocol::wire::ChargeResponse;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::api::ApiClient;

/// A receipt as the server keeps it: both envelopes as received, and what checking v2
/// found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeptReceipt {
    /// The receipt's id (`mcp_receipt_…`), its resource's name.
    pub receipt_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_sats: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<SignedReceipt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_v2: Option<SignedReceipt>,
    #[serde(flatten)]
    pub check: ReceiptCheck,
    /// When this server received it (RFC 3339 UTC).
    pub received_at: String,
}

impl KeptReceipt {
    /// The resource URI of this receipt.
    pub(crate) fn uri(&self) -> String {
        resources::receipt_uri(&self.receipt_id)
    }
}

/// What checking an answer's `receiptV2` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ReceiptCheck {
    /// `true`: `receiptV2` verified against the API's key set
    /// (`/.well-known/liveauth-receipt-keys.json`); `false`: it did not (see
    /// `receiptProblem`); absent: the API sent no `receiptV2` (a v1 `receipt` is signed with
    /// the API's secret and cannot be verified here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_verified: Option<bool>,
    /// Why `receiptV2` did not verify: the verifier's code and what it means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_problem: Option<String>,
}

impl ReceiptCheck {
    fn verified() -> Self {
        Self {
            receipt_verified: Some(true),
            receipt_problem: None,
        }
    }

    fn failed(problem: String) -> Self {
        Self {
            receipt_verified: Some(false),
            receipt_problem: Some(problem),
        }
    }

    fn code(code: ReceiptErrorCode) -> Self {
        Self::failed(format!("{code}: {}", code.meaning()))
    }
}

/// The API's receipt key set, fetched on first use and again when a receipt names a key
/// it does not list (a key rotated in since). Shared by every agent of the process.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySetCache {
    keys: Arc<tokio::sync::Mutex<Option<Arc<ReceiptKeySet>>>>,
}

impl KeySetCache {
    /// Verifies `receipt` against the API's key set.
    pub(crate) async fn check(&self, api: &ApiClient, receipt: &SignedReceipt) -> ReceiptCheck {
        let mut refreshed = false;
        loop {
            let keys = match self.keys(api, refreshed).await {
                Ok(keys) => keys,
                Err(error) => {
                    return ReceiptCheck::failed(format!(
                        "the API's receipt key set could not be fetched, so receiptV2 is not \
                         verified: {error}"
                    ));
                }
            };
            match v2::verify(receipt, &keys, &Expectations::default()) {
                Ok(_) => return ReceiptCheck::verified(),
                Err(error) if error.code() == ReceiptErrorCode::UnknownKey && !refreshed => {
                    refreshed = true;
                }
                Err(error) => return ReceiptCheck::code(error.code()),
            }
        }
    }

    /// The cached key set, or a fresh one (`refresh`, or nothing cached yet). Fetches are
    /// serialized, so agents charging at once fetch it once.
    async fn keys(
        &self,
        api: &ApiClient,
        refresh: bool,
    ) -> Result<Arc<ReceiptKeySet>, crate::api::ApiError> {
        let mut cached = self.keys.lock().await;
        if let Some(keys) = cached.as_ref().filter(|_| !refresh) {
            return Ok(Arc::clone(keys));
        }
        let keys = Arc::new(api.receipt_keys().await?);
        *cached = Some(Arc::clone(&keys));
        Ok(keys)
    }
}

/// The receipt of an accepted charge `response`, checked, as it is kept; `None` when the
/// answer has no receipt at all.
pub(crate) async fn receive(
    cache: &KeySetCache,
    api: &ApiClient,
    response: &ChargeResponse,
    received_at: String,
) -> Option<KeptReceipt> {
    let v1 = response.receipt.as_deref();
    let v2 = response.receipt_v2.as_deref();
    if v1.is_none() && v2.is_none() {
        return None;
    }
    let check = match v2 {
        Some(v2) => cache.check(api, v2).await,
        None => ReceiptCheck::default(),
    };
    // What the answer leaves out (the strict profile sends no fee fields), the signed
    // payloads say: v1's names, else v2's.
    let payloads = [payload(v1), payload(v2)];
    let signed = |names: &[&str]| {
        payloads
            .iter()
            .flatten()
            .find_map(|payload| names.iter().find_map(|name| payload.get(*name)).cloned())
    };
    let text = |value: Option<serde_json::Value>| value?.as_str().map(str::to_owned);
    Some(KeptReceipt {
        receipt_id: receipt_id(response, &payloads, v1, v2),
        revenue_event_id: (response.revenue_event_id.clone())
            .or_else(|| text(signed(&["revenueEventId"]))),
        gross_sats: (response.gross_sats)
            .or_else(|| signed(&["grossSats", "amountDebitedSats"])?.as_u64()),
        tool_slug: (response.tool_slug.clone()).or_else(|| text(signed(&["toolSlug"]))),
        receipt: v1.cloned(),
        receipt_v2: v2.cloned(),
        check,
        received_at,
    })
}

/// A receipt's payload JSON, if it decodes (read for what it names, never trusted: v1
/// cannot be verified here, and v2 is reported by its check).
fn payload(receipt: Option<&SignedReceipt>) -> Option<serde_json::Value> {
    let bytes = liveauth_protocol::codec::decode_base64url(&receipt?.payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The receipt's id: its payload's `receiptId` (v1's, else v2's), else one made of the
/// revenue event; only `[A-Za-z0-9_-]`, at most 100 characters, since it names a
/// resource (anything else is replaced by the start of a signature, unique per receipt).
fn receipt_id(
    response: &ChargeResponse,
    payloads: &[Option<serde_json::Value>],
    v1: Option<&SignedReceipt>,
    v2: Option<&SignedReceipt>,
) -> String {
    let from_payload = |payload: &Option<serde_json::Value>| {
        payload.as_ref()?["receiptId"].as_str().map(str::to_owned)
    };
    let revenue_event = response
        .revenue_event_id
        .as_deref()
        .map(|id| format!("mcp_receipt_{}", id.replace('-', "")));
    let id = payloads
        .iter()
        .find_map(from_payload)
        .or(revenue_event)
        .unwrap_or_default();
    let usable = !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if usable {
        return id;
    }
    let signature = [v1, v2]
        .into_iter()
        .flatten()
        .find_map(|receipt| liveauth_protocol::codec::decode_base64url(&receipt.signature).ok())
        .unwrap_or_default();
    let start = &signature[..signature.len().min(16)];
    format!("receipt_{}", liveauth_protocol::codec::encode_hex(start))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use liveauth_protocol::receipt::v2::{ACTIVE, KEY_SET_VERSION, ReceiptKey, Signer, example};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    fn key_set(keys: Vec<ReceiptKey>) -> ReceiptKeySet {
        ReceiptKeySet {
            version: KEY_SET_VERSION.into(),
            keys,
        }
    }

    /// An API whose key set answers `sets` in turn (the last one from then on), and a
    /// client for it.
    async fn api_with(sets: &[(u16, ReceiptKeySet)]) -> (MockServer, ApiClient) {
        let server = MockServer::start().await;
        for (i, (status, set)) in sets.iter().enumerate() {
            let mock = Mock::given(method("GET"))
                .and(path(v2::KEY_SET_PATH))
                .respond_with(ResponseTemplate::new(*status).set_body_json(set));
            let mock = if i + 1 < sets.len() {
                mock.up_to_n_times(1)
            } else {
                mock
            };
            // Earlier answers first.
            mock.with_priority(u8::try_from(i + 1).unwrap())
                .mount(&server)
                .await;
        }
        let api = ApiClient::new(&server.uri(), None, Duration::from_secs(5)).unwrap();
        (server, api)
    }

    /// Fetched once and cached; a receipt naming an unlisted key makes one fetch more,
    /// which finds the rotated-in key.
    #[tokio::test]
    async fn the_key_set_is_cached_and_refetched_for_an_unknown_key() {
        let other = Signer::from_secret("key-0", &[4; 32]).unwrap();
        let stale = key_set(vec![other.key_set_entry(ACTIVE)]);
        let (server, api) = api_with(&[(200, stale.clone()), (200, example::key_set())]).await;
        let cache = KeySetCache::default();
        let receipt = example::receipt();
        assert_eq!(cache.check(&api, &receipt).await, ReceiptCheck::verified());
        assert_eq!(server.received_requests().await.unwrap().len(), 2);
        assert_eq!(cache.check(&api, &receipt).await, ReceiptCheck::verified());
        assert_eq!(server.received_requests().await.unwrap().len(), 2, "cached");
    }

    /// A key still unknown after the refetch, a changed receipt and an unreachable key set
    /// each give `false` and a message naming the problem.
    #[tokio::test]
    async fn failures_are_reported_with_their_code() {
        let (server, api) = api_with(&[(200, key_set(Vec::new()))]).await;
        let check = KeySetCache::default()
            .check(&api, &example::receipt())
            .await;
        assert_eq!(check.receipt_verified, Some(false));
        let problem = check.receipt_problem.unwrap();
        assert!(problem.starts_with("unknown_receipt_key: "), "{problem}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "refetched once"
        );

        let (_server, api) = api_with(&[(200, example::key_set())]).await;
        let mut changed = example::receipt();
        changed.payload.replace_range(10..11, "A");
        let check = KeySetCache::default().check(&api, &changed).await;
        let problem = check.receipt_problem.unwrap();
        assert!(
            problem.starts_with("invalid_receipt_signature: the signature does not match"),
            "{problem}"
        );

        let (_server, api) = api_with(&[(503, key_set(Vec::new()))]).await;
        let check = KeySetCache::default()
            .check(&api, &example::receipt())
            .await;
        assert_eq!(check.receipt_verified, Some(false));
        let problem = check.receipt_problem.unwrap();
        assert!(
            problem.contains("key set could not be fetched"),
            "{problem}"
        );
    }
}
