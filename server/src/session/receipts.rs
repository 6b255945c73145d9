//! The receipts an agent received, in the store's `receipts` table: one row per receipt
//! id, the [`KeptReceipt`] as JSON. A replayed charge brings the same receipt again and
//! changes nothing. Bound: [`MAX_RECEIPTS`] per scope, the oldest forgotten first.

use rusqlite::{OptionalExtension as _, params};

use super::AgentSession;
use crate::receipts::KeptReceipt;
use crate::state::StateError;

/// Receipts kept per scope: a year of a busy agent's daily summary, a few MiB.
pub(crate) const MAX_RECEIPTS: i64 = 10_000;

impl AgentSession {
    /// Keeps `receipt` (received at `now_unix`) unless one with its id is kept already.
    pub(crate) fn keep_receipt(
        &self,
        receipt: &KeptReceipt,
        now_unix: i64,
    ) -> Result<(), StateError> {
        let json = serde_json::to_string(receipt)?;
        self.store.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO receipts (scope_id, receipt_id, receipt, created_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![self.scope, receipt.receipt_id, json, now_unix],
            )?;
            tx.execute(
                "DELETE FROM receipts WHERE scope_id = ?1 AND rowid NOT IN
                   (SELECT rowid FROM receipts WHERE scope_id = ?1
                    ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
                params![self.scope, MAX_RECEIPTS],
            )?;
            Ok(tx.commit()?)
        })
    }

    /// Kept receipts, newest first: `limit` of them after skipping `offset`.
    pub(crate) fn receipts(&self, offset: i64, limit: i64) -> Result<Vec<KeptReceipt>, StateError> {
        let rows: Vec<String> = self.store.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT receipt FROM receipts WHERE scope_id = ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT ?2 OFFSET ?3",
            )?;
            let rows = statement
                .query_map(params![self.scope, limit, offset], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })?;
        rows.iter()
            .map(|json| Ok(serde_json::from_str(json)?))
            .collect()
    }

    /// The kept receipt with id `receipt_id`.
    pub(crate) fn receipt(&self, receipt_id: &str) -> Result<Option<KeptReceipt>, StateError> {
        let json: Option<String> = self.store.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT receipt FROM receipts WHERE scope_id = ?1 AND receipt_id = ?2",
                    params![self.scope, receipt_id],
                    |row| row.get(0),
                )
                .optional()?)
        })?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }
}
