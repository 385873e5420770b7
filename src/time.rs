//! Civil time for people: parsing config times in the auction's time zone and printing core times.
//! The core only ever sees [`TimeMs`]; this module is where jiff and time zones live.

use crate::core::TimeMs;
use jiff::{Timestamp, civil, tz::TimeZone};

/// Parse `2024-09-17T10:00`, `2024-09-17T10:00:30` (civil time in `tz`) or an RFC 3339 time with
/// an offset (`2024-09-17T08:00:00Z`). A civil time that does not exist or is ambiguous in `tz`
/// (the daylight-saving gap and fold) is an error: give the offset explicitly then.
pub fn parse_time(text: &str, tz: &TimeZone) -> Result<TimeMs, String> {
    let expected = "expected YYYY-MM-DDTHH:MM[:SS] (civil time in the auction's time zone) \
                    or with an offset, e.g. 2024-09-17T10:00:00+02:00 or 2024-09-17T08:00:00Z";
    let bytes = text.as_bytes();
    // The date, a capital T, and at least HH:MM.
    let shape_ok = bytes.len() >= 16
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':';
    if !shape_ok {
        return Err(format!("not a valid time '{text}': {expected}"));
    }
    let clock = &text[11..];
    let has_offset = clock.contains(['Z', '+', '-']);
    if has_offset {
        // Only a plain offset or Z may follow the clock: no zone names in brackets.
        if text.contains('[') {
            return Err(format!(
                "not a valid time '{text}': no [zone] annotations; {expected}"
            ));
        }
        let ts: Timestamp = text
            .parse()
            .map_err(|e| format!("not a valid time '{text}': {e}"))?;
        return Ok(ts.as_millisecond());
    }
    if !clock
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    {
        return Err(format!("not a valid time '{text}': {expected}"));
    }
    let dt: civil::DateTime = text
        .parse()
        .map_err(|e| format!("not a valid time '{text}': {e}"))?;
    let zoned = tz.to_ambiguous_zoned(dt).unambiguous().map_err(|_| {
        format!(
            "'{text}' does not exist or is ambiguous in {} (daylight saving change): \
             give the offset explicitly, e.g. '{text}+01:00'",
            tz.iana_name().unwrap_or("this time zone")
        )
    })?;
    Ok(zoned.timestamp().as_millisecond())
}

/// A time as a config writes it, with its offset so that it is never ambiguous:
/// `2024-09-17T10:00:05.250+02:00` (without `.250` on a whole second). `parse_time` reads it back
/// to the same millisecond.
pub fn config_time(ms: TimeMs, tz: &TimeZone) -> String {
    format_with_millis(ms, tz, "%Y-%m-%dT%H:%M:%S", "%:z")
}

/// `2024-09-17 10:00:05 CEST` (with `.250` when there are milliseconds).
pub fn format_time(ms: TimeMs, tz: &TimeZone) -> String {
    format_with_millis(ms, tz, "%Y-%m-%d %H:%M:%S", " %Z")
}

/// `10:00:05` (with `.250` when there are milliseconds): the clock time in `tz`.
pub fn format_clock(ms: TimeMs, tz: &TimeZone) -> String {
    format_with_millis(ms, tz, "%H:%M:%S", "")
}

/// `head` (strftime), then `.mmm` when the milliseconds are not zero, then `tail` (strftime).
fn format_with_millis(ms: TimeMs, tz: &TimeZone, head: &str, tail: &str) -> String {
    let Ok(ts) = Timestamp::from_millisecond(ms) else {
        return format!("{ms} ms");
    };
    let zoned = ts.to_zoned(tz.clone());
    let millis = ms.rem_euclid(1000);
    let mut out = zoned.strftime(head).to_string();
    if millis != 0 {
        out.push_str(&format!(".{millis:03}"));
    }
    out.push_str(&zoned.strftime(tail).to_string());
    out
}

/// The civil date of `ms` in `tz`.
pub fn date_of(ms: TimeMs, tz: &TimeZone) -> Option<civil::Date> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|ts| ts.to_zoned(tz.clone()).date())
}

