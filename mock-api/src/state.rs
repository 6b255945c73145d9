//! The app state: one `Clone` struct of `Arc`s handed to every handler. Keys, clock and
//! randomness live here (never in globals), so a seeded app with a manual clock answers
//! byte-identically.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};

use liveauth_protocol::bundle::BundleKey;
use liveauth_protocol::problem::ErrorCode;
use liveauth_protocol::wire::ConfirmResponse;
use sha2::{Digest, Sha256};

use crate::budget::Budget;
use crate::bundle::Bundles;
use crate::clock::{Clock, MANUAL_CLOCK_START};
use crate::config::{Config, Project};
use crate::error::Rejection;
use crate::hosted_token::AccessTokens;
use crate::lightning::LightningNode;
use crate::profile::ChallengeSigning;
use crate::ratelimit::ClientLimiter;
use crate::receipts::ReceiptKeys;
use crate::rng::Rng;
use crate::store::{MemoryStore, Session, SessionInfo, Store, TokenHash};
use crate::token::{AccessClaims, TokenIssuer};

/// The detail of a token a later refresh retired (hosted: charge says `Unknown token`,
/// usage `No active session found`).
pub(crate) const RETIRED_TOKEN: &str = "a newer access token of this session replaced this one";

/// The detail of a token whose session has ended (hosted: `Token expired`).
pub(crate) const SESSION_ENDED: &str = "the session of this token has ended: authenticate again";

/// How often (in app time) expired state is swept.
const PURGE_EVERY_SECS: i64 = 60;

#[derive(Clone, Debug)]
pub struct AppState {
    pub config: Arc<Config>,
    pub projects: Arc<[Project]>,
    pub clock: Clock,
    pub rng: Rng,
    pub keys: Arc<Keys>,
    pub store: Arc<dyn Store>,
    pub(crate) limiter: Arc<ClientLimiter>,
    pub(crate) bundles: Arc<Bundles>,
    last_purge: Arc<AtomicI64>,
}

