//! Masks secrets (API keys, JWTs, refresh tokens) before they reach a log, an error
//! message or a `Debug` string.
//!
//! A masked value keeps just enough to tell tokens apart when reading logs: its kind
//! prefix (`la_pk_`, `la_rt_`, `eyJ` for a JWT), two more chars, `…` and the last two
//! chars, e.g. `la_pk_ab…yz`. Values too short to hide most of their chars become `…`.

/// Prefixes that say what kind of secret a string is; kept in the masked form.
const KNOWN_PREFIXES: &[&str] = &["la_pk_", "la_rt_", "eyJ"];

/// Chars kept after the prefix and at the end.
const SHOWN_HEAD: usize = 2;
const SHOWN_TAIL: usize = 2;

/// At least this many chars must be hidden, or nothing but `…` is shown.
const MIN_HIDDEN: usize = 8;

/// Masks `secret` for display: `la_pk_abcdefghijklmnopqrstuvwxyz` → `la_pk_ab…yz`.
///
/// Works on chars, not bytes, so any UTF-8 input is safe. A string that would show more
/// than it hides becomes `…`.
pub(crate) fn mask_secret(secret: &str) -> String {
    let prefix = KNOWN_PREFIXES
        .iter()
        .find(|p| secret.starts_with(**p))
        .map_or("", |p| *p);
    let rest = &secret[prefix.len()..];
    let count = rest.chars().count();
    if count < SHOWN_HEAD + SHOWN_TAIL + MIN_HIDDEN {
        return "…".to_owned();
    }
    let head: String = rest.chars().take(SHOWN_HEAD).collect();
    let tail: String = rest.chars().skip(count - SHOWN_TAIL).collect();
    format!("{prefix}{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_known_prefixes() {
        assert_eq!(
            mask_secret("la_pk_abcdefghijklmnopqrstuvwxyz"),
            "la_pk_ab…yz"
        );
        assert_eq!(mask_secret("la_rt_Zm9vYmFyYmF6cXV4cXV1eA"), "la_rt_Zm…eA");
        assert_eq!(
            mask_secret("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln"),
            "eyJhb…ln"
        );
    }

    #[test]
    fn unknown_kinds_show_only_the_ends() {
        assert_eq!(mask_secret("0123456789abcdef"), "01…ef");
    }

    #[test]
    fn short_strings_are_hidden_entirely() {
        for short in ["", "x", "la_pk_", "la_pk_test", "eyJabc", "0123456789a"] {
            assert_eq!(mask_secret(short), "…", "{short:?}");
        }
        // The shortest string that shows anything hides MIN_HIDDEN chars.
        assert_eq!(mask_secret("la_pk_ab12345678yz"), "la_pk_ab…yz");
        assert_eq!(mask_secret("la_pk_ab1234567yz"), "…");
    }

    #[test]
    fn never_splits_a_char() {
        let masked = mask_secret("la_pk_éééééééééééééééé😀");
        assert_eq!(masked, "la_pk_éé…é😀");
        assert_eq!(mask_secret("ß".repeat(40).as_str()), "ßß…ßß");
        // A multi-byte char right after a prefix-like start must not confuse slicing.
        assert_eq!(mask_secret("eyé"), "…");
    }

    #[test]
    fn masked_value_never_contains_the_middle() {
        let secret = "la_rt_SECRETSECRETSECRETSECRET";
        let masked = mask_secret(secret);
        assert!(!masked.contains("SECRETSECRET"), "{masked}");
    }
}