/// A duration for people: `90s`, `5m`, `1h30m`, `250ms`.
pub fn format_duration(ms: i64) -> String {
    if ms % 1000 != 0 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h != 0 {
        out.push_str(&format!("{h}h"));
    }
    if m != 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec != 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// Dutch public holidays on which no working day is counted: New Year's Day, Easter Monday,
/// King's Day (27 April, or 26 April when the 27th is a Sunday), Ascension Day, Whit Monday and
/// Christmas (25 and 26 December). Good Friday and Liberation Day are not general days off.
pub fn is_dutch_public_holiday(date: civil::Date) -> bool {
    let (y, m, d) = (date.year(), date.month(), date.day());
    if (m, d) == (1, 1) || (m, d) == (12, 25) || (m, d) == (12, 26) {
        return true;
    }
    let kings_day = if civil::date(y, 4, 27).weekday() == jiff::civil::Weekday::Sunday {
        26
    } else {
        27
    };
    if (m, d) == (4, kings_day) {
        return true;
    }
    let easter = easter_sunday(y);
    [1, 39, 50].iter().any(|&offset| {
        easter
            .checked_add(jiff::Span::new().days(offset))
            .is_ok_and(|h| h == date)
    })
}

/// Gregorian Easter Sunday (the anonymous Gregorian algorithm of Meeus, Jones and Butcher).
pub fn easter_sunday(year: i16) -> civil::Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    civil::date(year, month as i8, day as i8)
}

/// Working days (Monday to Friday, not a Dutch public holiday) after `from` up to and including
/// `to`, counting at most to `cap`.
pub fn working_days_between(from: civil::Date, to: civil::Date, cap: u32) -> u32 {
    let mut count = 0;
    let mut day = from;
    while count < cap {
        let Ok(next) = day.tomorrow() else { break };
        if next > to {
            break;
        }
        day = next;
        let weekend = matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        if !weekend && !is_dutch_public_holiday(day) {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_match_the_calendar() {
        assert_eq!(easter_sunday(2024), civil::date(2024, 3, 31));
        assert_eq!(easter_sunday(2025), civil::date(2025, 4, 20));
        assert_eq!(easter_sunday(2026), civil::date(2026, 4, 5));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Friday 2024-09-13 -> Tuesday 2024-09-17: Monday and Tuesday.
        assert_eq!(
            working_days_between(civil::date(2024, 9, 13), civil::date(2024, 9, 17), 10),
            2
        );
        // Thursday 2024-12-24 -> Friday 2024-12-27: Christmas and Boxing Day do not count.
        assert_eq!(
            working_days_between(civil::date(2024, 12, 24), civil::date(2024, 12, 27), 10),
            1
        );
        // King's Day 2025 falls on a Sunday, so Saturday 26 April is the holiday (a weekend anyway).
        assert!(is_dutch_public_holiday(civil::date(2025, 4, 26)));
        assert!(!is_dutch_public_holiday(civil::date(2025, 4, 27)));
    }

    #[test]
    fn civil_times_in_the_dst_gap_and_fold_are_refused() {
        let tz = TimeZone::get("Europe/Amsterdam").unwrap();
        // 2024-03-31 02:30 does not exist; 2024-10-27 02:30 happens twice.
        assert!(parse_time("2024-03-31T02:30", &tz).is_err());
        assert!(parse_time("2024-10-27T02:30", &tz).is_err());
        assert!(parse_time("2024-10-27T02:30+01:00", &tz).is_ok());
        // Offsets are never silently dropped; sloppy shapes are refused.
        for bad in [
            "2024-09-17 12:00+00:00",
            "2024-09-17t10:00+05:00",
            "2024-09-17T10:00[Europe/London]",
            "2024-09-17",
            "2024-09-17T10",
        ] {
            assert!(parse_time(bad, &tz).is_err(), "{bad} was accepted");
        }
        // Summer time: 10:00 in Amsterdam is 08:00 UTC.
        assert_eq!(
            parse_time("2024-09-17T10:00", &tz).unwrap(),
            parse_time("2024-09-17T08:00:00Z", &tz).unwrap()
        );
    }
}

#[cfg(test)]
mod config_time_tests {
    use super::*;

    #[test]
    fn config_time_reads_back_to_the_same_millisecond_in_summer_and_winter() {
        let tz = TimeZone::get("Europe/Amsterdam").unwrap();
        for ms in [1_726_560_005_250_i64, 1_732_350_000_000, 1_730_000_000_001] {
            let text = config_time(ms, &tz);
            assert_eq!(parse_time(&text, &tz), Ok(ms), "{text}");
        }
        assert_eq!(
            config_time(1_726_560_000_000, &tz),
            "2024-09-17T10:00:00+02:00"
        );
    }
}
