//! The text rules of every request string, as patterns: what the server refuses (control
//! characters, blank text) and what an opaque cursor looks like. Each pattern has a test that
//! holds it to the server's own check, character by character.

/// What an opaque page cursor looks like; `pagination::Cursor` reads every string of this form.
pub const CURSOR_PATTERN: &str = "^([A-Za-z0-9_-]{21}[AQgw])?$";

/// The server refuses control characters other than tab and newline in every string it reads
/// (`request::is_forbidden_character`, Unicode category Cc); the spec says so on every free
/// string a request carries, so a client or a fuzzer knows before sending.
pub const PLAIN_TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$";

/// Plain text with at least one character that is neither white space (Rust's
/// `char::is_whitespace`, which `request::not_blank` trims) nor a control character.
pub const NOT_BLANK_TEXT_PATTERN: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$";

/// Fields checked by `request::not_blank` carry `pattern = r"\S"` in their `#[schema]`
/// attribute, the marker this pass replaces with `NOT_BLANK_TEXT_PATTERN`.
const NOT_BLANK_MARKER: &str = "\\S";

fn plain_text(schema: &mut serde_json::Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if map.get("pattern").and_then(|p| p.as_str()) == Some(NOT_BLANK_MARKER) {
        map.insert("pattern".into(), serde_json::json!(NOT_BLANK_TEXT_PATTERN));
    }
    let is_string = match map.get("type") {
        Some(serde_json::Value::String(t)) => t == "string",
        Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    };
    let constrained = ["format", "enum", "const", "pattern", "contentMediaType"]
        .iter()
        .any(|k| map.contains_key(*k));
    if is_string && !constrained {
        map.insert("pattern".into(), serde_json::json!(PLAIN_TEXT_PATTERN));
    }
    for key in ["properties", "patternProperties"] {
        if let Some(props) = map.get_mut(key).and_then(|p| p.as_object_mut()) {
            props.values_mut().for_each(plain_text);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = map.get_mut(key) {
            plain_text(inner);
        }
    }
    for key in ["oneOf", "anyOf", "allOf", "prefixItems"] {
        if let Some(list) = map.get_mut(key).and_then(|l| l.as_array_mut()) {
            list.iter_mut().for_each(plain_text);
        }
    }
}

/// `plain_text` over every schema a request sends: the shared ones in `sent`, and those
/// written inline in request bodies and parameters.
pub(super) fn plain_text_in_requests(json: &mut serde_json::Value, sent: &[String]) {
    if let Some(schemas) = json["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            if sent.contains(name) {
                plain_text(schema);
            }
        }
    }
    let Some(paths) = json["paths"].as_object_mut() else {
        return;
    };
    for op in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        // `get_mut`, not indexing: indexing a missing key would write a null into the document.
        let params = op.get_mut("parameters").and_then(|p| p.as_array_mut());
        for schema in params
            .into_iter()
            .flatten()
            .filter_map(|p| p.get_mut("schema"))
        {
            plain_text(schema);
        }
        let content = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(|c| c.as_object_mut());
        // JSON only: a CSV file's line breaks may be CRLF (the import checks its cells).
        let json_bodies = content
            .into_iter()
            .flat_map(|c| c.iter_mut())
            .filter(|(media, _)| media.as_str() == "application/json");
        for (_, body) in json_bodies {
            if let Some(schema) = body.get_mut("schema") {
                plain_text(schema);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::openapi::text_patterns::{
        CURSOR_PATTERN, NOT_BLANK_TEXT_PATTERN, PLAIN_TEXT_PATTERN,
    };

    fn pattern(pattern: &str) -> jsonschema::Validator {
        let schema = serde_json::json!({"type": "string", "pattern": pattern});
        jsonschema::validator_for(&schema).expect("the pattern compiles")
    }

    fn accepts(validator: &jsonschema::Validator, text: &str) -> bool {
        validator.is_valid(&serde_json::json!(text))
    }

    #[test]
    fn the_plain_text_pattern_refuses_exactly_what_the_server_refuses() {
        let plain = pattern(PLAIN_TEXT_PATTERN);
        let sample = (0u32..0x3000).chain([0xFEFF, 0xFFFD, 0x1F600]);
        for c in sample.filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(
                accepts(&plain, &text),
                !crate::request::is_forbidden_character(c),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn the_not_blank_pattern_refuses_exactly_what_the_server_refuses() {
        let not_blank = pattern(NOT_BLANK_TEXT_PATTERN);
        let sample = (0u32..0x3100).chain([0xFEFF, 0xFFFD, 0x1F600]);
        for c in sample.filter_map(char::from_u32) {
            for text in [format!("{c}"), format!(" {c}\n"), format!("好{c}")] {
                let server = !text.chars().any(crate::request::is_forbidden_character)
                    && crate::request::not_blank(&text).is_ok();
                assert_eq!(
                    accepts(&not_blank, &text),
                    server,
                    "{text:?} (U+{:04X})",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn every_cursor_the_pattern_allows_is_read() {
        let cursor = pattern(CURSOR_PATTERN);
        let issued = crate::pagination::Cursor(uuid::Uuid::now_v7()).encode();
        assert!(accepts(&cursor, &issued));
        for shaped in [
            "AAAAAAAAAAAAAAAAAAAAAA",
            "_____________________w",
            "abc-_9ZZZZZZZZZZZZZZZg",
        ] {
            assert!(accepts(&cursor, shaped));
            assert!(crate::pagination::Cursor::parse(shaped).is_ok(), "{shaped}");
        }
        assert!(!accepts(&cursor, "AAAAAAAAAAAAAAAAAAAAAB"));
        assert!(accepts(&cursor, ""), "empty is the first page");
        assert!(crate::pagination::PageRequest::parse(None, Some("")).is_ok());
    }
}
