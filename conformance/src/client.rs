//! A thin HTTP client that keeps every answer raw, so checks assert on the wire, plus the
//! few flows most checks start from (a quote, a solution, a session).

use std::time::Duration;

use liveauth_protocol::codec::encode_hex;
use liveauth_protocol::pow::solver::{SolveControl, SolveOptions, solve};
use liveauth_protocol::pow::{MAX_NONCE, target_from_bits};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

/// The project key header (docs/design.md).
pub(crate) const KEY_HEADER: &str = liveauth_protocol::wire::PROJECT_KEY_HEADER;

/// An answer, as received.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The body as JSON, or `Null` if it is not JSON.
    pub json: Value,
}

impl Resp {
    /// The error code: `code`, else `error` if it is a string.
    pub fn code(&self) -> Option<&str> {
        self.json
            .get("code")
            .or_else(|| self.json.get("error"))
            .and_then(Value::as_str)
    }

    /// The media type without parameters, lowercased.
    pub fn content_type(&self) -> String {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    }

    /// Every value of a header, as text.
    pub fn header_all(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// `status` and a short excerpt of the body, for failure messages.
    pub fn brief(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let excerpt: String = text.chars().take(300).collect();
        format!("HTTP {} {excerpt}", self.status)
    }

    /// Fails unless the status is `status`.
    pub fn expect(&self, status: u16, what: &str) -> Result<&Value, String> {
        if self.status == status {
            Ok(&self.json)
        } else {
            Err(format!(
                "{what}: expected HTTP {status}, got {}",
                self.brief()
            ))
        }
    }

    /// A refusal: 4xx and no token in the body. If the body names an error code, it must
    /// be `code` (an API that names codes must name the documented one).
    pub fn expect_refusal(&self, code: &str, what: &str) -> Result<(), String> {
        if !(400..500).contains(&self.status) {
            return Err(format!(
                "{what}: expected a 4xx refusal, got {}",
                self.brief()
            ));
        }
        if self.json.get("jwt").is_some_and(|jwt| !jwt.is_null()) {
            return Err(format!("{what}: a refusal carries a jwt: {}", self.brief()));
        }
        match self.code() {
            Some(got) if got != code => Err(format!(
                "{what}: expected error code {code}, got {got} ({})",
                self.brief()
            )),
            _ => Ok(()),
        }
    }

    /// A strict refusal: exactly `status` and problem `code`.
    pub fn expect_problem(&self, status: u16, code: &str, what: &str) -> Result<(), String> {
        if self.status != status || self.code() != Some(code) {
            return Err(format!(
                "{what}: expected HTTP {status} `{code}`, got {}",
                self.brief()
            ));
        }
        Ok(())
    }
}

/// A started PoW quote.
#[derive(Debug, Clone)]
pub struct PowQuote {
    pub quote_id: String,
    /// The `powChallenge` object as received.
    pub challenge: Value,
}

impl PowQuote {
    pub fn field_str(&self, name: &str) -> String {
        self.challenge[name].as_str().unwrap_or_default().to_owned()
    }

    pub fn bits(&self) -> u32 {
        self.challenge["difficultyBits"]
            .as_u64()
            .and_then(|b| u32::try_from(b).ok())
            .unwrap_or(0)
    }

    /// The confirm body the seed documents, with the signature as `sig`.
    pub fn confirm_body(&self, nonce: u64, hash_hex: &str) -> Value {
        json!({
            "quoteId": self.quote_id,
            "challengeHex": self.challenge["challengeHex"],
            "nonce": nonce,
            "hashHex": hash_hex,
            "expiresAtUnix": self.challenge["expiresAtUnix"],
            "difficultyBits": self.challenge["difficultyBits"],
            "sig": self.challenge["signature"],
        })
    }
}

/// A confirmed session.
#[derive(Debug, Clone)]
pub struct Session {
    pub jwt: String,
    pub refresh_token: String,
    /// The confirm answer as received.
    pub confirm: Value,
}

/// The API under test.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    key: Option<String>,
}

impl Api {
    pub fn new(base: &str, key: Option<String>, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// A request to `base + path`.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base))
    }

