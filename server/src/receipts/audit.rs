//! `liveauth-mcp receipts verify FILE|-`: checks one receipt for an auditor, outside any
//! MCP session. The input is a receipt envelope, or anything holding `receipt` and/or
//! `receiptV2` (a charge answer, a charge tool result, a kept receipt resource): a v2
//! receipt is checked against a key set (`--keys`: the API's base URL, the document's URL,
//! or a file), a v1 receipt under the API's secret (`--hmac-key`). Every receipt found must
//! verify.

use std::time::Duration;

use liveauth_protocol::receipt::v2::{self, Expectations, ReceiptKeySet};
use liveauth_protocol::receipt::{ReceiptErrorCode, SignedReceipt, v1};
use serde_json::Value;

/// What to check receipts against.
#[derive(Debug, Clone, Default)]
pub struct Audit {
    /// `--keys`: `http(s)://…` (an API base, or the key set document itself) or a file.
    pub keys: Option<String>,
    /// `--hmac-key`: the v1 secret.
    pub hmac_key: Option<String>,
    pub issuer: Option<String>,
    pub environment: Option<String>,
}

/// Why the input is not a valid receipt: the verifier's code when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AuditError {
    pub code: Option<ReceiptErrorCode>,
    pub message: String,
}

impl AuditError {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
        }
    }

    fn code(version: &str, code: ReceiptErrorCode) -> Self {
        Self {
            code: Some(code),
            message: format!("{version}: {code}: {}", code.meaning()),
        }
    }

    fn with_detail(mut self, detail: &str) -> Self {
        self.message = format!("{}: {detail}", self.message);
        self
    }
}

/// One receipt that verified: its version, key id and signed payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub version: String,
    pub key_id: String,
    pub payload: serde_json::Map<String, Value>,
}

impl Audit {
    /// Verifies every receipt in `input` (JSON).
    pub async fn verify(&self, input: &[u8]) -> Result<Vec<Verified>, AuditError> {
        let value: Value = serde_json::from_slice(input).map_err(|error| {
            AuditError::code("input", ReceiptErrorCode::MalformedReceipt)
                .with_detail(&format!("not JSON ({error})"))
        })?;
        let receipts = receipts_in(&value)?;
        let mut verified = Vec::new();
        let mut key_set = None;
        for receipt in receipts {
            let payload = if receipt.version == v2::VERSION {
                if key_set.is_none() {
                    key_set = Some(self.key_set().await?);
                }
                let keys = key_set.as_ref().unwrap_or_else(|| unreachable!());
                let expect = Expectations {
                    issuer: self.issuer.as_deref(),
                    environment: self.environment.as_deref(),
                };
                v2::verify(&receipt, keys, &expect)
                    .map_err(|error| AuditError::code(v2::VERSION, error.code()))?
                    .payload
            } else if receipt.version == v1::VERSION {
                let key = self.hmac_key.as_deref().ok_or_else(|| {
                    AuditError::usage(
                        "a mcp-call-receipt-v1 receipt is an HMAC under the API's secret: pass \
                         it with --hmac-key (or LIVEAUTH_RECEIPT_HMAC_KEY)",
                    )
                })?;
                v1::verify(&receipt, key.as_bytes())
                    .map_err(|error| AuditError::code(v1::VERSION, error.code()))?
            } else {
                return Err(AuditError::code(
                    "receipt",
                    ReceiptErrorCode::UnsupportedVersion,
                ));
            };
            verified.push(Verified {
                version: receipt.version.clone(),
                key_id: receipt.key_id.clone(),
                payload,
            });
        }
        Ok(verified)
    }

    /// The key set of `--keys`.
    async fn key_set(&self) -> Result<ReceiptKeySet, AuditError> {
        let source = self.keys.as_deref().ok_or_else(|| {
            AuditError::usage(
                "a receipt-v2 receipt is checked against the API's key set: pass --keys with \
                 the API's base URL or a saved liveauth-receipt-keys.json",
            )
        })?;
        let bytes = if source.starts_with("http://") || source.starts_with("https://") {
            fetch(source).await?
        } else {
            std::fs::read(source)
                .map_err(|error| AuditError::usage(format!("cannot read {source}: {error}")))?
        };
        serde_json::from_slice(&bytes)
            .map_err(|error| AuditError::usage(format!("{source} is not a key set: {error}")))
    }
}

/// The key set document at `url`, or at the API base `url`'s well-known path.
async fn fetch(url: &str) -> Result<Vec<u8>, AuditError> {
    let url = if url.ends_with(".json") {
        url.to_owned()
    } else {
        format!("{}{}", url.trim_end_matches('/'), v2::KEY_SET_PATH)
    };
    let unable = |detail: String| {
        AuditError::usage(format!(
            "Unable to resolve LiveAuth receipt keys from {url}: {detail}"
        ))
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| unable(error.to_string()))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|error| unable(error.to_string()))?;
    if !response.status().is_success() {
        return Err(unable(format!("HTTP {}", response.status())));
    }
    let body = response
        .bytes()
        .await
        .map_err(|error| unable(error.to_string()))?;
    Ok(body.to_vec())
}

/// The receipts of `value`: itself if it is an envelope (it has `version`), else its
/// `receipt` and `receiptV2`, also under `structuredContent` (a tool result).
fn receipts_in(value: &Value) -> Result<Vec<SignedReceipt>, AuditError> {
    let envelope = |value: &Value| {
        SignedReceipt::from_value(value).map_err(|error| AuditError::code("receipt", error.code()))
    };
    if value.get("version").is_some() {
        return Ok(vec![envelope(value)?]);
    }
    let holder = value.get("structuredContent").unwrap_or(value);
    let found: Vec<&Value> = ["receipt", "receiptV2"]
        .iter()
        .filter_map(|field| holder.get(*field))
        .collect();
    if found.is_empty() {
        return Err(
            AuditError::code("input", ReceiptErrorCode::MalformedReceipt)
                .with_detail("no receipt envelope, `receipt` or `receiptV2` in it"),
        );
    }
    found.into_iter().map(envelope).collect()
}
