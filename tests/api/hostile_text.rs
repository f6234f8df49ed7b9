//! Property test: any string field of any write body, filled with hostile text (NUL and other
//! control characters, lone surrogates escaped in JSON, 100,000 characters), is refused with a
//! 4xx problem+json and changes nothing.

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::bad_input::snapshot;
use crate::bad_input_routes::{WriteRoute, routes};
use crate::helpers::World;

#[derive(Debug, Clone)]
enum Hostile {
    /// Printable text around one control character other than tab and newline.
    Control {
        before: String,
        control: char,
        after: String,
    },
    /// `\ud800` as JSON spells it: no Unicode scalar value, so no valid text.
    LoneSurrogate { before: String },
    /// 100,000 characters.
    Huge(char),
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let control = prop_oneof![
        (0u32..0x20)
            .prop_filter("tab and newline are text", |c| *c != 0x09 && *c != 0x0a)
            .prop_map(|c| char::from_u32(c).unwrap()),
        Just('\u{7f}'),
        (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
    ];
    prop_oneof![
        4 => ("[a-z好 ]{0,12}", control, "[a-z意见 ]{0,12}").prop_map(|(before, control, after)| {
            Hostile::Control { before, control, after }
        }),
        2 => "[a-z好]{0,12}".prop_map(|before| Hostile::LoneSurrogate { before }),
        1 => prop_oneof![Just('a'), Just('字')].prop_map(Hostile::Huge),
    ]
}

/// Paths (object keys and array indexes) to every string in a JSON value.
fn string_paths(value: &Value, here: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::String(_) => out.push(here),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut path = here.clone();
                path.push(Value::from(i));
                string_paths(item, path, out);
            }
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let mut path = here.clone();
                path.push(Value::from(key.as_str()));
                string_paths(item, path, out);
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(key) => &mut v[key.as_str()],
        index => &mut v[index.as_u64().unwrap() as usize],
    })
}

const MARK: &str = "@@hostile@@";

/// The JSON text of `body` with the string at `path` replaced by the hostile text.
fn hostile_body(body: &Value, path: &[Value], text: &Hostile) -> Vec<u8> {
    let mut body = body.clone();
    *at(&mut body, path) = Value::from(MARK);
    let json = serde_json::to_string(&body).unwrap();
    let replacement = match text {
        Hostile::Control {
            before,
            control,
            after,
        } => serde_json::to_string(&format!("{before}{control}{after}")).unwrap(),
        Hostile::LoneSurrogate { before } => format!("\"{before}\\ud800\""),
        Hostile::Huge(c) => serde_json::to_string(&c.to_string().repeat(100_000)).unwrap(),
    };
    json.replace(&format!("\"{MARK}\""), &replacement)
        .into_bytes()
}

struct Fixture {
    w: World,
    routes: Vec<WriteRoute>,
    before: Vec<i64>,
}

async fn run_case(
    f: &Fixture,
    route: Index,
    field: Index,
    text: Hostile,
) -> Result<(), TestCaseError> {
    let route = route.get(&f.routes);
    let mut paths = Vec::new();
    string_paths(&route.valid, Vec::new(), &mut paths);
    if paths.is_empty() {
        return Ok(());
    }
    let path = field.get(&paths);
    let reply =
        f.w.app
            .raw(
                route.method.clone(),
                &route.path,
                Some(&f.w.admin),
                "application/json",
                hostile_body(&route.valid, path, &text),
            )
            .await;
    let label = format!("{} {} {path:?} {text:?}", route.method, route.path);
    prop_assert!(
        reply.status.is_client_error(),
        "{label}: {} {}",
        reply.status,
        reply.body
    );
    prop_assert_eq!(
        reply.content_type(),
        "application/problem+json",
        "{}",
        label
    );
    prop_assert_eq!(
        snapshot(&f.w).await,
        f.before.clone(),
        "{} wrote something",
        label
    );
    Ok(())
}

#[test]
fn hostile_text_in_any_field_is_refused_and_writes_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fixture = rt.block_on(async {
        let w = World::new().await;
        let opinion = crate::opinions::submit(&w).await;
        let mut report = crate::activities::plan_body(&w, crate::activities::local_day(10), false);
        report["kind"] = Value::from("annual_report");
        let activity = crate::activities::plan(&w, &w.admin, report).await;
        let routes = routes(&w, opinion, activity);
        let before = snapshot(&w).await;
        Fixture { w, routes, before }
    });
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &(any::<Index>(), any::<Index>(), hostile()),
            |(route, field, text)| rt.block_on(run_case(&fixture, route, field, text)),
        )
        .unwrap();
}
