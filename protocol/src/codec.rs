//! Every byte codec of the wire, in one place: hex, base64 (standard and base64url) and
//! UUID text.
//!
//! Writers are canonical: lowercase hex, padded standard base64, unpadded base64url.
//! Readers are strict unless their name says otherwise:
//!
//! - [`decode_hex32`]: exactly 64 lowercase hex digits, the spelling we write and sign
//!   (PoW hashes and targets), so two spellings of one value never meet a cache or a MAC.
//! - [`decode_hex32_any_case`]: 64 hex digits in either case, as the hosted API compares
//!   `hashHex` and as header values (preimages, payment hashes) are read.
//! - [`decode_base64`], [`decode_base64url`]: one alphabet, one padding rule each.
//! - [`decode_base64_any`]: either alphabet, padded or not (macaroons: clients disagree).
//! - [`decode_hash32_any`]: a 32-byte hash in any of the spellings above; Lightning
//!   payment hashes are 64 hex in the current hosted backend and were LND's base64
//!   `r_hash` in an older one, so they are compared as decoded bytes.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Either padding style on decode; trailing bits must still be zero, so each byte string
/// has one spelling per alphabet and padding choice.
const ANY_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, ANY_PADDING);
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, ANY_PADDING);

/// Which hex digits a 32-byte reader takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HexCase {
    /// `0-9` and `a-f` only: [`decode_hex32`].
    Lower,
    /// `0-9`, `a-f` and `A-F`: [`decode_hex32_any_case`].
    Any,
}

impl HexCase {
    /// Decodes 64 hex digits under this rule.
    pub fn decode_hex32(self, text: &str) -> Result<[u8; 32], HexError> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(HexError::Length(text.chars().count()));
        }
        let nibble = |index: usize| match (bytes[index], self) {
            (c @ b'0'..=b'9', _) => Ok(c - b'0'),
            (c @ b'a'..=b'f', _) => Ok(c - b'a' + 10),
            (c @ b'A'..=b'F', Self::Any) => Ok(c - b'A' + 10),
            (_, Self::Lower) => Err(HexError::Digit { index }),
            (_, Self::Any) => Err(HexError::AnyCaseDigit { index }),
        };
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = (nibble(2 * i)? << 4) | nibble(2 * i + 1)?;
        }
        Ok(out)
    }
}

/// Why a 32-byte hex value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// Not 64 bytes long; the count is in characters.
    #[error("expected 64 hex characters, got {0}")]
    Length(usize),
    /// The byte at `index` is not `0-9a-f` ([`HexCase::Lower`]). A multi-byte character
    /// is refused at its first byte, never split or decoded.
    #[error("character {index} is not a lowercase hex digit (0-9, a-f)")]
    Digit {
        /// Byte offset of the refused character.
        index: usize,
    },
    /// The byte at `index` is not `0-9a-fA-F` ([`HexCase::Any`]).
    #[error("character {index} is not a hex digit (0-9, a-f, A-F)")]
    AnyCaseDigit {
        /// Byte offset of the refused character.
        index: usize,
    },
}

/// Why a base64 value was refused (which alphabet and padding rule was expected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not valid {expected}")]
pub struct Base64Error {
    expected: &'static str,
}

/// Lowercase hex of any byte string.
pub fn encode_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// Exactly 64 lowercase hex digits, nothing else: the wire form is canonical, so two
/// spellings of one value can never be told apart by a signature or a cache.
pub fn decode_hex32(text: &str) -> Result<[u8; 32], HexError> {
    HexCase::Lower.decode_hex32(text)
}

/// Exactly 64 hex digits, either case (mixed case too).
pub fn decode_hex32_any_case(text: &str) -> Result<[u8; 32], HexError> {
    HexCase::Any.decode_hex32(text)
}

/// Standard base64 with padding.
pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Standard base64 with its padding, as [`encode_base64`] writes it.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, Base64Error> {
    STANDARD.decode(text).map_err(|_| Base64Error {
        expected: "padded standard base64",
    })
}

/// base64url without padding (RFC 4648 §5), as JOSE and our challenge MACs use it.
pub fn encode_base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url without padding, as [`encode_base64url`] writes it; padding is refused.
pub fn decode_base64url(text: &str) -> Result<Vec<u8>, Base64Error> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| Base64Error {
        expected: "unpadded base64url",
    })
}

