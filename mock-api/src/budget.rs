//! Per-session spending rules: `maxSatsPerDay` over the UTC calendar day and
//! `maxCallsPerMinute` over a sliding 60-second window. A charge is all-or-nothing: it
//! either fits both limits and is counted, or it is denied and changes nothing.
//!
//! Pure logic on a [`Budget`] value; the store makes each charge atomic.

use std::collections::VecDeque;

use liveauth_protocol::time::utc_day_start;
use liveauth_protocol::wire::{ChargeResponse, ChargeStatus, DenyReason};

const DAY: i64 = 86_400;
const MINUTE: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub max_sats_per_day: u64,
    pub max_calls_per_minute: u32,
    /// Start of the UTC day the counters below belong to.
    pub day_start: i64,
    pub sats_used: u64,
    pub calls_used: u64,
    /// Whether `max_calls_per_minute` is enforced (the hosted API only reports it).
    pub limits_calls_per_minute: bool,
    /// Times of the accepted calls in the last minute, oldest first.
    recent_calls: VecDeque<i64>,
}

impl Budget {
    pub fn new(max_sats_per_day: u64, max_calls_per_minute: u32, now: i64) -> Self {
        Self {
            max_sats_per_day,
            max_calls_per_minute,
            day_start: utc_day_start(now),
            sats_used: 0,
            calls_used: 0,
            limits_calls_per_minute: true,
            recent_calls: VecDeque::new(),
        }
    }

    /// Moves the windows to `now`: a new UTC day resets the day's counters.
    pub fn roll(&mut self, now: i64) {
        let today = utc_day_start(now);
        if today > self.day_start {
            self.day_start = today;
            self.sats_used = 0;
            self.calls_used = 0;
        }
        while self
            .recent_calls
            .front()
            .is_some_and(|&t| t <= now - MINUTE)
        {
            self.recent_calls.pop_front();
        }
    }

    pub fn remaining_sats(&self) -> u64 {
        self.max_sats_per_day.saturating_sub(self.sats_used)
    }

    /// The deny a charge of `cost` at `now` would get (the reason and when to retry), or
    /// `None` if it fits; counts nothing.
    pub fn refusal(&mut self, cost: u64, now: i64) -> Option<ChargeResponse> {
        self.roll(now);
        let deny = |budget: &Self, reason, retry_after: i64| ChargeResponse {
            reason: Some(reason),
            retry_after_seconds: Some(u64::try_from(retry_after.max(1)).unwrap_or(1)),
            ..ChargeResponse::new(ChargeStatus::Deny, budget.calls_used, budget.sats_used)
        };
        // The day's budget first: when both apply, it is the one that lasts longer.
        if cost > self.remaining_sats() {
            return Some(deny(
                self,
                DenyReason::BudgetExceeded,
                self.day_start + DAY - now,
            ));
        }
        if self.limits_calls_per_minute
            && self.recent_calls.len() >= self.max_calls_per_minute as usize
        {
            let oldest = self.recent_calls.front().copied().unwrap_or(now);
            return Some(deny(self, DenyReason::RateLimited, oldest + MINUTE - now));
        }
        None
    }

    /// Charges `cost` at `now` if it fits, else denies with the reason and when to retry.
    pub fn charge(&mut self, cost: u64, now: i64) -> ChargeResponse {
        if let Some(deny) = self.refusal(cost, now) {
            return deny;
        }
        self.sats_used += cost;
        self.calls_used += 1;
        self.recent_calls.push_back(now);
        ChargeResponse::new(ChargeStatus::Ok, self.calls_used, self.sats_used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOON: i64 = 1_767_268_800; // 2026-01-01T12:00:00Z

    #[test]
    fn charges_until_the_day_budget_is_spent() {
        let mut budget = Budget::new(10, 100, NOON);
        assert_eq!(budget.charge(7, NOON).status, ChargeStatus::Ok);
        let denied = budget.charge(4, NOON);
        assert_eq!(denied.reason, Some(DenyReason::BudgetExceeded));
        assert_eq!(denied.retry_after_seconds, Some(12 * 3600));
        assert_eq!((denied.calls_used, denied.sats_used), (1, 7));
        assert_eq!(budget.charge(3, NOON).sats_used, 10);
        assert_eq!(budget.remaining_sats(), 0);
    }

    #[test]
    fn a_new_utc_day_resets_the_budget() {
        let mut budget = Budget::new(10, 100, NOON);
        budget.charge(10, NOON);
        let midnight = NOON + 12 * 3600;
        assert_eq!(budget.charge(1, midnight - 1).status, ChargeStatus::Deny);
        let next = budget.charge(1, midnight);
        assert_eq!(
            (next.status, next.sats_used, next.calls_used),
            (ChargeStatus::Ok, 1, 1)
        );
        assert_eq!(budget.day_start, midnight);
    }

    #[test]
    fn rate_limit_is_a_sliding_minute() {
        let mut budget = Budget::new(1000, 2, NOON);
        budget.charge(1, NOON);
        budget.charge(1, NOON + 10);
        let denied = budget.charge(1, NOON + 30);
        assert_eq!(denied.reason, Some(DenyReason::RateLimited));
        assert_eq!(denied.retry_after_seconds, Some(30));
        assert_eq!(budget.charge(1, NOON + 59).status, ChargeStatus::Deny);
        assert_eq!(budget.charge(1, NOON + 60).status, ChargeStatus::Ok);
    }

    #[test]
    fn a_deny_changes_nothing() {
        let mut budget = Budget::new(5, 1, NOON);
        budget.charge(5, NOON);
        let before = budget.clone();
        budget.charge(1, NOON);
        assert_eq!(budget, before);
    }
}
