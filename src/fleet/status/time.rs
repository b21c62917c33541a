//! Times in fleet status documents: RFC 3339 UTC to the second (`2026-11-30T15:00:00Z`), the
//! only form goldpath writes (`generated_at`) and reads back (`--history` snapshots). Two
//! inverse functions by H. Hinnant's civil-from-days algorithms: one timestamp form is not worth
//! a date crate.

/// `secs` since the Unix epoch as RFC 3339 UTC (`2026-11-30T15:00:00Z`), by H. Hinnant's
/// civil_from_days; [`parse_rfc3339_utc`] is its inverse.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` as seconds since 1970 (the only form goldpath writes): the inverse
/// of [`rfc3339`]; `None` for anything else.
pub fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let b = text.as_bytes();
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
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil, the inverse of [`rfc3339`]'s civil_from_days.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_050_800), "2026-11-30T15:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn parses_what_it_writes_and_nothing_else() {
        assert_eq!(parse_rfc3339_utc("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(
            parse_rfc3339_utc("2026-11-30T15:00:00Z"),
            Some(1_796_050_800)
        );
        for t in [0, 951_782_400, 1_796_050_800, 4_102_444_799] {
            assert_eq!(parse_rfc3339_utc(&rfc3339(t as u64)), Some(t));
        }
        for bad in [
            "2026-11-30 15:00:00Z",
            "2026-11-30T15:00:00",
            "2026-13-30T15:00:00Z",
            "2026-11-30T15:00:00+01:00",
            "+026-11-30T15:00:00Z",
            "",
        ] {
            assert_eq!(parse_rfc3339_utc(bad), None, "{bad}");
        }
    }

    /// Every day boundary and an odd second of each day from 1970 to 2400 round-trips.
    #[test]
    fn round_trip_over_four_centuries() {
        let end = 13_569_465_600; // 2400-01-01T00:00:00Z
        assert_eq!(rfc3339(end as u64), "2400-01-01T00:00:00Z");
        let mut t: i64 = 0;
        while t < end {
            for s in [t, t + 86_399, t + 45_296] {
                assert_eq!(parse_rfc3339_utc(&rfc3339(s as u64)), Some(s), "{s}");
            }
            t += 86_400;
        }
    }
}
