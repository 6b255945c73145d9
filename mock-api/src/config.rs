//! What the mock serves: projects, prices, lifetimes, budgets, network and determinism.

use std::str::FromStr;

use liveauth_protocol::bundle::BundleKey;
use sha2::{Digest, Sha256};

use crate::lightning::Network;
use crate::limits::Limits;
use crate::profile::Profile;

/// The demo project's public key (clients without a key start at the demo endpoint).
pub const DEMO_PUBLIC_KEY: &str = "la_pk_demo";

/// A project that may start sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// A UUID derived from the key, so it is stable across restarts.
    pub id: String,
    pub public_key: String,
    pub price_sats: u64,
    /// Demo payments are simulated: the invoice settles by itself after a delay.
    pub demo: bool,
}

impl Project {
    pub fn new(public_key: &str, price_sats: u64, demo: bool) -> Self {
        let digest: [u8; 32] = Sha256::digest(public_key.as_bytes()).into();
        let mut first = [0; 16];
        first.copy_from_slice(&digest[..16]);
        let id = liveauth_protocol::codec::format_uuid(&first);
        Self {
            id,
            public_key: public_key.to_owned(),
            price_sats,
            demo,
        }
    }
}

/// `KEY[:PRICE_SATS]` as given to `--project`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectSpec {
    pub public_key: String,
    pub price_sats: Option<u64>,
}

impl FromStr for ProjectSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key, price) = match s.split_once(':') {
            Some((key, price)) => {
                let price = price
                    .parse()
                    .map_err(|_| format!("price {price:?} is not a number"))?;
                (key, Some(price))
            }
            None => (s, None),
        };
        let valid = key.starts_with("la_pk_")
            && key.len() > 6
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!(
                "project key {key:?} must look like la_pk_[A-Za-z0-9_-]+"
            ));
        }
        if key == DEMO_PUBLIC_KEY {
            return Err(format!(
                "{DEMO_PUBLIC_KEY} is the demo project; pick another key"
            ));
        }
        Ok(Self {
            public_key: key.to_owned(),
            price_sats: price,
        })
    }
}

liveauth_protocol::text_enum! {
    /// How `invoice.paymentHash` is written (`--payment-hash-encoding`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum PaymentHashEncoding as "encoding" {
        /// 64 lowercase hex: the current hosted backend.
        #[default]
        Hex = "hex",
        /// Standard base64 (LND's `r_hash`): the older hosted backend.
        Base64 = "base64",
    }
}

impl PaymentHashEncoding {
    pub fn encode(self, hash: &[u8; 32]) -> String {
        match self {
            Self::Hex => liveauth_protocol::codec::encode_hex(hash),
            Self::Base64 => liveauth_protocol::codec::encode_base64(hash),
        }
    }
}

/// Everything `app` needs; `Default` matches the CLI's defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which API the mock behaves like (default: hosted).
    pub profile: Profile,
    /// How `invoice.paymentHash` is written.
    pub payment_hash_encoding: PaymentHashEncoding,
    pub difficulty_bits: u32,
    pub challenge_ttl_secs: u64,
    pub jwt_ttl_secs: u64,
    pub session_ttl_secs: u64,
    pub invoice_ttl_secs: u64,
    pub max_sats_per_day: u64,
    pub max_calls_per_minute: u32,
    /// Price of the demo project's Lightning quotes.
    pub demo_price_sats: u64,
    /// Price of projects given without one.
    pub default_price_sats: u64,
    pub projects: Vec<ProjectSpec>,
    pub network: Network,
    pub demo_settle_after_secs: u64,
    /// Deterministic keys and randomness.
    pub seed: Option<u64>,
    /// Time moves only through `POST /api/dev/clock/advance`.
    pub manual_clock: bool,
    pub dev_endpoints: bool,
    /// Seconds a request may take before it is answered 408.
    pub request_timeout_secs: u64,
    /// Timeouts, the connection cap and the head bound of [`crate::serve`].
    pub connection_limits: liveauth_serve::Limits,
    /// Host names served besides `localhost`, loopback IPs and the listening IP
    /// (`--allow-host`); any other `Host` is answered 421.
    pub allowed_hosts: Vec<String>,
    /// `iss` and `aud` of access tokens.
    pub issuer: String,
    pub audience: String,
    /// Caps on quotes, 402 challenges, sessions and idempotency records.
    pub limits: Limits,
    /// Lifetime of a session bought by a demo payment that settled by itself (nobody
    /// paid): short, so free sessions do not pile up (docs/decisions.md).
    pub demo_session_ttl_secs: u64,
    /// Calls of the demo resource one paid L402/x402 credential opens (the hosted
    /// pay-per-call token's allowance: 1).
    pub calls_per_payment: u32,
    /// Starts and 402 answers per client address and minute.
    pub client_rate: ClientRate,
    /// How accepted charges' receipts are signed.
    pub receipts: crate::receipts::ReceiptConfig,
    /// The key of L402 bundle macaroons (`--bundle-macaroon-secret`); `None` derives one
    /// from the mock's other keys (so from the seed). Its `Debug` is redacted.
    pub bundle_key: Option<BundleKey>,
    /// Caller-funded charges (LiveAuth 1.3; `--no-caller-funding` turns them off, as an
    /// older backend that ignores `fundingMode`).
    pub caller_funding: bool,
}