/// Standard or URL-safe alphabet, padded or not; one text never mixes the alphabets.
pub fn decode_base64_any(text: &str) -> Result<Vec<u8>, Base64Error> {
    // `-` or `_` can only mean URL-safe; a `+` or `/` beside them is then refused.
    let engine = if text.bytes().any(|b| b == b'-' || b == b'_') {
        &URL_SAFE_ANY_PADDING
    } else {
        &STANDARD_ANY_PADDING
    };
    engine.decode(text).map_err(|_| Base64Error {
        expected: "base64 (standard or URL-safe, padded or not)",
    })
}

/// A 32-byte hash written as 64 hex digits (either case), standard base64 or base64url
/// (padded or not); anything else is `None`.
pub fn decode_hash32_any(text: &str) -> Option<[u8; 32]> {
    // 32 bytes are 43 or 44 base64 characters, so 64 characters can only be hex.
    if text.len() == 64 {
        return decode_hex32_any_case(text).ok();
    }
    decode_base64_any(text).ok()?.try_into().ok()
}

/// A UUID's canonical text form (8-4-4-4-12 lowercase hex) of 16 bytes.
pub fn format_uuid(bytes: &[u8; 16]) -> String {
    let h = encode_hex(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes whose standard base64 holds both `+` and `/`, so the spellings all differ.
    fn sample() -> [u8; 32] {
        std::array::from_fn(|i| u8::try_from(i * 8 + 3).unwrap())
    }

    #[test]
    fn hex_encode() {
        assert_eq!(encode_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(encode_hex(&[]), "");
        assert_eq!(encode_hex(&[0x0f; 32]), "0f".repeat(32));
    }

    #[test]
    fn hex32_strict_takes_lowercase_only() {
        let text = "00".repeat(31) + "ab";
        assert_eq!(decode_hex32(&text).unwrap()[31], 0xab);
        assert_eq!(decode_hex32(&encode_hex(&sample())), Ok(sample()));
        assert_eq!(
            decode_hex32(&text.to_uppercase()),
            Err(HexError::Digit { index: 62 })
        );
        assert_eq!(decode_hex32(&text[1..]), Err(HexError::Length(63)));
        assert_eq!(decode_hex32(&format!("{text}0")), Err(HexError::Length(65)));
        assert_eq!(decode_hex32(""), Err(HexError::Length(0)));
        assert_eq!(
            decode_hex32(&format!("{}g", &text[..63])),
            Err(HexError::Digit { index: 63 })
        );
        assert_eq!(
            decode_hex32(&format!(" {}", &text[1..])),
            Err(HexError::Digit { index: 0 })
        );
        // A multi-byte character is refused at its first byte, never split or decoded.
        let accented = format!("{}é", "0".repeat(62));
        assert_eq!(decode_hex32(&accented), Err(HexError::Digit { index: 62 }));
        // 63 characters in 64 bytes: the length is reported in characters.
        assert_eq!(
            decode_hex32(&format!("{}é", "0".repeat(61))),
            Err(HexError::Length(62))
        );
    }

    #[test]
    fn hex32_any_case() {
        let lower = encode_hex(&sample());
        let upper = lower.to_uppercase();
        let mixed: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        for text in [&lower, &upper, &mixed] {
            assert_eq!(decode_hex32_any_case(text), Ok(sample()), "{text}");
        }
        assert_eq!(
            decode_hex32_any_case(&format!("{}G", &upper[..63])),
            Err(HexError::AnyCaseDigit { index: 63 })
        );
        assert_eq!(
            decode_hex32_any_case(&upper[..62]),
            Err(HexError::Length(62))
        );
        assert_eq!(
            decode_hex32_any_case(&format!("{}é", "A".repeat(62))),
            Err(HexError::AnyCaseDigit { index: 62 })
        );
        assert_eq!(HexCase::Any.decode_hex32(&upper), Ok(sample()));
        assert_eq!(
            HexCase::Lower.decode_hex32(&upper),
            Err(HexError::Digit { index: 3 })
        );
    }

    #[test]
    fn hex_error_messages() {
        assert_eq!(
            HexError::Length(3).to_string(),
            "expected 64 hex characters, got 3"
        );
        assert_eq!(
            HexError::Digit { index: 5 }.to_string(),
            "character 5 is not a lowercase hex digit (0-9, a-f)"
        );
        assert_eq!(
            HexError::AnyCaseDigit { index: 5 }.to_string(),
            "character 5 is not a hex digit (0-9, a-f, A-F)"
        );
    }

    /// `encode` writes [0xfb, 0xff] as `encoded` and `decode` reads it back; `decode`
    /// refuses every one of `bad`, with `message`.
    fn one_alphabet(
        encode: fn(&[u8]) -> String,
        decode: fn(&str) -> Result<Vec<u8>, Base64Error>,
        encoded: &str,
        bad: &[&str],
        message: &str,
    ) {
        assert_eq!(encode(&[0xfb, 0xff]), encoded);
        assert_eq!(decode(encoded), Ok(vec![0xfb, 0xff]));
        assert_eq!(decode(""), Ok(vec![]));
        for text in bad {
            let error = decode(text).err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some(message), "{text:?}");
        }
    }

    #[test]
    fn base64_standard() {
        one_alphabet(
            encode_base64,
            decode_base64,
            "+/8=",
            &["+/8", "-_8=", "+/8==", "+/9=", "+/ 8=", "!"],
            "not valid padded standard base64",
        );
    }

    #[test]
    fn base64url_unpadded() {
        one_alphabet(
            encode_base64url,
            decode_base64url,
            "-_8",
            &["-_8=", "+/8", "-_9", "-_", " -_8"],
            "not valid unpadded base64url",
        );
        assert_eq!(encode_base64url(&[7; 32]).len(), 43);
    }

    #[test]
    fn base64_any_takes_both_alphabets_and_paddings() {
        for text in ["+/8=", "+/8", "-_8=", "-_8"] {
            assert_eq!(decode_base64_any(text), Ok(vec![0xfb, 0xff]), "{text}");
        }
        // Mixed alphabets, non-zero trailing bits, stray characters.
        for bad in ["+_8=", "-/8", "+/9", "+/8 ", "not base64!", "+/8==="] {
            assert!(decode_base64_any(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hash32_any_spellings() {
        let hash = sample();
        let std = encode_base64(&hash);
        let url = std.replace('+', "-").replace('/', "_");
        assert!(std.contains(['+', '/']) && std.ends_with('='), "{std}");
        let hex = encode_hex(&hash);
        for text in [
            hex.clone(),
            hex.to_uppercase(),
            std.clone(),
            std.trim_end_matches('=').to_owned(),
            url.clone(),
            url.trim_end_matches('=').to_owned(),
        ] {
            assert_eq!(decode_hash32_any(&text), Some(hash), "{text}");
        }
        let short = encode_base64(&hash[..31]);
        let long = encode_base64(&[hash.as_slice(), &[0]].concat());
        // `+` of the standard alphabet beside `_` of the URL-safe one.
        let mixed = std.replace('/', "_");
        for bad in [
            "",
            &hex[..63],
            &format!("{hex}0"),
            &format!("{}g", &hex[..63]),
            &short,
            &long,
            &mixed,
            &format!(" {std}"),
            &format!("{std}="),
            &encode_base64(hex.as_bytes()),
        ] {
            assert_eq!(decode_hash32_any(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn uuid_text() {
        assert_eq!(
            format_uuid(&[0x11; 16]),
            "11111111-1111-1111-1111-111111111111"
        );
        let bytes: [u8; 16] = std::array::from_fn(|i| u8::try_from(i * 17).unwrap());
        assert_eq!(format_uuid(&bytes), "00112233-4455-6677-8899-aabbccddeeff");
    }

    proptest! {
        /// Every writer reads back, and every spelling of a hash decodes to it.
        #[test]
        fn round_trips(bytes in any::<[u8; 32]>(), data in prop::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(decode_hex32(&encode_hex(&bytes)), Ok(bytes));
            prop_assert_eq!(decode_hex32_any_case(&encode_hex(&bytes).to_uppercase()), Ok(bytes));
            prop_assert_eq!(decode_base64(&encode_base64(&data)), Ok(data.clone()));
            prop_assert_eq!(decode_base64url(&encode_base64url(&data)), Ok(data.clone()));
            prop_assert_eq!(decode_base64_any(&encode_base64url(&data)), Ok(data.clone()));
            prop_assert_eq!(decode_base64_any(&encode_base64(&data)), Ok(data));
            prop_assert_eq!(decode_hash32_any(&encode_hex(&bytes)), Some(bytes));
            prop_assert_eq!(decode_hash32_any(&encode_base64(&bytes)), Some(bytes));
            prop_assert_eq!(decode_hash32_any(&encode_base64url(&bytes)), Some(bytes));
        }

        /// Arbitrary text never panics a reader.
        #[test]
        fn readers_never_panic(text in "\\PC{0,70}") {
            let _ = decode_hex32(&text);
            let _ = decode_hex32_any_case(&text);
            let _ = decode_base64_any(&text);
            let _ = decode_hash32_any(&text);
        }
    }
}
