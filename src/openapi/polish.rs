//! The passes over the document that are simplest on its JSON: names a generated client can
//! live with, tagged unions a validator accepts, tidy operations, and answered fields required.

use utoipa::openapi::OpenApi as OpenApiDoc;

use super::text_patterns::{CURSOR_PATTERN, NOT_BLANK_TEXT_PATTERN, plain_text_in_requests};

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
                    if name == "cursor" && p["in"] == "query" && p["schema"]["pattern"].is_null() {
                        // A cursor is 16 bytes in unpadded base64url: every string of this
                        // shape is a position a page can start after. Empty is the first page.
                        p["schema"] = serde_json::json!({
                            "type": ["string", "null"], "pattern": CURSOR_PATTERN
                        });
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

/// Rules on the items of string lists, which `#[schema]` attributes cannot reach: (schema,
/// property, the items' schema, whether items are unique). Each mirrors a validator function.
const LIST_ITEMS: &[(&str, &str, &str, bool)] = &[
    // liaison_groups::dto::officer_names
    (
        "CreateLiaisonGroup",
        "liaison_officers",
        r#"{"type":"string","minLength":1,"maxLength":100,"pattern":"\\S"}"#,
        false,
    ),
    (
        "UpdateLiaisonGroup",
        "liaison_officers",
        r#"{"type":"string","minLength":1,"maxLength":100,"pattern":"\\S"}"#,
        false,
    ),
    // webhooks::model::parse_event_types
    (
        "CreateWebhook",
        "event_types",
        r#"{"type":"string","pattern":"^[a-z_]+\\.([a-z_]+|\\*)$"}"#,
        false,
    ),
    (
        "UpdateWebhook",
        "event_types",
        r#"{"type":"string","pattern":"^[a-z_]+\\.([a-z_]+|\\*)$"}"#,
        false,
    ),
    // committees::policy::category_codes
    (
        "OwnPolicy",
        "categories",
        r#"{"type":"string","pattern":"^[a-z][a-z0-9_]{0,49}$"}"#,
        true,
    ),
];

/// Patterns built in code, which a `#[schema(pattern = "…")]` literal cannot name.
const STRING_PATTERNS: &[(&str, &str, &str)] = &[(
    "CreateReceptionRule",
    "rrule",
    crate::schedule::recurrence::RRULE_PATTERN,
)];

fn field_rules(json: &mut serde_json::Value) {
    for (schema, property, pattern) in STRING_PATTERNS {
        let field = &mut json["components"]["schemas"][schema]["properties"][property];
        assert!(field.is_object(), "{schema}.{property} is in the document");
        field["pattern"] = serde_json::json!(pattern);
    }
    for (schema, property, items, unique) in LIST_ITEMS {
        let list = &mut json["components"]["schemas"][schema]["properties"][property];
        assert!(list.is_object(), "{schema}.{property} is in the document");
        list["items"] = serde_json::from_str(items).expect("the item schema is JSON");
        if *property == "liaison_officers" {
            list["maxItems"] = serde_json::json!(20);
        }
        if *unique {
            list["uniqueItems"] = serde_json::json!(true);
        }
    }
}

/// 三落实 (activities::workflow::check_work_plan): a plan names its deputies and its times.
fn work_plan(json: &mut serde_json::Value) {
    let plan = &mut json["components"]["schemas"]["CreateActivity"];
    assert!(plan.is_object(), "CreateActivity is in the document");
    plan["properties"]["representative_ids"]["minItems"] = serde_json::json!(1);
    for field in ["starts_at", "ends_at"] {
        plan["properties"][field] =
            serde_json::json!({"$ref": "#/components/schemas/LocalDateTime"});
    }
    // An annual report to voters is one deputy's (述职).
    let one_deputy = serde_json::json!({
        "if": {"properties": {"kind": {"const": "annual_report"}}, "required": ["kind"]},
        "then": {"properties": {"representative_ids": {"maxItems": 1}}}
    });
    match plan["allOf"].as_array_mut() {
        Some(all) => all.push(one_deputy),
        None => plan["allOf"] = serde_json::json!([one_deputy]),
    }
    let required = plan["required"]
        .as_array_mut()
        .expect("CreateActivity has required fields");
    for field in ["starts_at", "ends_at", "representative_ids"] {
        if !required.iter().any(|r| r == field) {
            required.push(serde_json::json!(field));
        }
    }
}

/// Which roles take a `scope_id` (`Role::binding_kind`): with a bound role `scope_id` is
/// required, with an unbound one it is absent or null.
fn role_scope_rule() -> serde_json::Value {
    use crate::access::Role;
    let (bound, unbound): (Vec<&Role>, Vec<&Role>) =
        Role::ALL.iter().partition(|r| r.binding_kind().is_some());
    let names = |roles: Vec<&Role>| roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
    let with_role =
        |roles| serde_json::json!({"properties": {"role": {"enum": roles}}, "required": ["role"]});
    serde_json::json!({
        "if": with_role(names(bound)),
        "then": {"required": ["scope_id"], "properties": {"scope_id": {"type": "string", "format": "uuid"}}},
        "else": {
            "if": with_role(names(unbound)),
            "then": {"properties": {"scope_id": {"type": "null"}}}
        }
    })
}

/// A field another field's value makes required, as the handlers check it: (schema, the
/// deciding property, its value, the field that must then be an id, whether it must be sent).
const ID_REQUIRED_WHEN: &[(&str, &str, &str, &str, bool)] = &[
    // committees::handlers::create_committee: only a Standing Committee has no parent.
    (
        "CreateCommittee",
        "kind",
        "standing_committee",
        "parent_id",
        false,
    ),
    // representatives::handlers::check_placement: a district deputy has a constituency.
    (
        "CreateRepresentative",
        "level",
        "district",
        "constituency_id",
        true,
    ),
    (
        "UpdateRepresentative",
        "level",
        "district",
        "constituency_id",
        true,
    ),
];

fn conditional_rules(json: &mut serde_json::Value) {
    let mut rules: Vec<(&str, serde_json::Value)> = vec![
        ("CreateUser", role_scope_rule()),
        ("UpdateUser", role_scope_rule()),
    ];
    for (schema, decider, value, field, when_equal) in ID_REQUIRED_WHEN {
        let condition =
            serde_json::json!({"properties": {*decider: {"const": value}}, "required": [decider]});
        let mut id =
            serde_json::json!({"properties": {*field: {"type": "string", "format": "uuid"}}});
        // On a create the field must be sent; on an update, if sent, it must not be null.
        if schema.starts_with("Create") {
            id["required"] = serde_json::json!([field]);
        }
        let branch = if *when_equal { "then" } else { "else" };
        rules.push((schema, serde_json::json!({"if": condition, branch: id})));
    }
    // Where an activity takes place: a home or station, or an address (not blank), never both
    // (activities::workflow::place, appointments' accept).
    let venue = serde_json::json!({"oneOf": [
        {"required": ["liaison_group_id"], "properties": {"liaison_group_id": {"type": "string", "format": "uuid"}}},
        {"required": ["address"], "properties": {"address": {"type": "string", "pattern": NOT_BLANK_TEXT_PATTERN}}}
    ]});
    rules.push(("CreateActivity", venue.clone()));
    rules.push(("AcceptAppointment", venue));
    // An activity has at most one organiser (staff must name one; a deputy's declaration is
    // organised by their own station).
    rules.push((
        "CreateActivity",
        serde_json::json!({"not": {
            "required": ["organiser_committee_id", "organiser_group_id"],
            "properties": {
                "organiser_committee_id": {"type": "string"},
                "organiser_group_id": {"type": "string"}
            }
        }}),
    ));
    for (schema, rule) in rules {
        let target = &mut json["components"]["schemas"][schema];
        assert!(target.is_object(), "{schema} is in the document");
        match target["allOf"].as_array_mut() {
            Some(all) => all.push(rule),
            None => target["allOf"] = serde_json::json!([rule]),
        }
    }
}

/// Passes that write keywords utoipa's types cannot hold (`if`/`then`/`else`), so they run on
/// the JSON after the document's last read-back: what is served and committed.
pub(super) fn beyond_utoipa(json: &mut serde_json::Value) {
    conditional_rules(json);
    work_plan(json);
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
    field_rules(&mut json);
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
    plain_text_in_requests(&mut json, &sent);
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
