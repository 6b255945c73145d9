//! The DNS-rebinding defence: the mock answers only requests addressed to it.
//!
//! A web page can point a name it controls at 127.0.0.1 and then call the mock from the
//! browser; the browser sends that name as `Host`. So every route (the dev endpoints
//! first of all, but a quote or a token is worth protecting too) refuses a `Host` that is
//! not an address the mock serves: `localhost`, a loopback IP, the IP the connection was
//! accepted on, or a name given with `--allow-host`; any port. A request without `Host`
//! (an in-process `oneshot`, HTTP/1.0) is served: browsers always send one.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liveauth_protocol::problem::ErrorCode;
use liveauth_serve::LocalAddr;

use crate::error::Rejection;

/// The names given with `--allow-host`, lowercase, without a trailing dot.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    pub(crate) fn new(names: &[String]) -> Self {
        Self(names.iter().map(|name| normalize(name)).collect())
    }

    /// Whether `host` (a `Host` value, port optional) names this server.
    fn allows(&self, host: &str, local: Option<IpAddr>) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if name == "localhost" || self.0.contains(&name) {
            return true;
        }
        name.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || Some(ip) == local)
    }
}

/// The name part of a `Host` value, normalized; `None` if it is not an authority.
fn host_name(host: &str) -> Option<String> {
    let authority: axum::http::uri::Authority = host.parse().ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Some(normalize(authority.host()))
}

fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Middleware: 421 `host_not_allowed` for a `Host` this server does not serve.
pub(crate) async fn check_host(
    State(allowed): State<AllowedHosts>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|value| value.to_str().unwrap_or("\u{0}"))
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let local = request
        .extensions()
        .get::<LocalAddr>()
        .map(|LocalAddr(addr)| addr.ip());
    match host {
        Some(host) if !allowed.allows(host, local) => Rejection::new(
            ErrorCode::HostNotAllowed,
            "this server does not serve that Host: use localhost or its IP address, or \
             start it with --allow-host NAME",
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_hosts_are_served() {
        let allowed = AllowedHosts::new(&["Mock.Example".to_owned()]);
        let local = Some(IpAddr::from([192, 168, 1, 5]));
        for host in [
            "localhost",
            "LOCALHOST:8402",
            "localhost.",
            "127.0.0.1",
            "127.9.9.9:1",
            "[::1]:8402",
            "[::1]",
            "192.168.1.5:8402",
            "mock.example",
            "mock.example.:80",
        ] {
            assert!(allowed.allows(host, local), "{host}");
        }
        for host in [
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
            "192.168.1.6",
            "[::2]",
            "",
            "user@localhost",
            "local host",
            "\u{0}",
        ] {
            assert!(!allowed.allows(host, local), "{host}");
        }
        assert!(!allowed.allows("192.168.1.5", None));
    }
}
