//! Caps on what the mock keeps in memory, so a flood of requests that need no credential
//! cannot grow it without bound (issue 12, fault 2).
//!
//! Five kinds of records are capped, each per project and in total: live quotes (PoW and
//! Lightning starts), 402 challenges (the Lightning quotes a 402 answer mints), sessions,
//! idempotency records and L402 bundles (counted by `crate::bundle` itself). A record is counted from the moment it is stored until a purge
//! drops it; beyond a cap the request is refused (per project: 429 `rate_limited`; in
//! total: 503 `over_capacity`, both with `Retry-After`) and nothing is stored.
//! The defaults and the reasons for them are in docs/decisions.md ("Hardening: memory
//! bounds").

use std::sync::atomic::{AtomicUsize, Ordering};

/// What is counted against a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A quote from a start (PoW or Lightning).
    Quote,
    /// A Lightning quote minted for a 402 answer.
    Challenge,
    Session,
    /// A remembered `Idempotency-Key` of an accepted charge.
    Idempotency,
    /// An L402 bundle (`crate::bundle`, which counts its own).
    Bundle,
}

impl Held {
    #[cfg(test)]
    const ALL: [Self; 5] = [
        Self::Quote,
        Self::Challenge,
        Self::Session,
        Self::Idempotency,
        Self::Bundle,
    ];

    fn index(self) -> usize {
        match self {
            Self::Quote => 0,
            Self::Challenge => 1,
            Self::Session => 2,
            Self::Idempotency => 3,
            Self::Bundle => 4,
        }
    }

    /// How the refusal names it.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Quote => "open quotes",
            Self::Challenge => "open payment challenges",
            Self::Session => "sessions",
            Self::Idempotency => "remembered idempotency keys",
            Self::Bundle => "L402 bundles",
        }
    }
}

/// A cap per project and in total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub per_project: usize,
    pub total: usize,
}

impl Cap {
    pub const fn new(per_project: usize, total: usize) -> Self {
        Self { per_project, total }
    }
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.per_project, self.total)
    }
}

impl std::str::FromStr for Cap {
    type Err = String;

    /// `PER_PROJECT/TOTAL`, as `--max-quotes` takes it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |n: &str| {
            n.parse::<usize>()
                .map_err(|_| format!("{n:?} is not a count"))
        };
        let (per_project, total) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?}: write PER_PROJECT/TOTAL, e.g. 1000/5000"))?;
        Ok(Self::new(parse(per_project)?, parse(total)?))
    }
}

/// Every cap (`Config::limits`; flags `--max-quotes` and friends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub quotes: Cap,
    pub challenges: Cap,
    pub sessions: Cap,
    pub idempotency: Cap,
    /// L402 bundles, pending or active.
    pub bundles: Cap,
}

impl Default for Limits {
    /// About 60 MiB of quotes at most (≤ 300 bytes each, measured in `record`), a few
    /// hundred MiB in all at the worst: a laptop survives a flood, and a load test of
    /// 100,000 sessions still fits.
    fn default() -> Self {
        Self {
            quotes: Cap::new(100_000, 200_000),
            challenges: Cap::new(20_000, 50_000),
            sessions: Cap::new(100_000, 200_000),
            idempotency: Cap::new(200_000, 500_000),
            // A pending bundle costs an invoice, an active one a payment: far fewer.
            bundles: Cap::new(10_000, 50_000),
        }
    }
}

impl Limits {
    fn cap(&self, held: Held) -> Cap {
        match held {
            Held::Quote => self.quotes,
            Held::Challenge => self.challenges,
            Held::Session => self.sessions,
            Held::Idempotency => self.idempotency,
            Held::Bundle => self.bundles,
        }
    }
}

/// Why a store refused to keep a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("this project has too many {}", .0.noun())]
    Project(Held),
    #[error("the server holds too many {}", .0.noun())]
    Total(Held),
    /// The record does not have the form the store keeps (an id that is not a UUID): a
    /// bug, never the client's doing.
    #[error("the record cannot be stored")]
    Unstorable,
}

/// Counts of held records, one per [`Held`] kind.
#[derive(Debug, Default)]
pub(crate) struct Counts([AtomicUsize; 5]);

impl Counts {
    #[cfg(test)]
    fn get(&self, held: Held) -> usize {
        self.0[held.index()].load(Ordering::Relaxed)
    }

    /// Counts one more unless that would pass `cap`.
    fn try_add(&self, held: Held, cap: usize) -> bool {
        self.0[held.index()]
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < cap).then_some(n + 1)
            })
            .is_ok()
    }

    fn sub(&self, held: Held, n: usize) {
        // Saturating: a count never wraps, whatever order releases come in.
        let _ = self.0[held.index()].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
            Some(c.saturating_sub(n))
        });
    }
}

/// The counters of a store: in total, and (kept by the store) per project.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    limits: Limits,
    total: Counts,
}

impl Ledger {
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            total: Counts::default(),
        }
    }

    /// Counts one `held` record of the project counted by `project`, or says which cap
    /// is reached (and counts nothing).
    pub(crate) fn admit(&self, project: &Counts, held: Held) -> Result<(), Full> {
        let cap = self.limits.cap(held);
        if !project.try_add(held, cap.per_project) {
            return Err(Full::Project(held));
        }
        if !self.total.try_add(held, cap.total) {
            project.sub(held, 1);
            return Err(Full::Total(held));
        }
        Ok(())
    }

    /// Forgets `n` `held` records of the project counted by `project`.
    pub(crate) fn release(&self, project: &Counts, held: Held, n: usize) {
        if n > 0 {
            project.sub(held, n);
            self.total.sub(held, n);
        }
    }

    /// Every count in total.
    #[cfg(test)]
    pub(crate) fn totals(&self) -> [usize; 5] {
        Held::ALL.map(|held| self.total.get(held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_parse_from_flags() {
        assert_eq!("10/20".parse(), Ok(Cap::new(10, 20)));
        for bad in ["10", "a/2", "1/", "-1/2"] {
            assert!(bad.parse::<Cap>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cap_refuses_without_counting() {
        let ledger = Ledger::new(Limits {
            quotes: Cap::new(2, 3),
            ..Limits::default()
        });
        let (a, b) = (Counts::default(), Counts::default());
        assert_eq!(ledger.admit(&a, Held::Quote), Ok(()));
        assert_eq!(ledger.admit(&a, Held::Quote), Ok(()));
        assert_eq!(
            ledger.admit(&a, Held::Quote),
            Err(Full::Project(Held::Quote))
        );
        assert_eq!(ledger.admit(&b, Held::Quote), Ok(()));
        assert_eq!(ledger.admit(&b, Held::Quote), Err(Full::Total(Held::Quote)));
        assert_eq!((a.get(Held::Quote), b.get(Held::Quote)), (2, 1));
        ledger.release(&a, Held::Quote, 2);
        assert_eq!(ledger.admit(&b, Held::Quote), Ok(()));
        assert_eq!(ledger.totals(), [2, 0, 0, 0, 0]);
    }
}
