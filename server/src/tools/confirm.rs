//! `liveauth_mcp_confirm`: a solved or paid quote exchanged for a session. PoW fields the
//! agent leaves out are filled in from the quote and its solution, and the solution is
//! checked here before anything is sent.

use liveauth_protocol::codec::{HexCase, encode_hex};
use liveauth_protocol::pow::{Submission, SubmissionError};
use liveauth_protocol::wire::{ConfirmRequest, ConfirmResponse, Nonce};
use rmcp::RoleServer;
use rmcp::service::RequestContext;
use schemars::JsonSchema;
use serde::Deserialize;

use super::lightning::{WithLightning, status_word};
use super::{Caller, ToolError};
use crate::api::ApiError;
use crate::payment_view;
use crate::redact::mask_secret;
use crate::session::Tokens;
use crate::solve::effective_target;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmParams {
    /// The quoteId from the start response.
    pub quote_id: String,
    /// The challenge hex from the start response (filled in from the quote if omitted).
    #[serde(default)]
    pub challenge_hex: Option<String>,
    /// The nonce that solves the PoW challenge (filled in from liveauth_mcp_solve if
    /// omitted).
    #[serde(default)]
    pub nonce: Option<Nonce>,
    /// sha256 of `projectPublicKey:challengeHex:nonce` (computed here if omitted).
    #[serde(default)]
    pub hash_hex: Option<String>,
    /// Expiration timestamp from the challenge (filled in if omitted).
    #[serde(default)]
    pub expires_at_unix: Option<i64>,
    /// Difficulty bits from the challenge (filled in if omitted).
    #[serde(default)]
    pub difficulty_bits: Option<u32>,
    /// Signature from the challenge (filled in if omitted).
    #[serde(default)]
    pub signature: Option<String>,
    /// For a forceL402 quote: an L402 bundle macaroon (omitted: the one this server kept
    /// from liveauth_mcp_l402_bundle). Confirming spends one call of its bundle.
    #[serde(default)]
    pub macaroon: Option<String>,
}

impl std::fmt::Debug for ConfirmParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmParams")
            .field("quote_id", &self.quote_id)
            .field("challenge_hex", &self.challenge_hex)
            .field("nonce", &self.nonce)
            .field("macaroon", &self.macaroon.as_deref().map(mask_secret))
            .finish_non_exhaustive()
    }
}

impl ConfirmParams {
    /// Just the quote: everything else is filled in (what `liveauth_mcp_authenticate`
    /// sends).
    pub(super) fn quote(quote_id: &str) -> Self {
        Self {
            quote_id: quote_id.to_owned(),
            challenge_hex: None,
            nonce: None,
            hash_hex: None,
            expires_at_unix: None,
            difficulty_bits: None,
            signature: None,
            macaroon: None,
        }
    }
}

tool! {
    /// Submit the solved proof-of-work challenge (or, for a Lightning quote, just the
    /// quoteId once paid) to receive a JWT. With only the quoteId of a PoW quote, this
    /// server solves its challenge first (reporting progress; cancellable). Fields you
    /// omit are filled in from the quote and from liveauth_mcp_solve. The solution is
    /// checked locally before it is sent. Save the refreshToken (this server keeps it for
    /// you too).
    confirm_router: liveauth_mcp_confirm(ConfirmParams) -> WithLightning<ConfirmResponse>,
    title: "Confirm a quote and get a JWT",
    read_only: false,
    idempotent: false,
    open_world: true,
    meta: payment_view::rendered_by_view(),
    |caller, args, context| {
        let quote_id = args.quote_id.clone();
        let confirmed = caller.confirm_solving(args, &context).await?;
        // A Lightning quote's invoice, in the state the confirm reports.
        let word = confirmed.payment_status.clone().flatten().as_ref().and_then(status_word);
        let lightning = caller.quoted_lightning(&quote_id, word.as_deref())?;
        Ok(WithLightning { result: confirmed, lightning })
    }
}

