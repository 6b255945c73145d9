//! `liveauth_mcp_solve`: a quote's PoW challenge solved on this machine's cores, with
//! progress notifications for a client that asks for them.

use liveauth_protocol::wire::StartResponse;
use rmcp::RoleServer;
use rmcp::model::ProgressNotificationParam;
use rmcp::service::RequestContext;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Caller, ToolError};
use crate::solve::{SolveStats, solve_challenge};

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SolveParams {
    /// The quote whose PoW challenge to solve (default: the latest PoW quote).
    #[serde(default)]
    pub quote_id: Option<String>,
}

/// `liveauth_mcp_solve`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SolveResult {
    pub quote_id: String,
    #[serde(flatten)]
    pub stats: SolveStats,
}

tool! {
    /// Solve the proof-of-work challenge of a quote (default: the latest) on all CPU
    /// cores. Returns the nonce and hash to pass to liveauth_mcp_confirm (which also
    /// picks them up by itself). Reports progress; stops if cancelled or if the
    /// challenge expires.
    solve_router: liveauth_mcp_solve(SolveParams) -> SolveResult,
    title: "Solve a PoW challenge",
    read_only: true,
    idempotent: true,
    open_world: false,
    |caller, args, context| caller.solve(args.quote_id.as_deref(), &context).await
}

impl Caller {
    /// Solves the quote's challenge (default: the latest PoW quote's) and remembers the
    /// solution for confirm. Progress goes to the client if its request asked for it.
    pub(super) async fn solve(
        &self,
        quote_id: Option<&str>,
        context: &RequestContext<RoleServer>,
    ) -> Result<SolveResult, ToolError> {
        let quote = self.pow_quote(quote_id)?;
        let challenge = quote
            .pow_challenge
            .ok_or_else(|| ToolError::LightningQuote {
                quote_id: quote.quote_id.clone(),
            })?;
        let token = context.meta.get_progress_token();
        let peer = context.peer.clone();
        let expected = 2f64.powi(i32::try_from(challenge.difficulty_bits).unwrap_or(i32::MAX));
        let progress = move |hashes: u64| {
            let Some(token) = token.clone() else { return };
            let peer = peer.clone();
            #[allow(clippy::cast_precision_loss)] // progress is approximate by nature
            let param = ProgressNotificationParam::new(token, hashes as f64)
                .with_total(expected)
                .with_message(format!(
                    "{hashes} hashes tried (about {expected:.0} expected)"
                ));
            tokio::spawn(async move {
                let _ = peer.notify_progress(param).await;
            });
        };
        let _turn = self.solves.acquire(&context.ct).await?;
        let stats =
            solve_challenge(&challenge, self.clock.now_unix(), &context.ct, progress).await?;
        self.session.remember_solution(&quote.quote_id, &stats)?;
        Ok(SolveResult {
            quote_id: quote.quote_id,
            stats,
        })
    }

    /// The quote to solve: the one named, or the latest with a PoW challenge.
    fn pow_quote(&self, quote_id: Option<&str>) -> Result<StartResponse, ToolError> {
        match quote_id {
            Some(id) => self
                .session
                .quote(id)?
                .ok_or_else(|| ToolError::UnknownQuote {
                    quote_id: id.to_owned(),
                }),
            None => self
                .session
                .latest_quote(true)?
                .ok_or(ToolError::NoPowQuote),
        }
    }
}
