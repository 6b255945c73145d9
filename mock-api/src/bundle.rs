//! L402 bundles (facts §2.7, §2.8): prepaid calls bought with one invoice, claimed as a
//! macaroon, spent one per confirm of a `forceL402` quote.
//!
//! A bundle is born `pending` with its invoice, becomes `active` on its first claim after
//! payment (the dev settle route pays it, as any mock invoice), and is `depleted` when
//! its last call is spent. [`Bundles`] keeps them under one mutex (every operation is a
//! few map lookups, never held across an `.await`), at most `Limits::bundles` of them
//! per project and in total; a purge drops a pending bundle once its invoice is past
//! the quote grace time, and an active one once it has expired.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use liveauth_protocol::bundle::{BUNDLE_VALID_DAYS, BundleTier};

use crate::limits::{Cap, Full, Held};
use crate::store::QUOTE_GRACE_SECS;

/// Where a bundle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BundleState {
    Pending,
    Active,
    Depleted,
}

impl BundleState {
    /// The hosted API's name for it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Depleted => "depleted",
        }
    }
}

/// One bundle and its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bundle {
    pub id: String,
    pub project_id: String,
    pub tier: BundleTier,
    /// The tier as the client spelled it (the hosted response echoes it).
    pub tier_sent: String,
    pub agent_id: String,
    /// `paymentHash` as the invoice response wrote it.
    pub payment_hash_text: String,
    pub payment_hash: [u8; 32],
    pub preimage: [u8; 32],
    pub paid_at: Option<i64>,
    pub state: BundleState,
    pub remaining_calls: u64,
    /// The invoice's expiry while pending; claim time + 90 days once active.
    pub expires_at: i64,
}

/// Why a bundle call could not be spent; nothing changed. The texts are the hosted
/// API's 402 `message`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpendRefused {
    NotFound,
    OtherProject,
    NotActive(BundleState),
    Depleted,
    Expired,
}

impl SpendRefused {
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::NotFound => "Bundle not found".to_owned(),
            Self::OtherProject => "Bundle belongs to another project".to_owned(),
            Self::NotActive(state) => format!("Bundle not active (status: {})", state.as_str()),
            Self::Depleted => "Bundle depleted".to_owned(),
            Self::Expired => "Macaroon expired".to_owned(),
        }
    }
}

/// Why a claim found nothing to give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimRefused {
    NotFound,
    OtherProject,
    Unpaid,
}

/// Every bundle, capped per project and in total.
#[derive(Debug)]
pub(crate) struct Bundles {
    cap: Cap,
    book: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    by_id: HashMap<String, Bundle>,
    /// Payment hash → bundle id (the settle route and claims find a bundle by it).
    by_payment: HashMap<[u8; 32], String>,
    /// Bundles held per project id.
    per_project: HashMap<String, usize>,
}

impl Bundles {
    pub(crate) fn new(cap: Cap) -> Self {
        Self {
            cap,
            book: Mutex::default(),
        }
    }

    /// Every operation leaves the book consistent before it could panic.
    fn lock(&self) -> MutexGuard<'_, Book> {
        self.book
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Keeps a new bundle unless its project or the server holds as many as allowed.
    pub(crate) fn insert(&self, bundle: Bundle) -> Result<(), Full> {
        let mut book = self.lock();
        let held = book
            .per_project
            .get(&bundle.project_id)
            .copied()
            .unwrap_or(0);
        if held >= self.cap.per_project {
            return Err(Full::Project(Held::Bundle));
        }
        if book.by_id.len() >= self.cap.total {
            return Err(Full::Total(Held::Bundle));
        }
        *book
            .per_project
            .entry(bundle.project_id.clone())
            .or_default() += 1;
        book.by_payment
            .insert(bundle.payment_hash, bundle.id.clone());
        book.by_id.insert(bundle.id.clone(), bundle);
        Ok(())
    }

    /// Marks the bundle invoice with this hash paid; its preimage, or `None` if no
    /// bundle has it.
    pub(crate) fn settle(&self, payment_hash: &[u8; 32], now: i64) -> Option<[u8; 32]> {
        let mut book = self.lock();
        let id = book.by_payment.get(payment_hash)?.clone();
        let bundle = book.by_id.get_mut(&id)?;
        bundle.paid_at.get_or_insert(now);
        Some(bundle.preimage)
    }

    /// A copy of the bundle `find` names.
    pub(crate) fn get(&self, find: &Find<'_>) -> Option<Bundle> {
        let book = self.lock();
        book.find(find).cloned()
    }

    /// Activates a paid bundle of `project_id` (again: every claim resets its expiry to
    /// now + 90 days, as the hosted API does) and returns it.
    pub(crate) fn claim(
        &self,
        find: &Find<'_>,
        project_id: &str,
        now: i64,
    ) -> Result<Bundle, ClaimRefused> {
        let mut book = self.lock();
        let id = book.find(find).ok_or(ClaimRefused::NotFound)?.id.clone();
        let bundle = book.by_id.get_mut(&id).ok_or(ClaimRefused::NotFound)?;
        if bundle.project_id != project_id {
            return Err(ClaimRefused::OtherProject);
        }
        if bundle.paid_at.is_none() {
            return Err(ClaimRefused::Unpaid);
        }
        if bundle.state == BundleState::Pending {
            bundle.state = BundleState::Active;
        }
        bundle.expires_at = now.saturating_add(BUNDLE_VALID_DAYS * 86_400);
        Ok(bundle.clone())
    }

