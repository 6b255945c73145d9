//! Properties of the PoW rule, the nonce format and the challenge signature, as plain
//! functions over bytes: the fuzz targets in `fuzz/` and the proptests in
//! `testkit/tests/fuzz_protocol.rs` call them. They panic only when a property is
//! violated. Not API: compiled only with the `fuzzing` feature.
//!
//! Inputs are line-based text (fields separated by `\n`), so seed files are readable and
//! a mutation that inserts or removes a newline moves bytes between fields, which is
//! exactly what the signature must notice. The checks recompute everything independently
//! (plain `Sha256::digest`, a hand-written hex decoder and byte-wise comparison) rather
//! than calling the helpers under test.
//!
//! The L402/x402 header and macaroon properties live in [`crate::l402::fuzzing`].

use sha2::{Digest, Sha256};

use crate::challenge::{ChallengeSigner, SignatureError, SignedFields};
use crate::codec::decode_hex32;
use crate::pow::{
    self, MAX_DIFFICULTY_BITS, MAX_NONCE, leading_zero_bits, meets_target, parse_nonce,
    target_from_bits, verify_solution,
};
use crate::wire::Nonce;

/// Splits `data` (lossy UTF-8) into exactly `N` fields at `\n`; missing fields are empty
/// and the last one keeps any further newlines.
fn fields<const N: usize>(data: &[u8]) -> [String; N] {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(N, '\n');
    std::array::from_fn(|_| parts.next().unwrap_or_default().to_owned())
}

// ---------------------------------------------------------------------------------------
// PoW

/// A challenge and a submission: `key \n challengeHex \n nonce \n bits \n targetHex`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PowInput {
    pub key: String,
    pub challenge_hex: String,
    /// As submitted: canonical or not.
    pub nonce: String,
    /// Decimal; anything else reads as 0 difficulty bits.
    pub bits: String,
    pub target_hex: String,
}

impl PowInput {
    pub fn from_bytes(data: &[u8]) -> Self {
        let [key, challenge_hex, nonce, bits, target_hex] = fields(data);
        Self {
            key,
            challenge_hex,
            nonce,
            bits,
            target_hex,
        }
    }

    /// The byte form [`PowInput::from_bytes`] reads (for seed files).
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            &self.key,
            &self.challenge_hex,
            &self.nonce,
            &self.bits,
            &self.target_hex,
        ]
        .map(String::as_str)
        .join("\n")
        .into_bytes()
    }

    /// The difficulty bits the input asks for (0 when not a decimal u32).
    pub fn bits(&self) -> u32 {
        self.bits.parse().unwrap_or(0)
    }
}

/// 64 lowercase hex digits, decoded without the library's helper.
pub fn independent_hex32(text: &str) -> Option<[u8; 32]> {
    const DIGITS: &str = "0123456789abcdef";
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, c) in text.chars().enumerate() {
        let value = u8::try_from(DIGITS.find(c)?).ok()?;
        out[i / 2] = (out[i / 2] << 4) | value;
    }
    Some(out)
}

/// `a < b` as 32-byte big-endian numbers, byte by byte.
pub fn independent_less(a: &[u8; 32], b: &[u8; 32]) -> bool {
    for i in 0..32 {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
    }
    false
}

/// `(2^256 - 1) >> bits`, bit by bit.
pub fn independent_target(bits: u32) -> Option<[u8; 32]> {
    if bits > 256 {
        return None;
    }
    let mut out = [0u8; 32];
    for position in 0..256u32 {
        if position >= bits {
            out[(position / 8) as usize] |= 0x80 >> (position % 8);
        }
    }
    Some(out)
}

/// Whether `nonce_text` is canonical by the rule, decided without `parse_nonce`.
pub fn independent_nonce(nonce_text: &str) -> Option<u64> {
    let canonical = !nonce_text.is_empty()
        && nonce_text.bytes().all(|b| b.is_ascii_digit())
        && (nonce_text == "0" || !nonce_text.starts_with('0'))
        && nonce_text.len() <= 20;
    if !canonical {
        return None;
    }
    let value: u128 = nonce_text.parse().ok()?;
    if value > u128::from(MAX_NONCE) {
        return None;
    }
    u64::try_from(value).ok()
}

