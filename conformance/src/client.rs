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

    /// What a person or an agent can read of an error body, in the order clients read it
    /// (docs/design.md §2): `error_description`, `detail`, `message`, `error`, then
    /// ASP.NET's `title`, then the body as text. `None` for an empty body.
    pub fn error_text(&self) -> Option<String> {
        let field = ["error_description", "detail", "message", "error", "title"]
            .iter()
            .find_map(|name| self.json.get(*name).and_then(Value::as_str))
            .filter(|text| !text.trim().is_empty());
        if let Some(text) = field {
            return Some(text.to_owned());
        }
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// A refusal as any client must be able to handle it (compat): a 4xx, no token in the
    /// body, and a readable body (plain text, problem+json, `{error, error_description}`,
    /// `{error, message}`).
    pub fn expect_refusal(&self, what: &str) -> Result<(), String> {
        if !(400..500).contains(&self.status) {
            return Err(format!(
                "{what}: expected a 4xx refusal, got {}",
                self.brief()
            ));
        }
        if self.json.get("jwt").is_some_and(|jwt| !jwt.is_null()) {
            return Err(format!("{what}: a refusal carries a jwt: {}", self.brief()));
        }
        if self.error_text().is_none() {
            return Err(format!(
                "{what}: the refusal has no readable body: {}",
                self.brief()
            ));
        }
        Ok(())
    }

    /// A strict refusal: exactly `status`, an RFC 9457 problem+json body whose `code` is
    /// `code`.
    pub fn expect_problem(&self, status: u16, code: &str, what: &str) -> Result<(), String> {
        if self.status != status || self.code() != Some(code) {
            return Err(format!(
                "{what}: expected HTTP {status} `{code}`, got {}",
                self.brief()
            ));
        }
        if self.content_type() != "application/problem+json" {
            return Err(format!(
                "{what}: content type {:?}, not application/problem+json",
                self.content_type()
            ));
        }
        Ok(())
    }

    /// The refusal a check expects, at the level it runs: compat takes any readable 4xx
    /// ([`Resp::expect_refusal`]), strict exactly `status` and `code`
    /// ([`Resp::expect_problem`]).
    pub fn expect_refused(&self, strict: Option<(u16, &str)>, what: &str) -> Result<(), String> {
        self.expect_refusal(what)?;
        match strict {
            Some((status, code)) => self.expect_problem(status, code, what),
            None => Ok(()),
        }
    }
}

/// Where a charge's idempotency key goes.
#[derive(Debug, Clone, Copy)]
pub enum Idempotency<'a> {
    /// No key.
    None,
    /// The body field `idempotencyKey` (what the hosted API reads).
    Body(&'a str),
    /// The `Idempotency-Key` header only (the strict reference's extra).
    Header(&'a str),
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
    /// The quote it was confirmed from (unique per run: checks build idempotency keys
    /// from it, since the hosted API scopes keys by tool, not session).
    pub quote_id: String,
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
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
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

    /// A request to `base + path` carrying the project key when there is one: a keyed
    /// client sends it on every request, since the hosted API resolves the project of
    /// confirm, status and lnurl from it (docs/design.md §2).
    pub fn keyed(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.req(method, path);
        match &self.key {
            Some(key) => request.header(KEY_HEADER, key),
            None => request,
        }
    }

    /// `GET`, with the key when there is one.
    pub async fn get(&self, path: &str) -> Result<Resp, String> {
        self.fetch(self.keyed(Method::GET, path)).await
    }

    /// `POST` a JSON body, with the key when there is one.
    pub async fn post_json(&self, path: &str, body: &Value) -> Result<Resp, String> {
        self.fetch(self.keyed(Method::POST, path).json(body)).await
    }

    /// `POST /api/mcp/start`, with `X-LW-Public` when keyed, without it for the
    /// anonymous demo project (the 1.1+ keyless mode).
    pub async fn start_raw(&self, lightning: bool) -> Result<Resp, String> {
        let body = if lightning {
            json!({"forceLightning": true})
        } else {
            json!({})
        };
        self.post_json("/api/mcp/start", &body).await
    }

    /// `POST /api/mcp/start` with `X-LW-Public: key` (none when `None`), whatever key this
    /// client holds: how the API treats a key other than the configured one.
    pub async fn start_with_key(&self, key: Option<&str>) -> Result<Resp, String> {
        let mut request = self.req(Method::POST, "/api/mcp/start").json(&json!({}));
        if let Some(key) = key {
            request = request.header(KEY_HEADER, key);
        }
        self.fetch(request).await
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
        self.post_json("/api/mcp/confirm", body).await
    }

    /// Start, solve and confirm a PoW quote.
    pub async fn session(&self) -> Result<Session, String> {
        let quote = self.start_pow().await?;
        let (nonce, hash) = solve_quote(&quote, 0).await?;
        let resp = self.confirm(&quote.confirm_body(nonce, &hash)).await?;
        let body = resp.expect(200, "confirm")?;
        match (body["jwt"].as_str(), body["refreshToken"].as_str()) {
            (Some(jwt), Some(refresh)) => Ok(Session {
                quote_id: quote.quote_id.clone(),
                jwt: jwt.to_owned(),
                refresh_token: refresh.to_owned(),
                confirm: body.clone(),
            }),
            _ => Err(format!("confirm: no jwt/refreshToken: {}", resp.brief())),
        }
    }

    pub async fn charge(
        &self,
        jwt: &str,
        cost: u64,
        idempotency: Idempotency<'_>,
    ) -> Result<Resp, String> {
        let mut body = json!({"callCostSats": cost});
        let mut request = self.keyed(Method::POST, "/api/mcp/charge").bearer_auth(jwt);
        match idempotency {
            Idempotency::None => {}
            Idempotency::Body(key) => body["idempotencyKey"] = json!(key),
            Idempotency::Header(key) => request = request.header("Idempotency-Key", key),
        }
        self.fetch(request.json(&body)).await
    }

    pub async fn usage(&self, jwt: &str) -> Result<Resp, String> {
        self.fetch(self.keyed(Method::GET, "/api/mcp/usage").bearer_auth(jwt))
            .await
    }

    pub async fn usage_with(&self, authorization: &str) -> Result<Resp, String> {
        let value = HeaderValue::from_str(authorization)
            .map_err(|e| format!("Authorization value: {e}"))?;
        self.fetch(
            self.keyed(Method::GET, "/api/mcp/usage")
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

/// An error and its causes ("error sending request: connection closed before message
/// completed"): reqwest's own text names only the first.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
