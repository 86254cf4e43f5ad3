//! Expiry of credentials taken from the environment, as the credential tools export it:
//! `AWS_CREDENTIAL_EXPIRATION` / `AWS_SESSION_EXPIRATION` (RFC 3339, aws-vault, granted),
//! `AWSUME_EXPIRATION` (local time without an offset), `AWS_SSO_SESSION_EXPIRATION` (RFC 3339
//! or Go's `time.String()`: `2024-01-02 15:04:05.123 +0000 UTC`). Runs in the resolver child,
//! whose environment (TZ included) is the client's, so "local time" means the shell's.

/// The earliest expiry announced by the environment (Unix seconds).
pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Option<i64> {
    let mut found: Vec<i64> = Vec::new();
    for name in [
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_SESSION_EXPIRATION",
        "AWS_SSO_SESSION_EXPIRATION",
    ] {
        if let Some(t) = var(name).as_deref().and_then(parse_with_offset) {
            found.push(t);
        }
    }
    if let Some(t) = var("AWSUME_EXPIRATION").as_deref().and_then(parse_local) {
        found.push(t);
    }
    found.into_iter().min()
}

struct Parts {
    y: i64,
    mo: i64,
    d: i64,
    h: i64,
    mi: i64,
    s: i64,
    /// What follows the seconds (fraction skipped).
    rest: String,
}

fn parts(text: &str) -> Option<Parts> {
    let t = text.trim();
    let num = |s: &str| s.parse::<i64>().ok();
    // The fixed-width head is ASCII or no date (found by fuzzing: slicing a multi-byte
    // character panicked).
    if t.len() < 19 || !t.as_bytes()[..19].is_ascii() {
        return None;
    }
    let (date, time) = (&t[..10], &t[11..19]);
    let sep = t.as_bytes()[10];
    if sep != b'T' && sep != b' ' {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(r) = rest.strip_prefix('.') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    Some(Parts {
        y: num(&date[..4])?,
        mo: num(&date[5..7])?,
        d: num(&date[8..10])?,
        h: num(&time[..2])?,
        mi: num(&time[3..5])?,
        s: num(&time[6..8])?,
        rest: rest.to_string(),
    })
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// RFC 3339 (`Z` or `±HH:MM`) or Go's `±HHMM ZONE` form.
pub fn parse_with_offset(text: &str) -> Option<i64> {
    let p = parts(text)?;
    let rest = p.rest.trim_start();
    let offset = if rest.starts_with('Z') || rest.starts_with('z') {
        0
    } else {
        let sign = match rest.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let digits: String = rest[1..]
            .chars()
            .filter(|c| *c != ':')
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if digits.len() < 4 {
            return None;
        }
        let h: i64 = digits[..2].parse().ok()?;
        let m: i64 = digits[2..4].parse().ok()?;
        sign * (h * 3600 + m * 60)
    };
    let utc = days_from_civil(p.y, p.mo, p.d) * 86_400 + p.h * 3600 + p.mi * 60 + p.s;
    Some(utc - offset)
}

/// A date and time with nothing after it (no offset): its fields as if UTC.
pub fn parse_naive(text: &str) -> Option<i64> {
    let p = parts(text)?;
    p.rest
        .trim()
        .is_empty()
        .then(|| days_from_civil(p.y, p.mo, p.d) * 86_400 + p.h * 3600 + p.mi * 60 + p.s)
}

/// Local time without an offset (awsume), through the C library's idea of the local zone
/// (TZ of this process, which is the client's).
pub fn parse_local(text: &str) -> Option<i64> {
    if let Some(t) = parse_with_offset(text) {
        return Some(t);
    }
    let p = parts(text)?;
    if !p.rest.trim().is_empty() {
        return None;
    }
    // SAFETY: tm is a plain struct we own; mktime reads and normalises it.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = (p.y - 1900) as i32;
        tm.tm_mon = (p.mo - 1) as i32;
        tm.tm_mday = p.d as i32;
        tm.tm_hour = p.h as i32;
        tm.tm_min = p.mi as i32;
        tm.tm_sec = p.s as i32;
        tm.tm_isdst = -1;
        let t = libc::mktime(&mut tm);
        (t != -1).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_in_the_fixed_width_head_is_no_date() {
        assert_eq!(parse_local("2024-01-0\u{4eb}15202 4-01-02T1:04:05Z"), None);
        assert_eq!(parse_with_offset("2024-01-02T15:04:0\u{e9}Z"), None);
    }

    #[test]
    fn formats_of_the_credential_tools() {
        let t = 1_767_225_600; // 2026-01-01T00:00:00Z
        assert_eq!(parse_with_offset("2026-01-01T00:00:00Z"), Some(t));
        assert_eq!(parse_with_offset("2026-01-01T01:00:00+01:00"), Some(t));
        assert_eq!(parse_with_offset("2025-12-31T19:00:00.123-05:00"), Some(t));
        assert_eq!(
            parse_with_offset("2026-01-01 00:00:00.5 +0000 UTC m=+3.1"),
            Some(t)
        );
        assert_eq!(parse_with_offset("2026-01-01T00:00:00"), None);
        assert_eq!(parse_with_offset("soon"), None);
    }

    #[test]
    fn local_time_uses_the_local_zone() {
        // In UTC (the test process's zone unless TZ says otherwise) local equals UTC.
        if std::env::var("TZ").is_err() && std::fs::read_link("/etc/localtime").is_err() {
            assert_eq!(parse_local("2026-01-01T00:00:00"), Some(1_767_225_600));
        }
        assert_eq!(parse_local("2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert!(parse_local("2026-01-01 00:00:00").is_some());
    }

    #[test]
    fn earliest_wins() {
        let env = |k: &str| match k {
            "AWS_CREDENTIAL_EXPIRATION" => Some("2026-01-01T00:00:00Z".to_string()),
            "AWS_SESSION_EXPIRATION" => Some("2025-12-31T23:00:00Z".to_string()),
            _ => None,
        };
        assert_eq!(from_env(env), Some(1_767_225_600 - 3600));
    }
}
