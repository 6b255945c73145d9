//! Errors on the wire. Compat: every refusal is a 4xx with a body a client can read
//! (plain text, ASP.NET problem+json, `{error, error_description}`, `{error, message}`),
//! never a 5xx. Strict: RFC 9457 problem+json with a stable `code` everywhere, the
//! `{error, error_description}` fields beside it, 404, 405, 413; and the meta endpoints.

use reqwest::Method;
use serde_json::json;

use crate::client::{Api, Resp, solve_quote};
use crate::quotes::is_nonempty_str;
use crate::{CheckResult, Ctx, Outcome, ensure};

/// What the compat level asks of an error sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compat {
    /// A 4xx with a readable body ([`Resp::expect_refusal`]).
    Readable,
    /// Exactly the strict status; the body may be empty (hosted routing answers unknown
    /// paths and methods before any controller).
    StatusOnly,
    /// Not held at compat: the hosted API answers it otherwise (a 70 KB body is within
    /// its limits; it reads a leading-zero nonce as a number).
    No,
}

/// One error answer and what each level expects of it.
struct Sample {
    what: &'static str,
    status: u16,
    code: &'static str,
    compat: Compat,
    resp: Resp,
}

/// Error answers for a spread of failures, each with the status and code docs/design.md and
/// docs/decisions.md give it.
async fn error_samples(ctx: &Ctx) -> Result<Vec<Sample>, String> {
    let api = &ctx.api;
    let mut out = Vec::new();
    let mut push = |what, status, code, compat, resp| {
        out.push(Sample {
            what,
            status,
            code,
            compat,
            resp,
        });
    };
    let unknown_quote = "00000000-0000-4000-8000-000000000000";
    push(
        "confirm of an unknown quote",
        404,
        "quote_not_found",
        Compat::Readable,
        api.confirm(&json!({"quoteId": unknown_quote})).await?,
    );
    push(
        "status of an unknown quote",
        404,
        "quote_not_found",
        Compat::Readable,
        api.get(&format!("/api/mcp/status/{unknown_quote}")).await?,
    );
    push(
        "start with an empty key",
        401,
        "missing_project_key",
        Compat::Readable,
        api.start_with_key(Some("")).await?,
    );
    push(
        "start with an unknown key",
        401,
        "unknown_project",
        Compat::Readable,
        api.start_with_key(Some("la_pk_conformance_unknown_project"))
            .await?,
    );
    let quote = api.start_pow().await?;
    let (nonce, hash) = solve_quote(&quote, 0).await?;
    let mut forged = quote.confirm_body(nonce, &hash);
    forged["sig"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    push(
        "a forged sig",
        422,
        "signature_invalid",
        Compat::Readable,
        api.confirm(&forged).await?,
    );
    let mut bad_nonce = quote.confirm_body(nonce, &hash);
    bad_nonce["nonce"] = json!(format!("0{nonce}"));
    push(
        "a leading-zero nonce",
        400,
        "nonce_invalid",
        Compat::No,
        api.confirm(&bad_nonce).await?,
    );
    api.confirm(&quote.confirm_body(nonce, &hash))
        .await?
        .expect(200, "confirm")?;
    push(
        "a second confirm",
        409,
        "already_confirmed",
        Compat::Readable,
        api.confirm(&quote.confirm_body(nonce, &hash)).await?,
    );
    push(
        "a body that is not JSON",
        400,
        "bad_request",
        Compat::Readable,
        refresh_with(api, "application/json", "{not json").await?,
    );
    push(
        "a text/plain body",
        415,
        "unsupported_media_type",
        Compat::Readable,
        refresh_with(api, "text/plain", "{}").await?,
    );
    push(
        "a refresh token never issued",
        400,
        "invalid_grant",
        Compat::Readable,
        api.refresh("la_rt_conformance-never-issued").await?,
    );
    push(
        "usage without a token",
        401,
        "token_missing",
        Compat::Readable,
        api.get("/api/mcp/usage").await?,
    );
    push(
        "an unknown path",
        404,
        "not_found",
        Compat::StatusOnly,
        api.get("/api/conformance/no-such-endpoint").await?,
    );
    push(
        "GET on a POST endpoint",
        405,
        "method_not_allowed",
        Compat::StatusOnly,
        api.get("/api/mcp/confirm").await?,
    );
    push(
        "a 70 KB body",
        413,
        "payload_too_large",
        Compat::No,
        api.fetch(oversized(api)).await?,
    );
    Ok(out)
}

fn oversized(api: &crate::client::Api) -> reqwest::RequestBuilder {
    let body = json!({"quoteId": "x".repeat(70 * 1024)});
    api.req(Method::POST, "/api/mcp/confirm").json(&body)
}

pub(crate) async fn readable(ctx: &Ctx) -> CheckResult {
    for sample in error_samples(ctx).await? {
        let (what, resp) = (sample.what, &sample.resp);
        match sample.compat {
            Compat::Readable => resp.expect_refusal(what)?,
            Compat::StatusOnly => ensure!(
                resp.status == sample.status,
                "{what}: expected HTTP {}, got {}",
                sample.status,
                resp.brief()
            ),
            Compat::No => ensure!(
                resp.status < 500,
                "{what}: a client mistake answered {}",
                resp.brief()
            ),
        }
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn problem_json(ctx: &Ctx) -> CheckResult {
    for Sample {
        what,
        status,
        code,
        resp,
        ..
    } in error_samples(ctx).await?
    {
        resp.expect_problem(status, code, what)?;
        let body = &resp.json;
        ensure!(
            body["status"] == status,
            "{what}: status member {} != {status}",
            body["status"]
        );
        ensure!(
            is_nonempty_str(&body["type"]) && is_nonempty_str(&body["title"]),
            "{what}: no type/title: {body}"
        );
        ensure!(body["detail"].is_string(), "{what}: no detail: {body}");
        ensure!(
            body["error"] == body["code"],
            "{what}: error != code: {body}"
        );
        ensure!(
            body["error_description"] == body["detail"],
            "{what}: error_description != detail: {body}"
        );
    }
    Ok(Outcome::Pass)
}

pub(crate) async fn oversized_body(ctx: &Ctx) -> CheckResult {
    let resp = ctx.api.fetch(oversized(&ctx.api)).await?;
    resp.expect_problem(413, "payload_too_large", "a 70 KB body")?;
    Ok(Outcome::Pass)
}

pub(crate) async fn unknown_route(ctx: &Ctx) -> CheckResult {
    let resp = ctx.api.get("/api/conformance/no-such-endpoint").await?;
    resp.expect_problem(404, "not_found", "an unknown path")?;
    ensure!(
        resp.content_type() == "application/problem+json",
        "content type {:?}",
        resp.content_type()
    );
    Ok(Outcome::Pass)
}

pub(crate) async fn healthz_and_openapi(ctx: &Ctx) -> CheckResult {
    let health = ctx.api.get("/healthz").await?;
    ensure!(
        health.expect(200, "healthz")?["status"] == "ok",
        "healthz: {}",
        health.brief()
    );
    let openapi = ctx.api.get("/openapi.json").await?;
    let doc = openapi.expect(200, "openapi.json")?;
    ensure!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "not OpenAPI 3.1: {}",
        doc["openapi"]
    );
    for path in [
        "/api/mcp/start",
        "/api/public/demo/start",
        "/api/mcp/confirm",
        "/api/mcp/charge",
        "/api/mcp/status/{quoteId}",
        "/api/mcp/lnurl/{quoteId}",
        "/api/mcp/usage",
        "/api/mcp/refresh",
        "/.well-known/jwks.json",
        "/api/demo/resource",
    ] {
        ensure!(
            doc["paths"].get(path).is_some(),
            "openapi.json lacks {path}"
        );
    }
    Ok(Outcome::Pass)
}

/// `POST /api/mcp/refresh` with this `Content-Type` and raw body.
async fn refresh_with(api: &Api, content_type: &str, body: &'static str) -> Result<Resp, String> {
    api.fetch(
        api.req(Method::POST, "/api/mcp/refresh")
            .header("content-type", content_type)
            .body(body),
    )
    .await
}
