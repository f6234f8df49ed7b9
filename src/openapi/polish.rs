//! The passes over the document that are simplest on its JSON: names a generated client can
//! live with, tagged unions a validator accepts, tidy operations, and answered fields required.

use utoipa::openapi::OpenApi as OpenApiDoc;

/// Every `$ref` target named anywhere inside `value`.
fn refs_in(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    out.push(name.to_owned());
                }
            }
            map.values().for_each(|v| refs_in(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// Names a generated client can live with: the bare vocabularies of one resource get its name.
const RENAMED: &[(&str, &str)] = &[
    ("State", "OpinionState"),
    ("Action", "OpinionAction"),
    ("Source", "OpinionSource"),
    ("Rating", "OpinionRating"),
    ("Status", "ObligationStatus"),
    ("Rule", "ObligationRule"),
    ("RuleResult", "ObligationRuleResult"),
    ("Level", "RepresentativeLevel"),
    ("Gender", "RepresentativeGender"),
    ("Role", "AccountRole"),
];

/// Renames the schemas in `RENAMED`, and every `$ref` to them.
fn rename_schemas(json: &mut serde_json::Value) {
    fn rewrite(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get_mut("$ref") {
                    if let Some((_, new)) = RENAMED
                        .iter()
                        .find(|(old, _)| r.strip_prefix("#/components/schemas/") == Some(old))
                    {
                        *r = format!("#/components/schemas/{new}");
                    }
                }
                map.values_mut().for_each(rewrite);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    if let Some(schemas) = json["components"]["schemas"].as_object_mut() {
        for (old, new) in RENAMED {
            if let Some(schema) = schemas.remove(*old) {
                schemas.insert((*new).to_owned(), schema);
            }
        }
    }
    rewrite(json);
}

/// A serde-tagged enum comes out of utoipa as `oneOf: [allOf: [$ref Step, {tag}]]`, which a
/// validator reads as "Step (no other properties) and also a tag": nothing passes. Put the tag
/// into each step's own schema, point `oneOf` straight at the steps and name the
/// discriminator, so the document accepts exactly what the server does.
fn inline_discriminators(json: &mut serde_json::Value) {
    let Some(schemas) = json["components"]["schemas"].as_object_mut() else {
        return;
    };
    let mut moves: Vec<(String, String, String, serde_json::Value)> = Vec::new();
    for (name, schema) in schemas.iter() {
        let Some(items) = schema["oneOf"].as_array() else {
            continue;
        };
        for item in items {
            let parts = item["allOf"].as_array();
            let (Some(step), Some(tag)) = (
                parts
                    .and_then(|p| p.first())
                    .and_then(|p| p["$ref"].as_str()),
                parts.and_then(|p| p.get(1)),
            ) else {
                continue;
            };
            let Some((key, property)) = tag["properties"].as_object().and_then(|p| p.iter().next())
            else {
                continue;
            };
            let step = step.trim_start_matches("#/components/schemas/").to_owned();
            moves.push((name.clone(), step, key.clone(), property.clone()));
        }
    }
    for (union, step, key, property) in moves {
        let value = property["enum"][0].as_str().unwrap_or_default().to_owned();
        if let Some(target) = schemas.get_mut(&step) {
            target["properties"][&key] = property;
            match target["required"].as_array_mut() {
                Some(required) => required.insert(0, serde_json::json!(key)),
                None => target["required"] = serde_json::json!([key]),
            }
        }
        if let Some(union) = schemas.get_mut(&union) {
            let reference = format!("#/components/schemas/{step}");
            if let Some(items) = union["oneOf"].as_array_mut() {
                for item in items.iter_mut() {
                    let points_here = item["allOf"][0]["$ref"].as_str() == Some(reference.as_str());
                    if points_here {
                        *item = serde_json::json!({"$ref": reference});
                    }
                }
            }
            union["discriminator"]["propertyName"] = serde_json::json!(key);
            union["discriminator"]["mapping"][&value] = serde_json::json!(reference);
        }
    }
}

/// What the common parameters mean, for the operations that declare them without a word.
const PARAMETER_DESCRIPTIONS: &[(&str, &str)] = &[
    (
        "cursor",
        "The `next_cursor` of the page before; absent for the first page",
    ),
    ("limit", "Page size, 1 to 100 (default 50)"),
    ("constituency_id", "Only those of this constituency"),
    (
        "liaison_group_id",
        "Only those of this liaison group, home or station",
    ),
    ("representative_id", "Only those of this deputy"),
    ("voter_id", "Only those of this voter"),
    ("kind", "Only those of this kind"),
    ("status", "Only those in this status"),
    ("state", "Only those in this state"),
    ("level", "Only deputies of this level"),
    ("category", "Only opinions of this category code"),
    (
        "urgent",
        "Only urgent (`true`) or only ordinary (`false`) opinions",
    ),
    ("term", "Only deputies of this term (届)"),
    ("role", "Only accounts of this role"),
    (
        "scope_id",
        "Only accounts bound to this committee, group, body, deputy or voter",
    ),
    (
        "disabled",
        "Only disabled (`true`) or only active (`false`) accounts",
    ),
    (
        "verified",
        "Only verified (`true`) or only unverified (`false`) voters",
    ),
];

/// Every parameter described, `limit` with its bounds, every summary one line (the whole text
/// goes to `description`), and each page's items a `$ref` to their own schema.
fn tidy_operations(json: &mut serde_json::Value) {
    let Some(paths) = json["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for op in ops.values_mut() {
            if let Some(params) = op["parameters"].as_array_mut() {
                for p in params.iter_mut() {
                    let name = p["name"].as_str().unwrap_or_default().to_owned();
                    if p.get("description").is_none_or(|d| d.is_null()) {
                        if let Some((_, text)) =
                            PARAMETER_DESCRIPTIONS.iter().find(|(n, _)| *n == name)
                        {
                            p["description"] = serde_json::json!(text);
                        }
                    }
                    if name == "limit" && p["in"] == "query" {
                        p["schema"] = serde_json::json!({
                            "type": ["integer", "null"], "format": "int64",
                            "minimum": 1, "maximum": 100, "default": 50
                        });
                    }
                }
            }
            if let Some(summary) = op["summary"].as_str().map(str::to_owned) {
                if summary.contains('\n') {
                    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
                    let first = match flat.find(". ") {
                        Some(end) => flat[..=end].trim().to_owned(),
                        None => flat.clone(),
                    };
                    let description = match op["description"].as_str() {
                        Some(more) => format!("{summary}\n\n{more}"),
                        None => summary.clone(),
                    };
                    op["summary"] = serde_json::json!(first);
                    op["description"] = serde_json::json!(description);
                }
            }
        }
    }
    let Some(schemas) = json["components"]["schemas"].as_object_mut() else {
        return;
    };
    let pages: Vec<(String, String)> = schemas
        .keys()
        .filter_map(|k| {
            k.strip_prefix("Page_")
                .map(|item| (k.clone(), item.to_owned()))
        })
        .filter(|(_, item)| schemas.contains_key(item))
        .collect();
    for (page, item) in pages {
        if let Some(schema) = schemas.get_mut(&page) {
            schema["properties"]["items"]["items"] =
                serde_json::json!({"$ref": format!("#/components/schemas/{item}")});
        }
    }
}

/// An object schema with no properties at all (a timeline payload) says so: any properties.
fn free_form_objects(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let empty_object = map.get("type").and_then(|t| t.as_str()) == Some("object")
                && !map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && !map.contains_key("allOf")
                && !map.contains_key("oneOf");
            if empty_object {
                map.insert("additionalProperties".into(), serde_json::Value::Bool(true));
            }
            map.values_mut().for_each(free_form_objects);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(free_form_objects),
        _ => {}
    }
}

/// Schemas only ever answered (never sent) are serialized whole: every field is there, null or
/// not, so each is `required` and generated clients need not type it optional. Schemas that
/// requests use keep their optional fields; `Problem` lists members only some answers carry.
pub(super) fn in_json(doc: OpenApiDoc) -> OpenApiDoc {
    let mut json = serde_json::to_value(&doc).expect("the document is JSON");
    free_form_objects(&mut json["components"]["schemas"]);
    rename_schemas(&mut json);
    inline_discriminators(&mut json);
    tidy_operations(&mut json);
    let mut sent = Vec::new();
    if let Some(paths) = json["paths"].as_object() {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|m| m.values()) {
                refs_in(&op["requestBody"], &mut sent);
                refs_in(&op["parameters"], &mut sent);
            }
        }
    }
    // Everything a sent schema refers to is sent too.
    let schemas = json["components"]["schemas"].clone();
    let mut i = 0;
    while i < sent.len() {
        let mut more = Vec::new();
        refs_in(&schemas[&sent[i]], &mut more);
        for name in more {
            if !sent.contains(&name) {
                sent.push(name);
            }
        }
        i += 1;
    }
    if let Some(schemas) = json["components"]["schemas"].as_object_mut() {
        for (name, schema) in schemas.iter_mut() {
            if sent.contains(name) || name == "Problem" {
                continue;
            }
            let Some(properties) = schema["properties"].as_object() else {
                continue;
            };
            let all: Vec<serde_json::Value> = properties
                .keys()
                .map(|k| serde_json::Value::String(k.clone()))
                .collect();
            schema["required"] = serde_json::Value::Array(all);
        }
    }
    serde_json::from_value(json).expect("the polished document reads back as OpenAPI")
}
