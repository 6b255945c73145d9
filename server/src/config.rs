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
    /// `None` is demo mode: the demo start endpoint, and no key is sent.
    pub api_key: Option<String>,
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
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Settings {
    /// `demo` (flag or `LIVEAUTH_DEMO=true`) forces demo mode even when a key is set; an
    /// empty key counts as none.
    pub fn new(api_base: Option<String>, api_key: Option<String>, demo: bool) -> Self {
        let api_key = api_key
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty() && !demo);
        Self {
            api_base: api_base.unwrap_or_else(|| DEFAULT_API_BASE.to_owned()),
            api_key,
            timeout: DEFAULT_TIMEOUT,
        }
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
