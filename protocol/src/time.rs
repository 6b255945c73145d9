//! RFC 3339 timestamps in UTC (`2026-02-17T12:00:00Z`) from and to unix seconds.
//!
//! Both ends of the wire format times with this module so `expiresAt` and
//! `dayWindowStart` match byte for byte. The conversion is Howard Hinnant's
//! days-from-civil algorithm (proleptic Gregorian calendar); no dependency needed.
//!
//! Reading what an API sent is lenient ([`parse_api_timestamp`]): the hosted API writes
//! times read back from its database without a zone (`2026-01-01T00:10:00`), which mean
//! UTC, and may add a fraction or an offset. [`zoneless_utc`] writes that hosted form.
//!
//! Range: years 0000 to 9999, the range RFC 3339 can write with four digits.
//! [`rfc3339_utc`] clamps times outside it to the nearest end; [`try_rfc3339_utc`]
//! refuses them. Leap seconds (`:60`) are not represented, as in unix time.

const SECS_PER_DAY: i64 = 86_400;

/// `0000-01-01T00:00:00Z` in unix seconds: the earliest time written exactly.
pub const MIN_UNIX: i64 = -62_167_219_200;
/// `9999-12-31T23:59:59Z` in unix seconds: the latest time written exactly.
pub const MAX_UNIX: i64 = 253_402_300_799;

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ`, clamped to [`MIN_UNIX`]..=[`MAX_UNIX`].
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let t = unix_secs.clamp(MIN_UNIX, MAX_UNIX);
    let days = t.div_euclid(SECS_PER_DAY);
    let secs_of_day = t.rem_euclid(SECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Formats unix seconds as [`rfc3339_utc`] does, or `None` outside
/// [`MIN_UNIX`]..=[`MAX_UNIX`], where a clamped time would misstate the value (an expiry
/// "beyond the year 9999" is reported as such, not as 9999-12-31).
pub fn try_rfc3339_utc(unix_secs: i64) -> Option<String> {
    (MIN_UNIX..=MAX_UNIX)
        .contains(&unix_secs)
        .then(|| rfc3339_utc(unix_secs))
}

/// Start (00:00:00 UTC) of the UTC calendar day containing `unix_secs`.
///
/// Saturates at `i64::MIN` for the few inputs whose day start is not representable.
pub fn utc_day_start(unix_secs: i64) -> i64 {
    unix_secs.saturating_sub(unix_secs.rem_euclid(SECS_PER_DAY))
}

/// Parses exactly the form [`rfc3339_utc`] writes: `YYYY-MM-DDTHH:MM:SSZ`.
///
/// Offsets, fractions, lowercase `t`/`z` and leap seconds are refused, so a
/// value that parses formats back to the same string.
pub fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * SECS_PER_DAY + hour * 3600 + minute * 60 + second)
}

/// Formats unix seconds as the hosted API writes database times: `YYYY-MM-DDTHH:MM:SS`,
/// no zone, meaning UTC (clamped as [`rfc3339_utc`]).
pub fn zoneless_utc(unix_secs: i64) -> String {
    let mut text = rfc3339_utc(unix_secs);
    text.pop();
    text
}

/// Reads a timestamp as APIs send it, to unix seconds: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction (1–9 digits, dropped: times here are whole seconds), then `Z`,
/// `±HH:MM`, or nothing, which means UTC (the hosted API's zone-less database times).
///
/// `T` and `Z` may be lowercase (RFC 3339 §5.6 allows it); anything else is `None`.
pub fn parse_api_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let mut base = [0u8; 20];
    base[..19].copy_from_slice(&b[..19]);
    base[10] = b'T';
    base[19] = b'Z';
    let base = std::str::from_utf8(&base).ok()?;
    let mut unix = parse_rfc3339_utc(base)?;
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        rest = &tail[digits..];
    }
    match rest {
        [] | [b'Z' | b'z'] => Some(unix),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])?;
            let minutes = digits(&[*m1, *m2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            // `+02:00` is two hours ahead of UTC: subtract it.
            let offset = hours * 3600 + minutes * 60;
            unix = if *sign == b'+' {
                unix - offset
            } else {
                unix + offset
            };
            Some(unix)
        }
        _ => None,
    }
}

/// ASCII digits only (`i64::from_str` would also take a sign).
fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Shift the year to start in March so the leap day is the last day of the year.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KNOWN: &[(i64, &str)] = &[
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (951_868_800, "2000-03-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_709_164_800, "2024-02-29T00:00:00Z"),
        (1_709_251_199, "2024-02-29T23:59:59Z"),
        (1_735_689_599, "2024-12-31T23:59:59Z"),
        (1_735_689_600, "2025-01-01T00:00:00Z"),
        (1_771_329_600, "2026-02-17T12:00:00Z"),
        (4_107_542_400, "2100-03-01T00:00:00Z"),
        (MIN_UNIX, "0000-01-01T00:00:00Z"),
        (MAX_UNIX, "9999-12-31T23:59:59Z"),
    ];

    #[test]
    fn known_dates_format_and_parse() {
        for &(unix, text) in KNOWN {
            assert_eq!(rfc3339_utc(unix), text, "format {unix}");
            assert_eq!(parse_rfc3339_utc(text), Some(unix), "parse {text}");
        }
    }

    #[test]
    fn out_of_range_clamps() {
        assert_eq!(rfc3339_utc(i64::MIN), "0000-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn try_refuses_out_of_range() {
        for &(unix, text) in KNOWN {
            assert_eq!(try_rfc3339_utc(unix).as_deref(), Some(text), "{unix}");
        }
        for unix in [MIN_UNIX - 1, MAX_UNIX + 1, i64::MIN, i64::MAX] {
            assert_eq!(try_rfc3339_utc(unix), None, "{unix}");
        }
    }

    #[test]
    fn day_start() {
        assert_eq!(utc_day_start(1_771_329_600), 1_771_286_400);
        assert_eq!(
            rfc3339_utc(utc_day_start(1_771_329_600)),
            "2026-02-17T00:00:00Z"
        );
        assert_eq!(utc_day_start(0), 0);
        assert_eq!(utc_day_start(-1), -86_400);
        assert_eq!(utc_day_start(86_399), 0);
        assert_eq!(utc_day_start(i64::MIN), i64::MIN);
        assert_eq!(utc_day_start(i64::MAX).rem_euclid(SECS_PER_DAY), 0);
    }

    #[test]
    fn parse_refuses_other_forms() {
        for bad in [
            "",
            "2026-02-17T12:00:00",
            "2026-02-17T12:00:00z",
            "2026-02-17t12:00:00Z",
            "2026-02-17 12:00:00Z",
            "2026-02-17T12:00:00.5Z",
            "2026-02-17T12:00:00+00:00",
            "2023-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "+026-01-01T00:00:00Z",
            "2026-0a-01T00:00:00Z",
            "２026-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn api_timestamps_read_zoneless_as_utc() {
        let t = 1_767_226_200; // 2026-01-01T00:10:00Z
        assert_eq!(zoneless_utc(t), "2026-01-01T00:10:00");
        for text in [
            "2026-01-01T00:10:00",
            "2026-01-01T00:10:00Z",
            "2026-01-01t00:10:00z",
            "2026-01-01T00:10:00.1234567",
            "2026-01-01T00:10:00.5Z",
            "2026-01-01T02:10:00+02:00",
            "2026-01-01T02:10:00.000+02:00",
            "2025-12-31T23:40:00-00:30",
        ] {
            assert_eq!(parse_api_timestamp(text), Some(t), "{text}");
        }
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01 00:10:00",
            "2026-01-01T00:10:00.",
            "2026-01-01T00:10:00.1234567890",
            "2026-01-01T00:10:00+0200",
            "2026-01-01T00:10:00+24:00",
            "2026-01-01T00:10:00ZZ",
            "2026-01-01T00:10:00 ",
            "2026-02-30T00:10:00",
        ] {
            assert_eq!(parse_api_timestamp(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn api_timestamp_reads_both_forms(t in MIN_UNIX..=MAX_UNIX) {
            prop_assert_eq!(parse_api_timestamp(&rfc3339_utc(t)), Some(t));
            prop_assert_eq!(parse_api_timestamp(&zoneless_utc(t)), Some(t));
        }

        #[test]
        fn api_timestamp_never_panics(s in "\\PC{0,40}") {
            let _ = parse_api_timestamp(&s);
        }

        #[test]
        fn round_trip(t in MIN_UNIX..=MAX_UNIX) {
            let s = rfc3339_utc(t);
            prop_assert_eq!(s.len(), 20);
            prop_assert_eq!(parse_rfc3339_utc(&s), Some(t));
        }

        #[test]
        fn day_start_is_midnight(t in MIN_UNIX..=MAX_UNIX) {
            let d = utc_day_start(t);
            prop_assert!(d <= t && t - d < SECS_PER_DAY);
            prop_assert!(rfc3339_utc(d).ends_with("T00:00:00Z"));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = parse_rfc3339_utc(&s);
        }
    }
}