    /// Spends one call of bundle `id` for `project_id`: the calls left after it.
    pub(crate) fn spend(&self, id: &str, project_id: &str, now: i64) -> Result<u64, SpendRefused> {
        let mut book = self.lock();
        let bundle = book.by_id.get_mut(id).ok_or(SpendRefused::NotFound)?;
        if bundle.project_id != project_id {
            return Err(SpendRefused::OtherProject);
        }
        match bundle.state {
            BundleState::Active => {}
            BundleState::Depleted => return Err(SpendRefused::Depleted),
            state @ BundleState::Pending => return Err(SpendRefused::NotActive(state)),
        }
        if now > bundle.expires_at {
            return Err(SpendRefused::Expired);
        }
        bundle.remaining_calls = bundle.remaining_calls.saturating_sub(1);
        if bundle.remaining_calls == 0 {
            bundle.state = BundleState::Depleted;
        }
        Ok(bundle.remaining_calls)
    }

    /// Gives back a call [`Bundles::spend`] took for a session that could not be opened.
    pub(crate) fn refund(&self, id: &str) {
        let mut book = self.lock();
        if let Some(bundle) = book.by_id.get_mut(id) {
            bundle.remaining_calls = bundle.remaining_calls.saturating_add(1);
            if bundle.state == BundleState::Depleted {
                bundle.state = BundleState::Active;
            }
        }
    }

    /// Drops bundles that can no longer be used: pending ones whose invoice expired more
    /// than the quote grace time ago, others once expired.
    pub(crate) fn purge(&self, now: i64) {
        let mut book = self.lock();
        let Book {
            by_id,
            by_payment,
            per_project,
        } = &mut *book;
        by_id.retain(|_, bundle| {
            let until = match bundle.state {
                BundleState::Pending => bundle.expires_at.saturating_add(QUOTE_GRACE_SECS),
                BundleState::Active | BundleState::Depleted => bundle.expires_at,
            };
            let keep = until > now;
            if !keep {
                by_payment.remove(&bundle.payment_hash);
                if let Some(n) = per_project.get_mut(&bundle.project_id) {
                    *n = n.saturating_sub(1);
                }
            }
            keep
        });
        per_project.retain(|_, n| *n > 0);
    }

    /// How many bundles are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }
}

/// How a request names a bundle.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Find<'a> {
    Id(&'a str),
    /// The payment hash as sent; `exact` matches only the spelling the invoice response
    /// wrote (hosted, facts §9.2), else any hex/base64 spelling of the same bytes.
    PaymentHash {
        text: &'a str,
        exact: bool,
    },
}

impl Book {
    fn find(&self, find: &Find<'_>) -> Option<&Bundle> {
        match *find {
            Find::Id(id) => self.by_id.get(id),
            Find::PaymentHash { text, exact } => {
                let hash = liveauth_protocol::codec::decode_hash32_any(text)?;
                let bundle = self.by_id.get(self.by_payment.get(&hash)?)?;
                (!exact || bundle.payment_hash_text == text).then_some(bundle)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(i: u8, project: &str, expires_at: i64) -> Bundle {
        Bundle {
            id: format!("bundle_starter_{i:012x}"),
            project_id: project.to_owned(),
            tier: BundleTier::Starter,
            tier_sent: "starter".to_owned(),
            agent_id: "default".to_owned(),
            payment_hash_text: liveauth_protocol::codec::encode_hex(&[i; 32]),
            payment_hash: [i; 32],
            preimage: [0; 32],
            paid_at: None,
            state: BundleState::Pending,
            remaining_calls: 2,
            expires_at,
        }
    }

    /// The cap holds per project and in total; a purge makes room again.
    #[test]
    fn the_book_is_capped_and_purged() {
        let bundles = Bundles::new(Cap::new(2, 3));
        bundles.insert(bundle(1, "a", 10)).unwrap();
        bundles.insert(bundle(2, "a", 10)).unwrap();
        assert_eq!(
            bundles.insert(bundle(3, "a", 10)),
            Err(Full::Project(Held::Bundle))
        );
        bundles.insert(bundle(4, "b", 10)).unwrap();
        assert_eq!(
            bundles.insert(bundle(5, "c", 10)),
            Err(Full::Total(Held::Bundle))
        );
        bundles.purge(10 + QUOTE_GRACE_SECS);
        assert_eq!(bundles.len(), 0);
        assert!(bundles.settle(&[1; 32], 0).is_none());
        bundles.insert(bundle(5, "c", 10)).unwrap();
    }

    /// Spending counts down to depleted; a refund gives the call back.
    #[test]
    fn spending_a_bundle() {
        let bundles = Bundles::new(Cap::new(9, 9));
        bundles.insert(bundle(1, "a", 10)).unwrap();
        let id = "bundle_starter_000000000001";
        assert_eq!(
            bundles.spend(id, "a", 0),
            Err(SpendRefused::NotActive(BundleState::Pending))
        );
        let hash = Find::PaymentHash {
            text: &liveauth_protocol::codec::encode_hex(&[1; 32]),
            exact: true,
        };
        assert_eq!(bundles.claim(&hash, "a", 0), Err(ClaimRefused::Unpaid));
        assert!(bundles.settle(&[1; 32], 0).is_some());
        assert_eq!(
            bundles.claim(&hash, "b", 0),
            Err(ClaimRefused::OtherProject)
        );
        assert_eq!(
            bundles.claim(&hash, "a", 0).map(|b| b.state),
            Ok(BundleState::Active)
        );
        assert_eq!(bundles.spend(id, "b", 0), Err(SpendRefused::OtherProject));
        assert_eq!(bundles.spend(id, "a", 0), Ok(1));
        assert_eq!(bundles.spend(id, "a", 0), Ok(0));
        assert_eq!(bundles.spend(id, "a", 0), Err(SpendRefused::Depleted));
        bundles.refund(id);
        assert_eq!(bundles.spend(id, "a", 0), Ok(0));
    }
}
