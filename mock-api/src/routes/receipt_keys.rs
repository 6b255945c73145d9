//! `GET /.well-known/liveauth-receipt-keys.json`: the keys `receiptV2` is signed with.

use axum::Json;
use axum::extract::State;
use liveauth_protocol::receipt::v2::ReceiptKeySet;

use crate::state::AppState;

/// The receipt-v2 key set (hosted-api-facts §3.2): the active key, then retired ones.
#[utoipa::path(
    get,
    path = "/.well-known/liveauth-receipt-keys.json",
    tag = "discovery",
    operation_id = "receiptKeys",
    summary = "The ECDSA P-256 keys `receiptV2` receipts are signed with",
    description = "`{\"version\": \"receipt-key-set-v1\", \"keys\": [{keyId, algorithm: \"ECDSA-P256-SHA256\", publicKey, status}]}`. `publicKey` is standard base64 of the DER SubjectPublicKeyInfo. The `active` key signs new receipts; `retired` keys sign nothing but still verify the receipts they signed. A receipt's `keyId` names its key; a verifier that does not know it fetches this document again.",
    responses(
        (status = 200, description = "The key set.", body = liveauth_protocol::receipt::v2::ReceiptKeySet),
    ),
    security(()),
)]
pub(crate) async fn keys(State(state): State<AppState>) -> Json<ReceiptKeySet> {
    Json(state.keys.receipts.key_set().clone())
}