/// SHA-256 of the message as docs/design.md spells it, with `nonce_text` as given.
pub fn independent_hash(key: &str, challenge_hex: &str, nonce_text: &str) -> [u8; 32] {
    Sha256::digest(format!("{key}:{challenge_hex}:{nonce_text}").as_bytes()).into()
}

/// Any bytes as a [`PowInput`]: the PoW helpers agree with an independent
/// recomputation (see [`pow_check`]).
pub fn pow_rule(data: &[u8]) {
    pow_check(&PowInput::from_bytes(data));
}

/// The PoW helpers agree with an independent recomputation: target from bits, hex
/// decoding, nonce parsing, the hash, and `verify_solution` against both the sent target
/// and the one derived from the bits (which must also equal "enough leading zeros and not
/// the target itself").
pub fn pow_check(input: &PowInput) {
    let bits = input.bits();
    let derived = target_from_bits(bits).ok();
    assert_eq!(
        derived,
        independent_target(bits),
        "target_from_bits({bits})"
    );
    assert_eq!(derived.is_none(), bits > MAX_DIFFICULTY_BITS);

    let sent_target = independent_hex32(&input.target_hex);
    let canonical = independent_nonce(&input.nonce);
    assert_eq!(
        (
            decode_hex32(&input.target_hex).ok(),
            parse_nonce(&input.nonce).ok()
        ),
        (sent_target, canonical),
        "decode_hex32({:?}), parse_nonce({:?})",
        input.target_hex,
        input.nonce
    );

    // A lenient reading of the nonce text, so values above MAX_NONCE reach the verifier.
    let lenient: Option<u64> = input.nonce.parse().ok();
    for nonce in canonical.into_iter().chain(lenient) {
        let nonce_text = nonce.to_string();
        let hash = independent_hash(&input.key, &input.challenge_hex, &nonce_text);
        assert_eq!(
            pow::solution_hash(&input.key, &input.challenge_hex, nonce),
            hash,
            "solution_hash differs from SHA-256({:?})",
            format!("{}:{}:{nonce_text}", input.key, input.challenge_hex)
        );
        let in_range = nonce <= MAX_NONCE;
        for target in [sent_target, derived].into_iter().flatten() {
            let expected = in_range && independent_less(&hash, &target);
            assert_eq!(
                meets_target(&hash, &target),
                independent_less(&hash, &target)
            );
            assert_eq!(
                verify_solution(&input.key, &input.challenge_hex, nonce, &target),
                expected,
                "verify_solution(nonce {nonce}) disagrees with hash < target"
            );
        }
        if let Some(target) = derived {
            assert_eq!(
                independent_less(&hash, &target),
                leading_zero_bits(&hash) >= bits && hash != target,
                "hash < target is not 'at least {bits} leading zero bits and not the target'"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Nonce

/// Any bytes (lossy UTF-8) as a nonce: `parse_nonce` accepts exactly the canonical
/// decimals in `0..=MAX_NONCE` and round-trips them through `format_nonce`; the JSON
/// [`Nonce`] read from a string agrees with `parse_nonce`, and read from raw JSON it
/// accepts only an integer literal written canonically.
pub fn nonce_parse(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let parsed = parse_nonce(text);
    assert_eq!(
        parsed.ok(),
        independent_nonce(text),
        "parse_nonce({text:?}) disagrees with the rule"
    );
    if let Ok(nonce) = parsed {
        assert!(nonce <= MAX_NONCE);
        assert_eq!(pow::format_nonce(nonce), text, "format(parse(s)) != s");
        assert_eq!(
            serde_json::to_string(&Nonce(nonce)).ok().as_deref(),
            Some(text),
            "JSON nonce is not written as the canonical integer"
        );
    }

    // As a JSON string: the same rule.
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    let from_string = serde_json::from_str::<Nonce>(&quoted).map(|n| n.0);
    assert_eq!(
        from_string.ok(),
        parsed.ok(),
        "JSON string {quoted} disagrees with parse_nonce"
    );

    // As raw JSON: only an integer literal that is itself canonical (modulo whitespace).
    if let Ok(Nonce(nonce)) = serde_json::from_str::<Nonce>(text) {
        let literal = text.trim_matches([' ', '\t', '\n', '\r']);
        let as_string = serde_json::from_str::<String>(text).ok();
        let canonical_literal = literal == pow::format_nonce(nonce);
        let canonical_string = as_string.as_deref() == Some(pow::format_nonce(nonce).as_str());
        assert!(
            canonical_literal || canonical_string,
            "JSON {text:?} was read as nonce {nonce} but is not its canonical form"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Challenge signature

/// The fields of a challenge and a candidate signature, one per line: `projectId`,
/// `projectPublicKey`, `quoteId`, `challengeHex`, `targetHex`, `difficultyBits` (decimal,
/// else 0), `expiresAtUnix` (decimal, else 0), a secret (hashed to 32 bytes) and a
/// signature to try.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureInput {
    pub project_id: String,
    pub project_public_key: String,
    pub quote_id: String,
    pub challenge_hex: String,
    pub target_hex: String,
    pub difficulty_bits: u32,
    pub expires_at_unix: i64,
    pub secret: String,
    pub candidate: String,
}

impl SignatureInput {
    pub fn from_bytes(data: &[u8]) -> Self {
        let [
            project_id,
            project_public_key,
            quote_id,
            challenge_hex,
            target_hex,
            bits,
            expires,
            secret,
            candidate,
        ] = fields(data);
        Self {
            project_id,
            project_public_key,
            quote_id,
            challenge_hex,
            target_hex,
            difficulty_bits: bits.parse().unwrap_or(0),
            expires_at_unix: expires.parse().unwrap_or(0),
            secret,
            candidate,
        }
    }

    /// The byte form [`SignatureInput::from_bytes`] reads (for seed files).
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            self.project_id.clone(),
            self.project_public_key.clone(),
            self.quote_id.clone(),
            self.challenge_hex.clone(),
            self.target_hex.clone(),
            self.difficulty_bits.to_string(),
            self.expires_at_unix.to_string(),
            self.secret.clone(),
            self.candidate.clone(),
        ]
        .join("\n")
        .into_bytes()
    }

    /// The `i`th of the five signed text fields, in signing order (the last from 4 on).
    fn text_field(&mut self, i: usize) -> &mut String {
        match i {
            0 => &mut self.project_id,
            1 => &mut self.project_public_key,
            2 => &mut self.quote_id,
            3 => &mut self.challenge_hex,
            _ => &mut self.target_hex,
        }
    }

    fn signed(&self) -> SignedFields<'_> {
        SignedFields {
            project_id: &self.project_id,
            project_public_key: &self.project_public_key,
            quote_id: &self.quote_id,
            challenge_hex: &self.challenge_hex,
            target_hex: &self.target_hex,
            difficulty_bits: self.difficulty_bits,
            expires_at_unix: self.expires_at_unix,
        }
    }
}

/// Any bytes as a [`SignatureInput`]: see [`signature_check`].
pub fn challenge_signature(data: &[u8]) {
    signature_check(&SignatureInput::from_bytes(data));
}

/// verify(sign(x)) holds; the encoding decodes back to the fields (so it is injective);
/// every single-field change, every move of a byte across a field boundary, every
/// one-character change of the signature, another secret, and any candidate signature
/// other than the issued one, fail.
pub fn signature_check(input: &SignatureInput) {
    let secret: [u8; 32] = Sha256::digest(input.secret.as_bytes()).into();
    let signer = ChallengeSigner::new(&secret);
    let fields = input.signed();
    let signature = signer.sign(&fields);
    assert_eq!(signature.len(), 43, "a signature is 43 base64url chars");
    assert_eq!(
        signer.verify(&fields, &signature),
        Ok(()),
        "verify(sign(x))"
    );

    assert_eq!(
        decode_signed(&fields.encode()),
        Some(owned(&fields)),
        "the signed encoding does not decode back to its fields"
    );

    for mutated in field_mutations(input) {
        let other = mutated.signed();
        if other == fields {
            continue;
        }
        assert_ne!(
            other.encode(),
            fields.encode(),
            "two field tuples encode alike"
        );
        assert_eq!(
            signer.verify(&other, &signature),
            Err(SignatureError::Mismatch),
            "the signature of {fields:?} verifies for {other:?}"
        );
    }

    for bad in signature_mutations(&signature) {
        assert!(
            signer.verify(&fields, &bad).is_err(),
            "mutated signature {bad:?} (of {signature:?}) verifies"
        );
    }
    let other_secret: [u8; 32] = Sha256::digest(format!("{}+", input.secret)).into();
    assert_eq!(
        ChallengeSigner::new(&other_secret).verify(&fields, &signature),
        Err(SignatureError::Mismatch),
        "a signature verifies under another secret"
    );
    if input.candidate != signature {
        assert!(
            signer.verify(&fields, &input.candidate).is_err(),
            "candidate {:?} verifies but the issued signature is {signature:?}",
            input.candidate
        );
    }
}

type OwnedFields = (String, String, String, String, String, u32, i64);

fn owned(f: &SignedFields<'_>) -> OwnedFields {
    (
        f.project_id.to_owned(),
        f.project_public_key.to_owned(),
        f.quote_id.to_owned(),
        f.challenge_hex.to_owned(),
        f.target_hex.to_owned(),
        f.difficulty_bits,
        f.expires_at_unix,
    )
}

/// Reads the length-prefixed encoding back, refusing anything left over.
fn decode_signed(mut bytes: &[u8]) -> Option<OwnedFields> {
    let mut next = || -> Option<Vec<u8>> {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        let field = rest.get(..len)?.to_vec();
        bytes = &rest[len..];
        Some(field)
    };
    let tag = next()?;
    let text = |v: Vec<u8>| String::from_utf8(v).ok();
    let fields = (
        text(next()?)?,
        text(next()?)?,
        text(next()?)?,
        text(next()?)?,
        text(next()?)?,
        u32::from_be_bytes(next()?.try_into().ok()?),
        i64::from_be_bytes(next()?.try_into().ok()?),
    );
    (tag == b"liveauth/pow-challenge/v1" && bytes.is_empty()).then_some(fields)
}

/// Each field changed alone (a byte appended, the last char dropped, numbers moved by
/// one), and each boundary between adjacent string fields moved by one char.
fn field_mutations(input: &SignatureInput) -> Vec<SignatureInput> {
    let mut out = Vec::new();
    for i in 0..5 {
        let mut appended = input.clone();
        appended.text_field(i).push('0');
        out.push(appended);
        let mut dropped = input.clone();
        if dropped.text_field(i).pop().is_some() {
            out.push(dropped);
        }
        if i < 4 {
            // The last char of field i becomes the first of field i + 1, and back.
            let mut moved = input.clone();
            if let Some(c) = moved.text_field(i).pop() {
                moved.text_field(i + 1).insert(0, c);
                out.push(moved);
            }
            let mut moved = input.clone();
            if !moved.text_field(i + 1).is_empty() {
                let c = moved.text_field(i + 1).remove(0);
                moved.text_field(i).push(c);
                out.push(moved);
            }
        }
    }
    let (bits, expires) = (input.difficulty_bits, input.expires_at_unix);
    for (difficulty_bits, expires_at_unix) in [
        (bits.wrapping_add(1), expires),
        (bits.wrapping_sub(1), expires),
        (bits, expires.wrapping_add(1)),
        (bits, expires.wrapping_sub(1)),
    ] {
        out.push(SignatureInput {
            difficulty_bits,
            expires_at_unix,
            ..input.clone()
        });
    }
    out
}

/// Every one-character substitution (with the neighbour in the base64url alphabet), a
/// truncation, an extension and the padded form.
fn signature_mutations(signature: &str) -> Vec<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = signature.as_bytes();
    let mut out = Vec::new();
    for (i, &c) in bytes.iter().enumerate() {
        let position = ALPHABET.iter().position(|&a| a == c).unwrap_or(0);
        for step in [1, 63] {
            let mut changed = bytes.to_vec();
            changed[i] = ALPHABET[(position + step) % 64];
            out.push(String::from_utf8_lossy(&changed).into_owned());
        }
    }
    out.push(signature[..signature.len().saturating_sub(1)].to_owned());
    out.push(format!("{signature}A"));
    out.push(format!("{signature}="));
    out.push(format!(" {signature}"));
    out
}
