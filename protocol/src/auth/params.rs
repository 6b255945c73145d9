//! The RFC 9110 §11 grammar of `Authorization` and `WWW-Authenticate` values: the auth
//! scheme, token68, and `#auth-param` lists with token or quoted-string values.

use std::collections::BTreeMap;
use std::fmt;
use std::iter::Peekable;
use std::str::CharIndices;

use super::AuthHeaderError;

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 9110 tchar.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// RFC 9110 token68: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub(super) fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}

/// Splits `scheme 1*SP rest`, trimming the surrounding whitespace an HTTP layer may leave.
pub(super) fn split_scheme(value: &str) -> Result<(&str, &str), AuthHeaderError> {
    let value = value.trim_matches(is_ows);
    if value.is_empty() {
        return Err(AuthHeaderError::Empty);
    }
    let end = value.find(|c: char| !is_tchar(c)).unwrap_or(value.len());
    let (scheme, rest) = value
        .split_at_checked(end)
        .ok_or(AuthHeaderError::MissingScheme)?;
    if scheme.is_empty() {
        return Err(AuthHeaderError::MissingScheme);
    }
    let trimmed = rest.trim_start_matches(is_ows);
    if trimmed.len() == rest.len() && !rest.is_empty() {
        return Err(AuthHeaderError::Syntax {
            offset: 0,
            reason: "expected space after scheme",
        });
    }
    Ok((scheme, trimmed))
}

/// RFC 9110 `#auth-param`, names lowercased; empty list elements are skipped.
pub(super) fn parse_params(input: &str) -> Result<BTreeMap<String, String>, AuthHeaderError> {
    let mut params = BTreeMap::new();
    let mut chars = input.char_indices().peekable();
    let skip_ows = |chars: &mut Peekable<CharIndices<'_>>| {
        while chars.next_if(|&(_, c)| is_ows(c)).is_some() {}
    };
    loop {
        skip_ows(&mut chars);
        let Some(&(offset, c)) = chars.peek() else {
            break;
        };
        if c == ',' {
            chars.next();
            continue;
        }
        let mut name = String::new();
        while let Some((_, c)) = chars.next_if(|&(_, c)| is_tchar(c)) {
            name.push(c.to_ascii_lowercase());
        }
        if name.is_empty() {
            return Err(AuthHeaderError::Syntax {
                offset,
                reason: "expected parameter name",
            });
        }
        skip_ows(&mut chars);
        if chars.next_if(|&(_, c)| c == '=').is_none() {
            let offset = chars.peek().map_or(input.len(), |&(i, _)| i);
            return Err(AuthHeaderError::Syntax {
                offset,
                reason: "expected '='",
            });
        }
        skip_ows(&mut chars);
        let mut value = String::new();
        if chars.next_if(|&(_, c)| c == '"').is_some() {
            loop {
                let (i, c) = chars.next().ok_or(AuthHeaderError::UnterminatedQuote)?;
                let c = match c {
                    '"' => break,
                    '\\' => chars.next().ok_or(AuthHeaderError::UnterminatedQuote)?.1,
                    c => c,
                };
                // qdtext and quoted-pair both exclude control characters other than HTAB.
                if c.is_ascii_control() && c != '\t' {
                    return Err(AuthHeaderError::Syntax {
                        offset: i,
                        reason: "control character in quoted string",
                    });
                }
                value.push(c);
            }
        } else {
            while let Some((_, c)) = chars.next_if(|&(_, c)| is_tchar(c)) {
                value.push(c);
            }
            if value.is_empty() {
                let offset = chars.peek().map_or(input.len(), |&(i, _)| i);
                return Err(AuthHeaderError::Syntax {
                    offset,
                    reason: "expected parameter value",
                });
            }
        }
        if params.contains_key(&name) {
            return Err(AuthHeaderError::DuplicateParam(name));
        }
        params.insert(name, value);
        skip_ows(&mut chars);
        match chars.next() {
            None => break,
            Some((_, ',')) => {}
            Some((offset, _)) => {
                return Err(AuthHeaderError::Syntax {
                    offset,
                    reason: "expected ','",
                });
            }
        }
    }
    Ok(params)
}

/// Looks up a parameter; `params` keys are already lowercase.
pub(super) fn required<'a>(
    params: &'a BTreeMap<String, String>,
    name: &'static str,
) -> Result<&'a str, AuthHeaderError> {
    params
        .get(&name.to_ascii_lowercase())
        .map(String::as_str)
        .ok_or(AuthHeaderError::MissingParam(name))
}

/// Writes `value` as a quoted-string, escaping `"` and `\`.
pub(super) fn write_quoted(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in value.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token68() {
        for ok in ["abc", "a.b-c_d~e+f/g", "abc==", "A"] {
            assert!(is_token68(ok), "{ok}");
        }
        for bad in ["", "==", "a=b", "a b", "a,b", "é"] {
            assert!(!is_token68(bad), "{bad}");
        }
    }

    #[test]
    fn scheme_and_rest() {
        assert_eq!(split_scheme("  L402  a=b \t"), Ok(("L402", "a=b")));
        assert_eq!(split_scheme("Bearer"), Ok(("Bearer", "")));
        assert_eq!(split_scheme(" \t"), Err(AuthHeaderError::Empty));
        assert_eq!(
            split_scheme("\"L402\""),
            Err(AuthHeaderError::MissingScheme)
        );
        assert_eq!(
            split_scheme("x402\"a"),
            Err(AuthHeaderError::Syntax {
                offset: 0,
                reason: "expected space after scheme",
            })
        );
    }

    /// Names are lowercased, values kept; quoted-pairs unescape; empty elements skipped.
    #[test]
    fn params() {
        let parsed = parse_params(r#", A=1 ,, b = "x \"y\" \\z"  ,"#).unwrap();
        let want: BTreeMap<String, String> = [("a", "1"), ("b", r#"x "y" \z"#)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(parsed, want);
        assert_eq!(required(&parsed, "A"), Ok("1"));
        assert_eq!(
            required(&parsed, "c"),
            Err(AuthHeaderError::MissingParam("c"))
        );
        assert_eq!(parse_params(""), Ok(BTreeMap::new()));
        assert_eq!(
            parse_params("a=\"x\u{1}\""),
            Err(AuthHeaderError::Syntax {
                offset: 4,
                reason: "control character in quoted string",
            })
        );
        assert_eq!(
            parse_params("a=1, A=2"),
            Err(AuthHeaderError::DuplicateParam("a".into()))
        );
    }

    #[test]
    fn quoting_round_trips() {
        struct Quoted(&'static str);
        impl fmt::Display for Quoted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_quoted(f, self.0)
            }
        }
        let written = Quoted(r#"a "b" \c"#).to_string();
        assert_eq!(written, r#""a \"b\" \\c""#);
        let parsed = parse_params(&format!("v={written}")).unwrap();
        assert_eq!(parsed["v"], r#"a "b" \c"#);
    }
}
