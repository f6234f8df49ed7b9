//! The public schedule as an iCalendar feed (RFC 5545) that calendar apps subscribe to. Times
//! are written in UTC, so no VTIMEZONE block is needed.

use chrono::{DateTime, Utc};

use super::dto::ScheduleItem;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines longer than 75 octets are folded (RFC 5545 §3.1), never inside a UTF-8 character:
/// Chinese text is three octets a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn render(calendar_name: &str, items: &[ScheduleItem], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |l: String| fold(&l, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//liaison//reception schedule//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(calendar_name)));
    line("X-WR-TIMEZONE:Asia/Shanghai".into());
    for item in items {
        let names: Vec<&str> = item
            .representatives
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", item.uid));
        line(format!("SEQUENCE:{}", item.sequence.max(0)));
        line(format!("DTSTAMP:{}", stamp(now)));
        line(format!(
            "DTSTART:{}",
            stamp(item.starts_at.with_timezone(&Utc))
        ));
        line(format!("DTEND:{}", stamp(item.ends_at.with_timezone(&Utc))));
        line(format!("SUMMARY:{}", escape(&item.title)));
        line(format!("LOCATION:{}", escape(&item.place)));
        line(
            if item.cancelled {
                "STATUS:CANCELLED"
            } else {
                "STATUS:CONFIRMED"
            }
            .into(),
        );
        line(format!(
            "DESCRIPTION:{}",
            escape(&format!("接待代表：{}", names.join("、")))
        ));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chinese_lines_fold_between_characters() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "代表".repeat(40)), &mut out);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{} octets", physical.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(
            unfolded.trim_end(),
            format!("SUMMARY:{}", "代表".repeat(40))
        );
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