/// The mock's secrets, all drawn from the app's RNG at start.
#[derive(Debug)]
pub struct Keys {
    pub challenges: ChallengeSigning,
    /// The strict EdDSA issuer (and the JWKS it publishes).
    pub tokens: TokenIssuer,
    /// The profile's access tokens: [`Keys::tokens`] in strict, HS256 in hosted.
    pub access: AccessTokens,
    pub node: LightningNode,
    /// Root key of the L402 macaroons the mock mints.
    pub macaroon_root: [u8; 32],
    /// Receipt signing keys and the published key set.
    pub receipts: ReceiptKeys,
    /// Key of the L402 bundle macaroons (`Config::bundle_key`, else derived from
    /// `macaroon_root`: no extra draw, so every other seeded value stays as it was).
    pub bundle: BundleKey,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        let store = MemoryStore::with_limits(config.limits);
        Self::with_store(config, Arc::new(store))
    }

    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Self {
        let rng = config.seed.map_or_else(Rng::from_entropy, Rng::from_seed);
        let clock = if config.manual_clock {
            Clock::manual(MANUAL_CLOCK_START)
        } else {
            Clock::system()
        };
        let challenges = config.profile.challenge_signer(rng.bytes());
        // One draw for both formats, so the strict profile's keys stay what they were.
        let token_seed = rng.bytes();
        let tokens = TokenIssuer::new(token_seed, config.issuer.clone(), config.audience.clone());
        let node = LightningNode::from_seed(rng.bytes(), config.network);
        let macaroon_root: [u8; 32] = rng.bytes();
        let bundle = config.bundle_key.clone().unwrap_or_else(|| {
            let mut derived = Sha256::new();
            derived.update(b"liveauth-mock bundle macaroon key\0");
            derived.update(macaroon_root);
            BundleKey::from_bytes(derived.finalize().into())
        });
        let keys = Keys {
            challenges,
            access: config.profile.access_tokens(token_seed, &tokens),
            tokens,
            node,
            // Derived, not drawn: every later seeded value stays what it was.
            receipts: ReceiptKeys::new(&config.receipts, &macaroon_root),
            macaroon_root,
            bundle,
        };
        let client_rate = config.client_rate;
        let config_limits_bundles = config.limits.bundles;
        Self {
            projects: config.all_projects().into(),
            config: Arc::new(config),
            clock,
            rng,
            keys: Arc::new(keys),
            store,
            limiter: Arc::new(ClientLimiter::new(client_rate)),
            bundles: Arc::new(Bundles::new(config_limits_bundles)),
            last_purge: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn demo_project(&self) -> &Project {
        // `Config::all_projects` always puts the demo project first.
        &self.projects[0]
    }

    /// The project an `X-LW-Public` key names: 401 if empty or unknown. (An absent header
    /// is the demo project; start decides that before asking here.)
    pub fn project_for_key(&self, key: Option<&str>) -> Result<&Project, Rejection> {
        let key = key.filter(|k| !k.is_empty()).ok_or_else(|| {
            Rejection::new(
                ErrorCode::MissingProjectKey,
                "send your project key as `X-LW-Public: la_pk_…`, or no X-LW-Public header \
                 for the anonymous demo project",
            )
        })?;
        self.projects
            .iter()
            .find(|p| p.public_key == key)
            .ok_or_else(|| {
                Rejection::new(
                    ErrorCode::UnknownProject,
                    "X-LW-Public names no known project",
                )
            })
    }

    /// Refuses a sent `X-LW-Public` that is not `project_id`'s key: endpoints that find the
    /// project another way (quote, token, refresh token) still refuse a wrong key.
    pub fn check_sent_key(&self, key: Option<&str>, project_id: &str) -> Result<(), Rejection> {
        let Some(key) = key else { return Ok(()) };
        if self
            .projects
            .iter()
            .any(|p| p.id == project_id && p.public_key == key)
        {
            return Ok(());
        }
        Err(Rejection::new(
            ErrorCode::ProjectMismatch,
            "X-LW-Public names another project than this request's",
        ))
    }

    /// The key check of confirm, status and lnurl, which name a quote: the hosted API finds
    /// their project from `X-LW-Public`, or takes the anonymous demo project when none is
    /// sent, so a keyless request for a keyed project's quote finds nothing (404 there);
    /// strict finds the project from the quote and refuses only a wrong sent key.
    pub fn check_quote_key(&self, key: Option<&str>, project_id: &str) -> Result<(), Rejection> {
        if key.is_none()
            && self.config.profile.resolves_quotes_by_key()
            && project_id != self.demo_project().id
        {
            return Err(Rejection::new(
                ErrorCode::ProjectMismatch,
                "without X-LW-Public the request is the demo project's, and this quote is \
                 another project's",
            ));
        }
        self.check_sent_key(key, project_id)
    }

    /// Checks a token's signature and claims, and that its session still exists.
    pub fn verify_access_token(&self, token: &str) -> Result<AccessClaims, Rejection> {
        let claims = self.keys.access.verify(token, self.now())?;
        let retires = self.config.profile.retires_previous_tokens();
        let mut retired = false;
        if !self.store.update_session(&claims.sub, &mut |session| {
            retired = retires && session.current_jti != claims.jti;
        }) {
            return Err(Rejection::Token(
                ErrorCode::TokenInvalid,
                SESSION_ENDED.into(),
            ));
        }
        if retired {
            return Err(Rejection::Token(
                ErrorCode::TokenInvalid,
                RETIRED_TOKEN.into(),
            ));
        }
        Ok(claims)
    }

    /// Opens a session of `ttl_secs` for `project`: a fresh budget (`budget_sats` a day,
    /// else the configured one), an access token and the first refresh token of a new
    /// family; nothing if the store is full.
    pub fn open_session(
        &self,
        session_id: String,
        project: &Project,
        auth_type: &str,
        ttl_secs: u64,
        budget_sats: Option<u64>,
    ) -> Result<ConfirmResponse, Rejection> {
        let now = self.now();
        let config = &self.config;
        let max_sats = budget_sats.unwrap_or(config.max_sats_per_day);
        let mut budget = Budget::new(max_sats, config.max_calls_per_minute, now);
        budget.limits_calls_per_minute = config.profile.limits_calls_per_minute();
        let session = Session {
            id: session_id,
            project_id: project.id.clone(),
            created_at: now,
            expires_at: now.saturating_add(secs(ttl_secs)),
            budget,
            idempotency: Default::default(),
            current_jti: String::new(),
            caller_balance_sats: 0,
            payments: Default::default(),
        };
        let mut session = session;
        let (jwt, expires_in, jti) = self.access_token(&session.info(), now, auth_type)?;
        session.current_jti = jti;
        let refresh_token = self.new_refresh_token();
        let (id, expires_at) = (session.id.clone(), session.expires_at);
        let remaining = session.budget.remaining_sats();
        // The session first: a refused one leaves no refresh family behind.
        self.store.insert_session(session)?;
        self.store
            .insert_refresh(refresh_hash(&refresh_token), &id, expires_at);
        Ok(ConfirmResponse {
            jwt: Some(jwt),
            expires_in: Some(expires_in),
            remaining_budget_sats: Some(remaining),
            refresh_token: Some(refresh_token),
            payment_status: None,
        })
    }

    /// An access token for the session, its lifetime and its `jti`; never outlives the
    /// session.
    pub fn access_token(
        &self,
        session: &SessionInfo,
        now: i64,
        auth_type: &str,
    ) -> Result<(String, u64, String), Rejection> {
        let exp = now
            .saturating_add(secs(self.config.jwt_ttl_secs))
            .min(session.expires_at);
        let claims = AccessClaims {
            iss: self.config.issuer.clone(),
            aud: self.config.audience.clone(),
            sub: session.id.clone(),
            iat: now,
            nbf: now,
            exp,
            jti: self.config.profile.new_token_id(&self.rng),
            max_sats_per_day: session.max_sats_per_day,
            max_calls_per_minute: session.max_calls_per_minute,
            project_id: session.project_id.clone(),
        };
        let jwt = self
            .keys
            .access
            .issue(&claims, auth_type)
            .map_err(|error| {
                Rejection::new(
                    ErrorCode::InternalError,
                    format!("could not sign a token: {error}"),
                )
            })?;
        Ok((jwt, u64::try_from(exp - now).unwrap_or(0), claims.jti))
    }

    /// A new refresh token in the profile's form.
    pub fn new_refresh_token(&self) -> String {
        self.config.profile.new_refresh_token(&self.rng)
    }

    /// Sweeps expired state at most once per [`PURGE_EVERY_SECS`] of app time.
    pub fn maybe_purge(&self) {
        self.purger().tick();
    }

    /// Purges on a timer, whatever paths requests take (issue 12: purging only inside
    /// start and confirm let other traffic keep everything). Needs a Tokio runtime (else
    /// nothing is spawned and requests still purge); the task holds the state weakly and
    /// ends once the app is dropped.
    pub fn spawn_purger(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let purger = self.purger().downgrade();
        runtime.spawn(async move {
            let mut interval = tokio::time::interval(PURGE_TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let Some(purger) = purger.upgrade() else {
                    return;
                };
                purger.tick();
            }
        });
    }

    fn purger(&self) -> StrongPurger {
        Purger {
            store: Arc::clone(&self.store),
            limiter: Arc::clone(&self.limiter),
            bundles: Arc::clone(&self.bundles),
            clock: self.clock.clone(),
            last_purge: Arc::clone(&self.last_purge),
        }
    }
}

/// How often (in real time) the timer looks whether a purge is due (in app time).
const PURGE_TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// A request's purger.
type StrongPurger = Purger<Arc<dyn Store>, Arc<ClientLimiter>, Arc<Bundles>>;
/// The timer's purger, which must not keep the app alive.
type WeakPurger = Purger<Weak<dyn Store>, Weak<ClientLimiter>, Weak<Bundles>>;

/// What a purge needs, held strongly (a request's) or weakly (the timer's).
struct Purger<S, L, B> {
    store: S,
    limiter: L,
    bundles: B,
    clock: Clock,
    last_purge: Arc<AtomicI64>,
}

impl StrongPurger {
    fn tick(&self) {
        let now = self.clock.now();
        let last = self.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= PURGE_EVERY_SECS
            && self
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.store.purge(now);
            self.limiter.purge(now);
            self.bundles.purge(now);
        }
    }

    fn downgrade(self) -> WeakPurger {
        Purger {
            store: Arc::downgrade(&self.store),
            limiter: Arc::downgrade(&self.limiter),
            bundles: Arc::downgrade(&self.bundles),
            clock: self.clock,
            last_purge: self.last_purge,
        }
    }
}

impl WeakPurger {
    fn upgrade(&self) -> Option<StrongPurger> {
        Some(Purger {
            store: self.store.upgrade()?,
            limiter: self.limiter.upgrade()?,
            bundles: self.bundles.upgrade()?,
            clock: self.clock.clone(),
            last_purge: Arc::clone(&self.last_purge),
        })
    }
}

pub(crate) fn refresh_hash(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

pub(crate) fn secs(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
