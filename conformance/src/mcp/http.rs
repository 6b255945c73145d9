//! `--mcp-url`: rmcp's Streamable HTTP client transport over the workspace's reqwest
//! (rmcp's own client for it needs another reqwest major version). Small on purpose: a
//! POST answered with JSON or with an SSE stream (read whole: the server ends the stream
//! once it has answered), `Mcp-Session-Id`, the bearer token; no standalone GET stream
//! (the server's notifications then arrive with the answers they belong to).

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
};
use sse_stream::{Sse, SseStream};

const SESSION_HEADER: &str = "Mcp-Session-Id";

/// The workspace's HTTP client, as rmcp's Streamable HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Http(pub(crate) reqwest::Client);

type Failure = StreamableHttpError<reqwest::Error>;

fn request(
    mut request: reqwest::RequestBuilder,
    session_id: Option<&str>,
    auth_header: Option<String>,
    custom_headers: HashMap<HeaderName, HeaderValue>,
) -> reqwest::RequestBuilder {
    if let Some(token) = auth_header {
        request = request.bearer_auth(token);
    }
    for (name, value) in custom_headers {
        request = request.header(name, value);
    }
    match session_id {
        Some(id) => request.header(SESSION_HEADER, id),
        None => request,
    }
}

/// The SSE events of a whole body.
fn events(body: bytes::Bytes) -> BoxStream<'static, Result<Sse, SseError>> {
    let chunk = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    SseStream::from_bytes_stream(chunk).boxed()
}

impl StreamableHttpClient for Http {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let post = self
            .0
            .post(uri.as_ref())
            .header(ACCEPT, "application/json, text/event-stream")
            .json(&message);
        let response = request(post, session_id.as_deref(), auth_header, custom_headers)
            .send()
            .await
            .map_err(StreamableHttpError::Client)?;
        let status = response.status();
        if status == reqwest::StatusCode::ACCEPTED || status == reqwest::StatusCode::NO_CONTENT {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if status == reqwest::StatusCode::NOT_FOUND && session_id.is_some() {
            return Err(StreamableHttpError::SessionExpired);
        }
        let session = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .bytes()
            .await
            .map_err(StreamableHttpError::Client)?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>();
            return Err(StreamableHttpError::UnexpectedServerResponse(
                format!("HTTP {status}: {text}").into(),
            ));
        }
        match content_type.as_deref() {
            Some(ct) if ct.starts_with("text/event-stream") => {
                Ok(StreamableHttpPostResponse::Sse(events(body), session))
            }
            Some(ct) if ct.starts_with("application/json") => Ok(StreamableHttpPostResponse::Json(
                serde_json::from_slice(&body)?,
                session,
            )),
            other => Err(StreamableHttpError::UnexpectedContentType(
                other.map(str::to_owned),
            )),
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Failure> {
        let delete = self.0.delete(uri.as_ref());
        request(delete, Some(&session_id), auth_header, custom_headers)
            .send()
            .await
            .map_err(StreamableHttpError::Client)?;
        Ok(())
    }

    async fn get_stream(
        &self,
        _uri: Arc<str>,
        _session_id: Option<Arc<str>>,
        _last_event_id: Option<String>,
        _auth_header: Option<String>,
        _custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        Err(StreamableHttpError::ServerDoesNotSupportSse)
    }
}