/// The per-client rate limit on starts and on 402 challenges (`--client-rate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRate {
    /// Requests per client address in a fixed minute; 0 turns the limit off.
    pub per_minute: u32,
    /// Whether loopback clients are limited too (off, so local load tests run).
    pub loopback: bool,
}

impl Default for ClientRate {
    fn default() -> Self {
        Self {
            per_minute: 600,
            loopback: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            profile: Profile::default(),
            payment_hash_encoding: PaymentHashEncoding::default(),
            difficulty_bits: 18,
            challenge_ttl_secs: 300,
            jwt_ttl_secs: 600,
            session_ttl_secs: 24 * 3600,
            invoice_ttl_secs: 600,
            max_sats_per_day: 10_000,
            max_calls_per_minute: 60,
            demo_price_sats: 3,
            default_price_sats: 50,
            projects: Vec::new(),
            network: Network::Regtest,
            demo_settle_after_secs: 2,
            seed: None,
            manual_clock: false,
            dev_endpoints: true,
            request_timeout_secs: 10,
            connection_limits: liveauth_serve::Limits::default(),
            allowed_hosts: Vec::new(),
            issuer: "https://mock.liveauth.invalid".to_owned(),
            audience: "liveauth-api".to_owned(),
            limits: Limits::default(),
            demo_session_ttl_secs: 3600,
            calls_per_payment: 1,
            client_rate: ClientRate::default(),
            receipts: crate::receipts::ReceiptConfig::default(),
            bundle_key: None,
            caller_funding: true,
        }
    }
}

impl Config {
    /// The demo project followed by the configured ones.
    pub fn all_projects(&self) -> Vec<Project> {
        let demo = Project::new(DEMO_PUBLIC_KEY, self.demo_price_sats, true);
        let others = self.projects.iter().map(|spec| {
            Project::new(
                &spec.public_key,
                spec.price_sats.unwrap_or(self.default_price_sats),
                false,
            )
        });
        std::iter::once(demo).chain(others).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_specs() {
        assert_eq!(
            "la_pk_shop:21".parse::<ProjectSpec>(),
            Ok(ProjectSpec {
                public_key: "la_pk_shop".into(),
                price_sats: Some(21)
            })
        );
        assert_eq!(
            "la_pk_shop".parse::<ProjectSpec>().unwrap().price_sats,
            None
        );
        for bad in ["shop", "la_pk_", "la_pk_a b", "la_pk_x:abc", "la_pk_demo"] {
            assert!(bad.parse::<ProjectSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn project_ids_are_stable_uuids() {
        let a = Project::new("la_pk_x", 1, false);
        assert_eq!(a.id, Project::new("la_pk_x", 9, false).id);
        assert_eq!(a.id.len(), 36);
        assert_ne!(a.id, Project::new("la_pk_y", 1, false).id);
    }
}
