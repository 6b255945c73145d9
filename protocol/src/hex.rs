//! Lowercase hex, the one spelling of bytes on the wire (hashes, preimages, challenges).

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of any byte string.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A UUID's canonical text form (8-4-4-4-12 lowercase hex) of 16 bytes.
pub fn uuid(bytes: &[u8; 16]) -> String {
    let h = encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Whether a `Content-Type` value names JSON (`application/json` or any `+json` type).
pub fn is_json_media_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples() {
        assert_eq!(encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(encode(&[]), "");
        assert_eq!(uuid(&[0x11; 16]), "11111111-1111-1111-1111-111111111111");
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type("Application/Problem+JSON"));
        assert!(!is_json_media_type("text/html"));
    }
}