    /// Sends and reads the whole answer.
    pub async fn fetch(&self, request: RequestBuilder) -> Result<Resp, String> {
        let response = request
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("reading the body failed: {e}"))?
            .to_vec();
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Ok(Resp {
            status,
            headers,
            body,
            json,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Resp, String> {
        self.fetch(self.req(Method::GET, path)).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Resp, String> {
        self.fetch(self.req(Method::POST, path).json(body)).await
    }

    /// `POST` start: `/api/mcp/start` with the key, or the demo endpoint without one.
    pub async fn start_raw(&self, lightning: bool) -> Result<Resp, String> {
        let body = if lightning {
            json!({"forceLightning": true})
        } else {
            json!({})
        };
        let request = match &self.key {
            Some(key) => self
                .req(Method::POST, "/api/mcp/start")
                .header(KEY_HEADER, key),
            None => self.req(Method::POST, "/api/public/demo/start"),
        };
        self.fetch(request.json(&body)).await
    }

    /// A new PoW quote.
    pub async fn start_pow(&self) -> Result<PowQuote, String> {
        let resp = self.start_raw(false).await?;
        let body = resp.expect(200, "start")?;
        let quote_id = body["quoteId"]
            .as_str()
            .ok_or_else(|| format!("start: no quoteId: {}", resp.brief()))?;
        if !body["powChallenge"].is_object() {
            return Err(format!("start: no powChallenge: {}", resp.brief()));
        }
        Ok(PowQuote {
            quote_id: quote_id.to_owned(),
            challenge: body["powChallenge"].clone(),
        })
    }

    /// A new Lightning quote: `(quoteId, invoice object)`.
    pub async fn start_lightning(&self) -> Result<(String, Value), String> {
        let resp = self.start_raw(true).await?;
        let body = resp.expect(200, "start (forceLightning)")?;
        match (body["quoteId"].as_str(), body["invoice"].is_object()) {
            (Some(id), true) => Ok((id.to_owned(), body["invoice"].clone())),
            _ => Err(format!(
                "start (forceLightning): no invoice: {}",
                resp.brief()
            )),
        }
    }

    /// `POST /api/mcp/confirm`, sending the key when there is one (as clients do).
    pub async fn confirm(&self, body: &Value) -> Result<Resp, String> {
        let mut request = self.req(Method::POST, "/api/mcp/confirm").json(body);
        if let Some(key) = &self.key {
            request = request.header(KEY_HEADER, key);
        }
        self.fetch(request).await
    }

    /// Start, solve and confirm a PoW quote.
    pub async fn session(&self) -> Result<Session, String> {
        let quote = self.start_pow().await?;
        let (nonce, hash) = solve_quote(&quote, 0).await?;
        let resp = self.confirm(&quote.confirm_body(nonce, &hash)).await?;
        let body = resp.expect(200, "confirm")?;
        match (body["jwt"].as_str(), body["refreshToken"].as_str()) {
            (Some(jwt), Some(refresh)) => Ok(Session {
                jwt: jwt.to_owned(),
                refresh_token: refresh.to_owned(),
                confirm: body.clone(),
            }),
            _ => Err(format!("confirm: no jwt/refreshToken: {}", resp.brief())),
        }
    }

    pub async fn charge(&self, jwt: &str, cost: u64, key: Option<&str>) -> Result<Resp, String> {
        let mut request = self
            .req(Method::POST, "/api/mcp/charge")
            .bearer_auth(jwt)
            .json(&json!({"callCostSats": cost}));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.fetch(request).await
    }

    pub async fn usage(&self, jwt: &str) -> Result<Resp, String> {
        self.fetch(self.req(Method::GET, "/api/mcp/usage").bearer_auth(jwt))
            .await
    }

    pub async fn usage_with(&self, authorization: &str) -> Result<Resp, String> {
        let value = HeaderValue::from_str(authorization)
            .map_err(|e| format!("Authorization value: {e}"))?;
        self.fetch(
            self.req(Method::GET, "/api/mcp/usage")
                .header(reqwest::header::AUTHORIZATION, value),
        )
        .await
    }

    pub async fn refresh(&self, token: &str) -> Result<Resp, String> {
        self.post_json("/api/mcp/refresh", &json!({"refreshToken": token}))
            .await
    }

    /// Marks an invoice paid (dev endpoint); returns the preimage hex.
    pub async fn settle(&self, payment_hash: &str) -> Result<String, String> {
        let resp = self
            .post_json(&format!("/api/dev/settle/{payment_hash}"), &json!({}))
            .await?;
        let body = resp.expect(200, "dev settle")?;
        body["preimage"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("dev settle: no preimage: {}", resp.brief()))
    }

    /// Moves the dev clock; returns the API's time after the move.
    pub async fn advance(&self, seconds: u64) -> Result<i64, String> {
        let resp = self
            .post_json("/api/dev/clock/advance", &json!({"seconds": seconds}))
            .await?;
        resp.expect(200, "dev clock advance")?["nowUnix"]
            .as_i64()
            .ok_or_else(|| format!("dev clock advance: no nowUnix: {}", resp.brief()))
    }
}

/// The lowest nonce `>= from` whose hash meets the target derived from the quote's signed
/// `difficultyBits`, and that hash.
pub(crate) async fn solve_quote(quote: &PowQuote, from: u64) -> Result<(u64, String), String> {
    solve_for(
        quote.field_str("projectPublicKey"),
        quote.field_str("challengeHex"),
        quote.bits(),
        from,
    )
    .await
}

/// As [`solve_quote`], for any key, challenge and bits.
pub(crate) async fn solve_for(
    key: String,
    challenge_hex: String,
    bits: u32,
    from: u64,
) -> Result<(u64, String), String> {
    let target = target_from_bits(bits).map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || {
        let options = SolveOptions {
            nonces: from..=MAX_NONCE,
            ..SolveOptions::default()
        };
        solve(
            &key,
            &challenge_hex,
            &target,
            &options,
            &SolveControl::new(),
        )
        .map(|found| (found.nonce, encode_hex(&found.hash)))
        .map_err(|e| format!("solving failed: {e}"))
    })
    .await
    .map_err(|e| format!("solver task: {e}"))?
}

/// A nonce `>= from` whose hash does NOT meet the target (for negative checks); `None`
/// when the difficulty is so low that nearly every nonce solves.
pub(crate) fn non_solving_nonce(quote: &PowQuote, from: u64) -> Option<(u64, String)> {
    let target = target_from_bits(quote.bits()).ok()?;
    let key = quote.field_str("projectPublicKey");
    let challenge = quote.field_str("challengeHex");
    (from..from.saturating_add(10_000)).find_map(|nonce| {
        let hash = liveauth_protocol::pow::solution_hash(&key, &challenge, nonce);
        (hash >= target).then(|| (nonce, encode_hex(&hash)))
    })
}
