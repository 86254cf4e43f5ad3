//! Expiration timestamps as botocore reads them (`dateutil.parser.parse`), for the forms that
//! credential programs and the CLI's cache actually write: ISO 8601 / RFC 3339 date-times.
//!
//! dateutil accepts far more (`"Dec 2 2026 10:00 UTC"`); a form outside the ones here is reported
//! as [`TimeError::Unsupported`] — a marked state for the caller, never a guessed time.
//! A time without a zone parses in dateutil but botocore then fails comparing it with its aware
//! "now" (`can't subtract offset-naive and offset-aware datetimes`): [`TimeError::Naive`].

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Empty or blank: dateutil's `String does not contain a date: ...`.
    Empty(String),
    /// No time zone: the CLI fails when it compares the time with now.
    Naive,
    /// A form dateutil may or may not accept; we do not guess.
    Unsupported(String),
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Empty(s) => write!(f, "String does not contain a date: {s}"),
            TimeError::Naive => {
                f.write_str("can't subtract offset-naive and offset-aware datetimes")
            }
            TimeError::Unsupported(s) => write!(f, "unsupported Expiration format: {s:?}"),
        }
    }
}

impl std::error::Error for TimeError {}

/// Microseconds since the Unix epoch (dateutil keeps microseconds and drops finer digits).
pub type Micros = i64;

pub fn to_system_time(us: Micros) -> SystemTime {
    if us >= 0 {
        UNIX_EPOCH + Duration::from_micros(us as u64)
    } else {
        UNIX_EPOCH - Duration::from_micros(us.unsigned_abs())
    }
}

pub fn from_system_time(t: SystemTime) -> Micros {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    // Howard Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(s.iter().fold(0, |acc, d| acc * 10 + (d - b'0') as u32))
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn rest(&self) -> &[u8] {
        &self.b[self.i..]
    }
}

/// Parse an Expiration as botocore would, to microseconds since the epoch.
/// Accepted: `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` followed by `Z`, `z`, `UTC`, `GMT`
/// (optionally after a space) or an offset `±HH`, `±HHMM`, `±HH:MM`.
pub fn parse_expiration(s: &str) -> Result<Micros, TimeError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TimeError::Empty(s.to_string()));
    }
    let unsupported = || TimeError::Unsupported(s.to_string());
    let mut c = Cursor {
        b: t.as_bytes(),
        i: 0,
    };
    let year = c.digits(4).ok_or_else(unsupported)? as i64;
    let month = (c.eat(b'-').then(|| c.digits(2)).flatten()).ok_or_else(unsupported)?;
    let day = (c.eat(b'-').then(|| c.digits(2)).flatten()).ok_or_else(unsupported)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(unsupported());
    }
    let hour = c.digits(2).ok_or_else(unsupported)?;
    let minute = (c.eat(b':').then(|| c.digits(2)).flatten()).ok_or_else(unsupported)?;
    let mut second = 0;
    let mut micros = 0u32;
    if c.eat(b':') {
        second = c.digits(2).ok_or_else(unsupported)?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.i;
            while c.b.get(c.i).is_some_and(u8::is_ascii_digit) {
                c.i += 1;
            }
            let frac = &t[start..c.i];
            if frac.is_empty() {
                return Err(unsupported());
            }
            let six: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
            micros = six.parse().map_err(|_| unsupported())?;
        }
    }
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(unsupported());
    }
    let rest = c.rest();
    let rest_str = std::str::from_utf8(rest).map_err(|_| unsupported())?;
    let zone = rest_str.strip_prefix(' ').unwrap_or(rest_str);
    let offset_secs: i64 = if rest.is_empty() {
        return Err(TimeError::Naive);
    } else if matches!(zone, "Z" | "z" | "UTC" | "GMT") {
        0
    } else {
        let (sign, body) = match zone.as_bytes().first() {
            Some(b'+') => (1, &zone[1..]),
            Some(b'-') => (-1, &zone[1..]),
            _ => return Err(unsupported()),
        };
        let (hh, mm) = match body.len() {
            2 => (body, "00"),
            4 => (&body[..2], &body[2..]),
            5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
            _ => return Err(unsupported()),
        };
        let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(hh) || !all_digits(mm) {
            return Err(unsupported());
        }
        let (hh, mm): (i64, i64) = (hh.parse().unwrap_or(99), mm.parse().unwrap_or(99));
        if hh > 23 || mm > 59 {
            return Err(unsupported());
        }
        sign * (hh * 3600 + mm * 60)
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86400 + hour as i64 * 3600 + minute as i64 * 60 + second as i64 - offset_secs;
    Ok(secs * 1_000_000 + micros as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let base = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
        assert_eq!(parse_expiration("2026-01-01T00:00:00Z"), Ok(base));
        assert_eq!(parse_expiration("2026-01-01T00:00:00+00:00"), Ok(base));
        assert_eq!(parse_expiration("2026-01-01 01:00:00+0100"), Ok(base));
        assert_eq!(parse_expiration("2025-12-31T23:00:00-01"), Ok(base));
        assert_eq!(
            parse_expiration("2026-01-01T00:00:00.1234567Z"),
            Ok(base + 123_456)
        );
        assert_eq!(parse_expiration("2026-01-01T00:00Z"), Ok(base));
        assert_eq!(parse_expiration(" 2026-01-01T00:00:00 UTC "), Ok(base));
        assert_eq!(parse_expiration("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_expiration("2024-02-29T00:00:00Z").map(|_| ()), Ok(()));
    }

    #[test]
    fn refusals() {
        assert_eq!(
            parse_expiration("2026-01-01T00:00:00"),
            Err(TimeError::Naive)
        );
        assert_eq!(
            parse_expiration("").unwrap_err().to_string(),
            "String does not contain a date: "
        );
        assert!(matches!(
            parse_expiration("soon"),
            Err(TimeError::Unsupported(_))
        ));
        assert!(matches!(
            parse_expiration("2025-02-29T00:00:00Z"),
            Err(TimeError::Unsupported(_))
        ));
        assert!(matches!(
            parse_expiration("2026-01-01T00:00:00X"),
            Err(TimeError::Unsupported(_))
        ));
    }
}
