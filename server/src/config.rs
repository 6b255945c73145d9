//! Where the server sends its API calls, with which key, and how long it waits.

use std::time::Duration;

/// The hosted LiveAuth API, as in the seed.
pub const DEFAULT_API_BASE: &str = "https://api.liveauth.app";

/// How long one API call may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The resolved configuration: flags win over environment variables.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub api_base: String,
    /// `None`: anonymous (the API's demo project, real PoW) or the legacy demo; no key is
    /// sent.
    pub api_key: Option<String>,
    /// `LIVEAUTH_DEMO=true` / `--demo`: the legacy demo start endpoint, no key sent.
    pub legacy_demo: bool,
    pub timeout: Duration,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("api_base", &self.api_base)
            .field(
                "api_key",
                &self.api_key.as_deref().map(crate::redact::mask_secret),
            )
            .field("legacy_demo", &self.legacy_demo)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Settings {
    /// `demo` (flag or `LIVEAUTH_DEMO=true`) selects the legacy demo, even when a key is
    /// set (no key is sent then, as in the npm server); an empty key counts as none.
    pub fn new(api_base: Option<String>, api_key: Option<String>, demo: bool) -> Self {
        let api_key = api_key
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty() && !demo);
        Self {
            api_base: api_base.unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
            api_key,
            legacy_demo: demo,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The API client these settings describe.
    pub fn client(&self) -> Result<crate::api::ApiClient, crate::api::ConfigError> {
        let client =
            crate::api::ApiClient::new(&self.api_base, self.api_key.clone(), self.timeout)?;
        Ok(if self.legacy_demo {
            client.legacy_demo()
        } else {
            client
        })
    }

    pub fn is_demo(&self) -> bool {
        self.api_key.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_mode_rules() {
        assert!(Settings::new(None, None, false).is_demo());
        assert!(Settings::new(None, Some(" ".into()), false).is_demo());
        assert!(Settings::new(None, Some("la_pk_x".into()), true).is_demo());
        assert!(Settings::new(None, None, true).legacy_demo);
        assert!(!Settings::new(None, None, false).legacy_demo);
        assert!(
            Settings::new(None, None, true)
                .client()
                .unwrap()
                .is_legacy_demo()
        );
        let keyed = Settings::new(
            Some("http://x".into()),
            Some("la_pk_secret123".into()),
            false,
        );
        assert_eq!(keyed.api_key.as_deref(), Some("la_pk_secret123"));
        assert!(!format!("{keyed:?}").contains("secret123"));
        assert_eq!(Settings::new(None, None, false).api_base, DEFAULT_API_BASE);
    }
}