impl Caller {
    /// Confirms, first solving the quote's PoW challenge here when the agent sent no
    /// solution fields (LiveAuth 1.1+), with progress and cancellation as
    /// `liveauth_mcp_solve`.
    async fn confirm_solving(
        &self,
        args: ConfirmParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<ConfirmResponse, ToolError> {
        if args.challenge_hex.is_none() && args.nonce.is_none() && self.unsolved(&args.quote_id)? {
            self.solve(Some(&args.quote_id), context).await?;
        }
        self.confirm(args).await
    }

    /// Whether this server holds the quote's PoW challenge but no solution for it.
    fn unsolved(&self, quote_id: &str) -> Result<bool, ToolError> {
        let pow = self
            .session
            .quote(quote_id)?
            .is_some_and(|quote| quote.pow_challenge.is_some());
        Ok(pow && self.session.solution(quote_id)?.is_none())
    }

    /// Confirms the quote and keeps the session's tokens.
    pub(super) async fn confirm(&self, args: ConfirmParams) -> Result<ConfirmResponse, ToolError> {
        let quote_id = args.quote_id.clone();
        let request = self.confirm_request(args)?;
        let response = match self.api.confirm(&request).await {
            Ok(response) => response,
            Err(error @ ApiError::Api { .. }) if self.api.is_legacy_demo() => {
                return Err(ToolError::LegacyDemoConfirm(error));
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(jwt) = &response.jwt {
            let expires_in = response.expires_in.unwrap_or(0);
            self.session.set_tokens(&Tokens::new(
                jwt.clone(),
                expires_in,
                response.refresh_token.clone(),
                self.clock.now_unix(),
            ))?;
            self.session.note_status(&quote_id, "confirmed")?;
        }
        Ok(response)
    }

    /// Completes and checks a confirm request: PoW fields the agent left out come from the
    /// stored quote and solution; the solution is verified before any network call.
    fn confirm_request(&self, args: ConfirmParams) -> Result<ConfirmRequest, ToolError> {
        let quote = self.session.quote(&args.quote_id)?;
        if let Some(request) = self.l402_confirm_request(&args, quote.as_ref())? {
            return Ok(request);
        }
        let challenge = quote.as_ref().and_then(|q| q.pow_challenge.clone());
        if quote.as_ref().is_some_and(|q| q.invoice.is_some()) {
            return Ok(ConfirmRequest {
                quote_id: args.quote_id,
                ..ConfirmRequest::default()
            });
        }
        let solution = self.session.solution(&args.quote_id)?;
        let nonce = args
            .nonce
            .map(|n| n.0)
            .or(solution.as_ref().map(|s| s.nonce));
        let mut request = ConfirmRequest {
            quote_id: args.quote_id.clone(),
            challenge_hex: args
                .challenge_hex
                .or(challenge.as_ref().map(|c| c.challenge_hex.clone())),
            nonce: nonce.map(Nonce),
            hash_hex: args.hash_hex,
            expires_at_unix: args
                .expires_at_unix
                .or(challenge.as_ref().map(|c| c.expires_at_unix)),
            difficulty_bits: args
                .difficulty_bits
                .or(challenge.as_ref().map(|c| c.difficulty_bits)),
            sig: args
                .signature
                .or(challenge.as_ref().map(|c| c.signature.clone())),
            macaroon: None,
        };
        let Some(challenge) = challenge else {
            // A quote this server did not start: send what the agent gave, if complete.
            let missing: Vec<&str> = [
                ("challengeHex", request.challenge_hex.is_none()),
                ("nonce", request.nonce.is_none()),
                ("expiresAtUnix", request.expires_at_unix.is_none()),
                ("difficultyBits", request.difficulty_bits.is_none()),
                ("signature", request.sig.is_none()),
            ]
            .into_iter()
            .filter_map(|(field, absent)| absent.then_some(field))
            .collect();
            if missing.is_empty() || missing.len() == 5 {
                return Ok(request);
            }
            return Err(ToolError::InvalidArgument(format!(
                "{}: required because quote {} was not started through this server",
                missing.join(", "),
                args.quote_id
            )));
        };
        let Some(nonce) = nonce else {
            return Err(ToolError::InvalidArgument(
                "`nonce`: no solution yet for this quote; call liveauth_mcp_solve first".into(),
            ));
        };
        let challenge_hex = request.challenge_hex.clone().unwrap_or_default();
        let submission = Submission {
            project_public_key: &challenge.project_public_key,
            challenge_hex: &challenge_hex,
            difficulty_bits: challenge.difficulty_bits,
            nonce,
            hash_hex: request.hash_hex.as_deref(),
        };
        let hash = match submission.check_against(&effective_target(&challenge)?, HexCase::Any) {
            Ok(hash) => hash,
            Err(
                SubmissionError::HashMalformed { computed, .. }
                | SubmissionError::HashMismatch { computed },
            ) => {
                return Err(ToolError::InvalidArgument(format!(
                    "`hashHex` is not sha256(projectPublicKey:challengeHex:nonce) = {}",
                    encode_hex(&computed)
                )));
            }
            Err(SubmissionError::AboveTarget { hash, .. }) => {
                return Err(ToolError::InvalidArgument(format!(
                    "`nonce` {nonce} does not solve the challenge: its hash {} is not below \
                     the target {}; call liveauth_mcp_solve to find one",
                    encode_hex(&hash),
                    challenge.target_hex
                )));
            }
            Err(other) => return Err(ToolError::InvalidArgument(other.to_string())),
        };
        request.hash_hex = Some(encode_hex(&hash));
        Ok(request)
    }
}
