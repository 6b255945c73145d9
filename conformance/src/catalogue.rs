//! Every check: its name, level, description and body, in the order [`crate::run`]
//! runs them. One table, so the level assigned to each check (docs/decisions.md,
//! "Conformance levels") reads in one place.

use crate::{
    Check, Level, bundles, caller, errors, lightning, pow, quotes, receipts, sessions, tokens,
};

/// Every check, in the order [`crate::run`] runs them.
pub fn catalogue() -> Vec<Check> {
    vec![
        // Quotes: the start shapes (PoW and Lightning), the key header, status and lnurl.
        Check {
            name: "start_pow_shape",
            level: Level::Compat,
            description: "start returns {quoteId, powChallenge{projectId, projectPublicKey, challengeHex, targetHex, difficultyBits, expiresAtUnix, signature}, invoice: null, authHint}",
            run: |ctx| Box::pin(quotes::start_pow_shape(ctx)),
        },
        Check {
            name: "start_lightning_shape",
            level: Level::Compat,
            description: "start with forceLightning returns {quoteId, powChallenge: null, invoice{bolt11, amountSats, expiresAtUnix, paymentHash (32 bytes: hex, base64 or base64url)}}, and any fee fields add up to amountSats",
            run: |ctx| Box::pin(quotes::start_lightning_shape(ctx)),
        },
        Check {
            name: "start_key_header",
            level: Level::Compat,
            description: "POST /api/mcp/start without X-LW-Public is a PoW quote of the anonymous demo project (another project than a keyed one), with an unknown key a readable 401",
            run: |ctx| Box::pin(quotes::start_key_header(ctx)),
        },
        Check {
            name: "challenge_target_matches_bits",
            level: Level::Compat,
            description: "targetHex equals (2^256-1) >> difficultyBits, 64 lowercase hex",
            run: |ctx| Box::pin(quotes::challenge_target_matches_bits(ctx)),
        },
        Check {
            name: "status_shape",
            level: Level::Compat,
            description: "status of a PoW quote is {quoteId, status: pending, paymentStatus: null, expiresAt: a UTC timestamp, with or without a zone}, and confirmed after confirm",
            run: |ctx| Box::pin(quotes::status_shape(ctx)),
        },
        Check {
            name: "timestamps_carry_zone",
            level: Level::Strict,
            description: "status.expiresAt, usage.expiresAt and usage.dayWindowStart are RFC 3339 with Z (the hosted API writes its database times without a zone)",
            run: |ctx| Box::pin(quotes::timestamps_carry_zone(ctx)),
        },
        Check {
            name: "lnurl_shape",
            level: Level::Compat,
            description: "lnurl of a Lightning quote is LUD-06 {pr: the quoted bolt11, routes: []}",
            run: |ctx| Box::pin(quotes::lnurl_shape(ctx)),
        },
        Check {
            name: "lnurl_errors",
            level: Level::Compat,
            description: "lnurl of a PoW quote or an unknown quote is a readable 4xx (hosted: plain text or problem+json)",
            run: |ctx| Box::pin(quotes::lnurl_errors(ctx, false)),
        },
        Check {
            name: "lnurl_errors_lud06",
            level: Level::Strict,
            description: "lnurl of a PoW quote or an unknown quote is a 4xx LUD-06 error {status: \"ERROR\", reason}",
            run: |ctx| Box::pin(quotes::lnurl_errors(ctx, true)),
        },
        // The PoW rule and the confirm endpoint's defences.
        Check {
            name: "pow_valid_solution_accepted",
            level: Level::Compat,
            description: "a nonce whose SHA-256(key:challenge:nonce) is below the target confirms to {jwt, expiresIn, remainingBudgetSats, refreshToken}",
            run: |ctx| Box::pin(pow::valid_solution_accepted(ctx)),
        },
        Check {
            name: "pow_forged_signature",
            level: Level::Compat,
            description: "a valid solution with a forged sig (right length, wrong MAC), an all-A sig or an empty one is refused (a readable 4xx, no token)",
            run: |ctx| Box::pin(pow::forged_signature(ctx, false)),
        },
        Check {
            name: "pow_tampered_challenge_hex",
            level: Level::Compat,
            description: "a solution of another challengeHex, sent with the original sig, is refused (the quote's own challenge is what counts)",
            run: |ctx| Box::pin(pow::tampered_challenge_hex(ctx, false)),
        },
        Check {
            name: "pow_tampered_difficulty_bits",
            level: Level::Compat,
            description: "lowering difficultyBits (with a nonce that only meets the lower target) is refused; so is a real solution with any other difficultyBits (the signature binds the difficulty)",
            run: |ctx| Box::pin(pow::tampered_difficulty_bits(ctx, false)),
        },
        Check {
            name: "pow_tampered_expires_at",
            level: Level::Compat,
            description: "a real solution with expiresAtUnix moved later is refused (the signature binds the expiry)",
            run: |ctx| Box::pin(pow::tampered_expires_at(ctx, false)),
        },
        Check {
            name: "pow_tampered_quote_id",
            level: Level::Compat,
            description: "a solved challenge and its sig presented for another quote's id is refused (hosted: that quote's challenge differs; strict: the signature binds the quote)",
            run: |ctx| Box::pin(pow::tampered_quote_id(ctx, false)),
        },
        Check {
            name: "pow_failed_attempts_consume_nothing",
            level: Level::Compat,
            description: "after refused attempts (bad sig, bad hash, a non-solving nonce) the real solution still confirms",
            run: |ctx| Box::pin(pow::failed_attempts_consume_nothing(ctx, false)),
        },
        Check {
            name: "pow_expired_challenge",
            level: Level::Compat,
            description: "a valid solution submitted at expiresAtUnix (dev clock moved) is refused",
            run: |ctx| Box::pin(pow::expired_challenge(ctx, false)),
        },
        Check {
            name: "pow_nonce_replayed",
            level: Level::Compat,
            description: "the same confirm body sent twice gives one token; the replay is refused",
            run: |ctx| Box::pin(pow::nonce_replayed(ctx, false)),
        },
        Check {
            name: "pow_second_nonce_after_confirm",
            level: Level::Compat,
            description: "a second, different valid nonce for an already confirmed quote is refused",
            run: |ctx| Box::pin(pow::second_nonce(ctx, false)),
        },
        Check {
            name: "pow_hash_equal_to_target",
            level: Level::Compat,
            description: "hashHex = targetHex (or 0) with a non-solving nonce is refused: the verdict rests on the server's own hash, never the client's claim. A real hash equal to the target cannot be found by search, so hosted's <= and strict's < cannot be told apart on the wire (pow_properties covers the boundary)",
            run: |ctx| Box::pin(pow::hash_equal_to_target(ctx, false)),
        },
        Check {
            name: "pow_hash_mismatch",
            level: Level::Compat,
            description: "a solving nonce sent with the hashHex of another solving nonce is refused",
            run: |ctx| Box::pin(pow::hash_mismatch(ctx, false)),
        },
        Check {
            name: "pow_wrong_project_key",
            level: Level::Compat,
            description: "confirming a solved quote with X-LW-Public of another project is refused with 401 or 404 (hosted: 404, the quote is not that project's)",
            run: |ctx| Box::pin(pow::wrong_project_key(ctx, false)),
        },
        Check {
            name: "pow_refusal_codes",
            level: Level::Strict,
            description: "each refusal of the compat PoW checks is problem+json with its documented status and code: 422 signature_invalid, challenge_mismatch, hash_mismatch, solution_invalid; 409 already_confirmed; 410 challenge_expired (when the dev clock exists); 401 project_mismatch; and uppercase hashHex is refused (hash_mismatch)",
            run: |ctx| Box::pin(pow::refusal_codes(ctx)),
        },
        Check {
            name: "pow_parallel_confirms_one_token",
            level: Level::Strict,
            description: "20 parallel confirms of one quote with 20 different valid nonces: exactly one token, 19 x 409 already_confirmed",
            run: |ctx| Box::pin(pow::parallel_confirms(ctx)),
        },
        Check {
            name: "pow_noncanonical_nonces",
            level: Level::Strict,
            description: "non-canonical spellings of a solving nonce (leading zero, sign, float, exponent, spaces, hex, > 2^53-1) are refused as 400 nonce_invalid (null: bad_request); the canonical one then confirms",
            run: |ctx| Box::pin(pow::noncanonical_nonces(ctx)),
        },
        // Sessions and money: charge, usage, budgets under concurrency, idempotency, refresh.
        Check {
            name: "charge_shape",
            level: Level::Compat,
            description: "a charge within budget is 200 {status: \"ok\", callsUsed, satsUsed} and is counted",
            run: |ctx| Box::pin(sessions::charge_shape(ctx)),
        },
        Check {
            name: "usage_shape",
            level: Level::Compat,
            description: "usage is {status: active, callsUsed, satsUsed, maxSatsPerDay, remainingBudgetSats = max - used, maxCallsPerMinute, expiresAt, dayWindowStart}",
            run: |ctx| Box::pin(sessions::usage_shape(ctx)),
        },
        Check {
            name: "charge_over_budget_denied",
            level: Level::Compat,
            description: "a charge above the remaining budget is 200 {status: \"deny\"} and spends nothing",
            run: |ctx| Box::pin(sessions::charge_over_budget(ctx)),
        },
        Check {
            name: "charge_rate_limited",
            level: Level::Strict,
            description: "the call after maxCallsPerMinute accepted calls is denied with reason rate_limited and retryAfterSeconds, and not counted",
            run: |ctx| Box::pin(sessions::charge_rate_limited(ctx)),
        },
        Check {
            name: "charge_parallel_never_overspends",
            level: Level::Strict,
            description: "1000 parallel charges (200 in flight) priced so the daily budget binds before the rate limit: exactly floor(budget/cost) accepted, usage equals what was accepted",
            run: |ctx| Box::pin(sessions::parallel_charges(ctx)),
        },
        Check {
            name: "charge_idempotency_key_counted_once",
            level: Level::Compat,
            description: "a charge repeated (5 times, also in parallel) with one body idempotencyKey is counted once, each repeat answered 200 ok with the first's amounts; another key is counted",
            run: |ctx| Box::pin(sessions::idempotency(ctx, sessions::IdempotencyVia::Body)),
        },
        Check {
            name: "charge_idempotency_header_counted_once",
            level: Level::Strict,
            description: "a charge repeated (5 times, also in parallel) with one Idempotency-Key header is counted once and each repeat answered byte for byte as the first (the hosted API ignores the header)",
            run: |ctx| Box::pin(sessions::idempotency(ctx, sessions::IdempotencyVia::Header)),
        },
        // Receipts of accepted charges (hosted-api-facts §3).
        Check {
            name: "charge_receipt_v1_shape",
            level: Level::Compat,
            description: "an accepted charge carries receipt {version: mcp-call-receipt-v1, payload, signature (32-byte HMAC, base64url), signatureAlgorithm: HMAC-SHA256, keyId, body}; the payload is compact key-sorted JSON of exactly the 19 keys (27 with an attestation), createdAt with 7 fractional digits, receiptId = mcp_receipt_ + the revenue event's hex",
            run: |ctx| Box::pin(receipts::v1_shape(ctx)),
        },
        Check {
            name: "charge_receipt_v2_verifies",
            level: Level::Strict,
            description: "an accepted charge carries receiptV2 (receipt-v2, ECDSA-P256-SHA256) that verifies against GET /.well-known/liveauth-receipt-keys.json, for the charged amount",
            run: |ctx| Box::pin(receipts::v2_verifies(ctx)),
        },
        Check {
            name: "charge_receipt_replay_identical",
            level: Level::Strict,
            description: "a charge repeated with its idempotencyKey answers receipt and receiptV2 byte-identical to the first answer's",
            run: |ctx| Box::pin(receipts::replay_identical(ctx)),
        },
        Check {
            name: "refresh_shape",
            level: Level::Compat,
            description: "refresh returns {jwt, expiresIn, remainingBudgetSats} and the new jwt works; with a new refreshToken (rotation) or without one (the same token stays good, as hosted), the next refresh works too",
            run: |ctx| Box::pin(sessions::refresh_shape(ctx)),
        },
        Check {
            name: "refresh_rotation",
            level: Level::Strict,
            description: "refresh returns a new refreshToken each time; the used one is refused (400 invalid_grant)",
            run: |ctx| Box::pin(sessions::refresh_rotation(ctx)),
        },
        Check {
            name: "refresh_family_revocation",
            level: Level::Strict,
            description: "presenting a superseded refresh token revokes the family: the newest token is refused too (RFC 9700 4.14.2)",
            run: |ctx| Box::pin(sessions::refresh_family_revocation(ctx)),
        },
        // Access tokens: forged JWTs refused, genuine ones verify.
        Check {
            name: "bearer_missing",
            level: Level::Compat,
            description: "charge and usage without a token are a readable 401",
            run: |ctx| Box::pin(tokens::bearer_missing(ctx, false)),
        },
        Check {
            name: "bearer_missing_problem",
            level: Level::Strict,
            description: "charge and usage without a token are 401 token_missing problem+json with WWW-Authenticate: Bearer",
            run: |ctx| Box::pin(tokens::bearer_missing(ctx, true)),
        },
        Check {
            name: "jwt_alg_none",
            level: Level::Compat,
            description: "the API's own claims under alg \"none\" with no signature are refused (401)",
            run: |ctx| Box::pin(tokens::alg_none(ctx, false)),
        },
        Check {
            name: "jwt_wrong_key",
            level: Level::Compat,
            description: "the API's own header and claims, signed with another key of the header's algorithm (HS256: another secret; EdDSA: another Ed25519 key), are refused (401)",
            run: |ctx| Box::pin(tokens::wrong_key(ctx, false)),
        },
        Check {
            name: "jwt_wrong_audience",
            level: Level::Compat,
            description: "a token whose aud is another audience is refused (401); signed with the API's key when the suite holds it (in-process), else the genuine signature is kept, which proves only that aud is covered by the signature",
            run: |ctx| Box::pin(tokens::wrong_audience(ctx, false)),
        },
        Check {
            name: "jwt_forgeries_problem",
            level: Level::Strict,
            description: "alg none, another key and another audience are each 401 token_invalid problem+json",
            run: |ctx| Box::pin(tokens::forgeries_problem(ctx)),
        },
        Check {
            name: "jwt_expired",
            level: Level::Compat,
            description: "a genuine token a minute past its exp (dev clock moved; the hosted verifier allows 1 minute of skew) is refused (401)",
            run: |ctx| Box::pin(tokens::expired(ctx, false)),
        },
        Check {
            name: "jwt_expired_at_exp",
            level: Level::Strict,
            description: "a genuine token at its exp (dev clock moved) is refused as 401 token_expired, with no skew",
            run: |ctx| Box::pin(tokens::expired(ctx, true)),
        },
        Check {
            name: "jwt_verifies_with_jwks",
            level: Level::Strict,
            description: "a confirm JWT is EdDSA, typ at+jwt, its kid is in /.well-known/jwks.json, and it verifies with that key (iss, aud, sub, iat, nbf, exp, jti; exp - iat = expiresIn); the hosted API has no JWKS (HS256)",
            run: |ctx| Box::pin(tokens::verifies_with_jwks(ctx)),
        },
        // Lightning: real BOLT11 invoices, the payment flow, 402 challenges, L402/x402.
        Check {
            name: "bolt11_valid",
            level: Level::Compat,
            description: "the quoted bolt11 parses (lightning-invoice) with a valid signature, amount = amountSats, payment hash = paymentHash, expiry = expiresAtUnix",
            run: |ctx| Box::pin(lightning::bolt11_valid(ctx)),
        },
        Check {
            name: "lightning_confirm_pending_then_paid",
            level: Level::Compat,
            description: "confirm of an unpaid quote is 200 {jwt: null, paymentStatus: pending} (expiresIn, remainingBudgetSats null or 0); once paid (dev settle, or the demo's simulated payment) status says paymentStatus paid, confirm gives a jwt with paymentStatus paid, and status says confirmed",
            run: |ctx| Box::pin(lightning::confirm_pending_then_paid(ctx, false)),
        },
        Check {
            name: "lightning_pending_fields_null",
            level: Level::Strict,
            description: "as lightning_confirm_pending_then_paid, and while unpaid every grant field (jwt, expiresIn, remainingBudgetSats, refreshToken) is null, and a paid quote's status is paid before confirm (hosted: 0s, and status pending until confirmed)",
            run: |ctx| Box::pin(lightning::confirm_pending_then_paid(ctx, true)),
        },
        Check {
            name: "http402_challenge_headers",
            level: Level::Strict,
            description: "GET /api/demo/resource without credentials is 402 with WWW-Authenticate L402 (macaroon, invoice) and x402 (invoice, paymentHash) that parse, name one invoice, and whose macaroon identifier carries its payment hash",
            run: |ctx| Box::pin(lightning::challenge_headers(ctx)),
        },
        Check {
            name: "l402_paid_credential_accepted",
            level: Level::Strict,
            description: "after the challenge's invoice is paid (dev settle), Authorization: L402 <macaroon>:<preimage>, LSAT and x402 <preimage> open the resource (a payment each); before that, the same credentials are refused with 402, and so is a credential whose payment's calls are spent",
            run: |ctx| Box::pin(lightning::paid_credential(ctx)),
        },
        // Errors on the wire: readable 4xx (compat), problem+json with a code (strict).
        Check {
            name: "errors_readable",
            level: Level::Compat,
            description: "client mistakes (unknown quote, unknown key, forged sig, second confirm, bad JSON, text/plain body, unknown refresh token, no bearer) are each a 4xx with a readable body (error_description, detail, message, error, title or text), never a 5xx; an unknown path is 404 and GET on a POST endpoint 405",
            run: |ctx| Box::pin(errors::readable(ctx)),
        },
        Check {
            name: "errors_problem_json",
            level: Level::Strict,
            description: "every error (400, 401, 404, 405, 409, 413, 415, 422) is application/problem+json {type, title, status = HTTP status, detail, code} with error = code, error_description = detail, and the documented code",
            run: |ctx| Box::pin(errors::problem_json(ctx)),
        },
        Check {
            name: "oversized_body_413",
            level: Level::Strict,
            description: "a 70 KB confirm body is refused with 413 payload_too_large",
            run: |ctx| Box::pin(errors::oversized_body(ctx)),
        },
        Check {
            name: "unknown_route_404",
            level: Level::Strict,
            description: "an unknown path is a 404 problem with code not_found",
            run: |ctx| Box::pin(errors::unknown_route(ctx)),
        },
        Check {
            name: "healthz_and_openapi",
            level: Level::Strict,
            description: "/healthz is {status: ok}; /openapi.json is OpenAPI 3.1 and documents every v1 path",
            run: |ctx| Box::pin(errors::healthz_and_openapi(ctx)),
        },
        // L402 bundles: the purchase and the macaroon confirm.
        Check {
            name: "bundle_flow_shape",
            level: Level::Compat,
            description: "a starter bundle invoice is {bundleId, invoice, bolt11, paymentHash, amountSats: 50, expiresAtUnix, tier, totalCalls: 100}; its claim is 402 until paid, then {macaroon, bundleId, remainingCalls, expiresAtUnix, scopes}; status is {bundleId, tier, totalCalls, remainingCalls, usedCalls, expiresAtUnix, isExpired, isDepleted}; keyless, the invoice is a 401",
            run: |ctx| Box::pin(bundles::flow_shape(ctx)),
        },
        Check {
            name: "bundle_bad_macaroon_402",
            level: Level::Compat,
            description: "start with forceL402 is {quoteId, powChallenge: null, invoice: null, authHint: \"l402_bundle\"}; confirming it with a macaroon the API never minted is a 402 with no token",
            run: |ctx| Box::pin(bundles::bad_macaroon_402(ctx)),
        },
        Check {
            name: "bundle_forged_macaroons_refused",
            level: Level::Strict,
            description: "a foreign, truncated or changed bundle macaroon is a 402 problem macaroon_invalid and spends no call; the claimed one confirms to paymentStatus l402_paid with remainingBudgetSats = calls left, spending exactly one",
            run: |ctx| Box::pin(bundles::forged_macaroons_refused(ctx)),
        },
        // Caller funding (LiveAuth 1.3): the challenge, and the payment credited once.
        Check {
            name: "caller_payment_required_shape",
            level: Level::Compat,
            description: "where GET /api/mcp/capabilities says callerFunding: true, an unfunded caller-funded charge (idempotencyKey, requestHash) is a 402 deny payment_required with fundingMode, grossSats, callerBalanceSats, remainingBudgetSats and a payment {paymentId, method lightning, amountSats, creditSats ≤ the cost, a real BOLT11 of amountSats, expiresAt, confirmPath, retryIdempotencyKey}; nothing is booked",
            run: |ctx| Box::pin(caller::challenge_shape(ctx)),
        },
        Check {
            name: "caller_payment_credited_once",
            level: Level::Strict,
            description: "a retry before payment asks for the same payment; another session's confirm of it is 404; paid (dev settle) and confirmed twice it credits creditSats once; the retried charge is booked once from the balance, a repeat answers duplicate: true with the same receipt, and another requestHash under the key is a deny idempotency_conflict",
            run: |ctx| Box::pin(caller::paid_once(ctx)),
        },
    ]
}
