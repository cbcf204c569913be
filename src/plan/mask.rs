//! Masking: every secret shown as `[masked]` — values that came from the environment (at
//! their paths, and anywhere inside free text), the gateway's old value at the same paths, and
//! every field the schema marks secret (credential keys, passwords, certificate keys).
//!
//! The gateway's error messages can quote what was written (Kong's `UNIQUE violation detected
//! on '{key="…"}'`), so the messages relayed from a write are scrubbed of every secret field
//! value of the plan's bodies too ([`Masker::for_errors`]).

use serde_json::{Map, Value};

use super::model::Plan;
use super::normalise::effective_fields;
use crate::kinds::schema::{FieldSchema, Type};
use crate::kinds::validate::Seg;
use crate::kinds::{Kind, registry};
use crate::state::{MASK, State};

/// Masks secret values inside free text; the secrets are sorted once (longest first) for the
/// many names and messages of a plan.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    /// Masked wherever they occur.
    sorted: Vec<String>,
    /// With many secrets (thousands of credentials), one alternation matched in a single pass
    /// (the regex engine's literal prefilter) instead of a scan per secret.
    many: Option<regex::Regex>,
    /// Short secret field values, masked only where they stand as a value (see
    /// [`FIELD_ANYWHERE_MIN`]).
    as_value: Option<regex::Regex>,
}

/// Above this many secrets, a single regex beats one substring scan per secret.
const REGEX_THRESHOLD: usize = 16;

/// Values from the environment shorter than this are not masked: masking them would corrupt
/// unrelated text (decK issue #2140) and they carry little secrecy.
const ENV_MIN: usize = 4;

/// A secret field value (a key-auth key, a password) this long is masked wherever it occurs in
/// a message: no word of a gateway's message is that long and also someone's key. A shorter
/// one (`abc`, `password`, `true`) could be a word of the message itself, so it is masked only
/// where the message shows it as a value: quoted (`"abc"`, `'abc'`, as Kong quotes the values
/// of a UNIQUE violation), or right after `=` / `:` and followed by the end of the message or
/// one of `] } ) , ;` (Kong's field errors, rendered `[key: abc]`). A short key therefore
/// never turns every `a` of a message into `[masked]`.
const FIELD_ANYWHERE_MIN: usize = 12;

impl Masker {
    pub fn new(secrets: &[String]) -> Self {
        Self::with_field_secrets(secrets, &[])
    }

    /// `env` values (at least [`ENV_MIN`] characters) are masked anywhere; secret field values
    /// (`fields`) anywhere when at least [`FIELD_ANYWHERE_MIN`] long, else where they stand
    /// as a value.
    pub fn with_field_secrets(env: &[String], fields: &[String]) -> Self {
        let mut sorted: Vec<String> = env
            .iter()
            .filter(|s| s.len() >= ENV_MIN)
            .chain(fields.iter().filter(|s| s.len() >= FIELD_ANYWHERE_MIN))
            .cloned()
            .collect();
        // Longest first, so a secret containing another is masked whole.
        sorted.sort_by(longest_first);
        sorted.dedup();
        let many = (sorted.len() > REGEX_THRESHOLD)
            .then(|| alternation(&sorted).and_then(|p| build(&p)))
            .flatten();
        let mut short: Vec<&String> = fields
            .iter()
            .filter(|s| !s.is_empty() && s.len() < FIELD_ANYWHERE_MIN)
            .collect();
        short.sort_by(|a, b| longest_first(a, b));
        short.dedup();
        let as_value = alternation(&short).and_then(|alt| {
            build(&format!(
                r#""({alt})"|'({alt})'|(?:=|:[ \t]?)({alt})(?:$|[\]}}),;\r\n])"#
            ))
        });
        Masker {
            sorted,
            many,
            as_value,
        }
    }

    /// The masker for messages the gateway sends back while `plan` is applied: the plan's
    /// env-derived values, and every value of a secret field (per the schema, including
    /// credential keys) in the bodies it writes and the old bodies it replaces or deletes.
    pub fn for_errors(plan: &Plan) -> Self {
        let mut fields = Vec::new();
        for change in &plan.changes {
            let Some(kind) = registry().kind(&change.kind) else {
                continue;
            };
            for body in change.new.iter().chain(change.old.iter()) {
                secret_field_values(kind, body, &mut fields);
            }
        }
        fields.sort();
        fields.dedup();
        Self::with_field_secrets(&plan.secret_values, &fields)
    }

    /// The masker for a whole state shown as it is (`gwctl dump --sanitize`): every value of
    /// a secret field of every entity, so a secret that also appears in free text elsewhere
    /// (a tag, another plugin's header) is masked there too.
    pub fn for_secrets_of(state: &State) -> Self {
        let mut fields = Vec::new();
        for kind in registry().kinds() {
            for entity in state.of_kind(kind.name) {
                secret_field_values(kind, &entity.body, &mut fields);
            }
        }
        fields.sort();
        fields.dedup();
        Self::with_field_secrets(&[], &fields)
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = match &self.many {
            Some(re) => re.replace_all(text, MASK).into_owned(),
            None => {
                let mut out = text.to_string();
                for secret in &self.sorted {
                    if out.len() >= secret.len() && out.contains(secret.as_str()) {
                        out = out.replace(secret.as_str(), MASK);
                    }
                }
                out
            }
        };
        if let Some(re) = &self.as_value
            && re.is_match(&out)
        {
            out = re
                .replace_all(&out, |caps: &regex::Captures| {
                    let whole = caps.get(0).expect("group 0 is the match");
                    let value = (1..=3)
                        .find_map(|i| caps.get(i))
                        .expect("one alternative matched");
                    let (start, end) = (value.start() - whole.start(), value.end() - whole.start());
                    format!(
                        "{}{MASK}{}",
                        &whole.as_str()[..start],
                        &whole.as_str()[end..]
                    )
                })
                .into_owned();
        }
        out
    }
}

fn longest_first(a: &String, b: &String) -> std::cmp::Ordering {
    b.len().cmp(&a.len()).then_with(|| a.cmp(b))
}

/// `a|b|c` of the escaped values, or None when there are none.
fn alternation<S: AsRef<str>>(values: &[S]) -> Option<String> {
    (!values.is_empty()).then(|| {
        values
            .iter()
            .map(|s| regex::escape(s.as_ref()))
            .collect::<Vec<_>>()
            .join("|")
    })
}

fn build(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(256 * 1024 * 1024)
        .build()
        .ok()
}

/// Every string value of a field the schema marks secret in `body`, appended to `out`.
pub fn secret_field_values(kind: &Kind, body: &Map<String, Value>, out: &mut Vec<String>) {
    for field in effective_fields(kind, body) {
        if let Some(value) = body.get(field.name) {
            collect_secrets(&field.schema, value, false, out);
        }
    }
}

fn collect_secrets(schema: &FieldSchema, value: &Value, secret: bool, out: &mut Vec<String>) {
    let secret = secret || schema.secret;
    match (schema.ty, value) {
        (_, Value::String(s)) if secret && !s.is_empty() && s != MASK => out.push(s.clone()),
        (Type::Record, Value::Object(map)) => {
            for field in &schema.fields {
                if let Some(v) = map.get(field.name) {
                    collect_secrets(&field.schema, v, secret, out);
                }
            }
        }
        (Type::Array | Type::Set, Value::Array(items)) => {
            if let Some(el) = &schema.elements {
                items
                    .iter()
                    .for_each(|v| collect_secrets(el, v, secret, out));
            }
        }
        (Type::Map, Value::Object(map)) => {
            if let Some(values) = &schema.values {
                map.values()
                    .for_each(|v| collect_secrets(values, v, secret, out));
            }
        }
        _ => {}
    }
}

/// A copy of `body` safe to print.
pub fn masked_body(
    kind_name: &str,
    body: &Map<String, Value>,
    secret_paths: &[Vec<Seg>],
    masker: &Masker,
) -> Map<String, Value> {
    let mut out = body.clone();
    for path in secret_paths {
        mask_at(&mut out, path);
    }
    if let Some(kind) = registry().kind(kind_name) {
        mask_schema_secrets(kind, &mut out);
    }
    let mut value = Value::Object(out);
    mask_strings(&mut value, masker);
    match value {
        Value::Object(map) => map,
        _ => unreachable!("an object stays an object"),
    }
}

fn mask_at(body: &mut Map<String, Value>, path: &[Seg]) {
    let Some((Seg::Key(first), rest)) = path.split_first() else {
        return;
    };
    let Some(mut value) = body.get_mut(first) else {
        return;
    };
    for seg in rest {
        let next = match seg {
            Seg::Key(k) => value.get_mut(k),
            Seg::Index(i) => value.get_mut(*i),
        };
        match next {
            Some(v) => value = v,
            None => return,
        }
    }
    if !value.is_null() {
        *value = Value::String(MASK.into());
    }
}

fn mask_schema_secrets(kind: &Kind, body: &mut Map<String, Value>) {
    let fields: Vec<(&'static str, FieldSchema)> = effective_fields(kind, body)
        .into_iter()
        .map(|f| (f.name, f.schema.clone()))
        .collect();
    for (name, schema) in fields {
        if let Some(value) = body.get_mut(name) {
            mask_value(&schema, value);
        }
    }
}

fn mask_value(schema: &FieldSchema, value: &mut Value) {
    if value.is_null() {
        return;
    }
    if schema.secret {
        *value = Value::String(MASK.into());
        return;
    }
    match (schema.ty, value) {
        (Type::Record, Value::Object(map)) => {
            for field in &schema.fields {
                if let Some(v) = map.get_mut(field.name) {
                    mask_value(&field.schema, v);
                }
            }
        }
        (Type::Array | Type::Set, Value::Array(items)) => {
            if let Some(el) = &schema.elements {
                items.iter_mut().for_each(|v| mask_value(el, v));
            }
        }
        (Type::Map, Value::Object(map)) => {
            if let Some(values) = &schema.values {
                map.values_mut().for_each(|v| mask_value(values, v));
            }
        }
        _ => {}
    }
}

/// Env-derived values inside any string (a header `Bearer sk-…` built from `$KEY`).
pub fn mask_strings(value: &mut Value, masker: &Masker) {
    if masker.sorted.is_empty() {
        return;
    }
    match value {
        Value::String(s) => {
            let masked = masker.mask(s);
            if masked != *s {
                *s = masked;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask_strings(v, masker)),
        Value::Object(map) => map.values_mut().for_each(|v| mask_strings(v, masker)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn env_paths_schema_secrets_and_free_text_are_masked() {
        let body = json!({"name": "ai-proxy", "config": {"auth": {"header_name": "Authorization",
            "header_value": "Bearer sk-old"}, "model": {"provider": "openai"}}});
        let path = vec![
            Seg::Key("config".into()),
            Seg::Key("auth".into()),
            Seg::Key("header_value".into()),
        ];
        let out = masked_body(
            "plugins",
            body.as_object().unwrap(),
            &[path],
            &Masker::default(),
        );
        assert_eq!(out["config"]["auth"]["header_value"], MASK);
        assert_eq!(out["config"]["auth"]["header_name"], "Authorization");

        let cred = json!({"key": "abc123secret", "consumer": {"id": "c"}});
        let out = masked_body(
            "keyauth_credentials",
            cred.as_object().unwrap(),
            &[],
            &Masker::default(),
        );
        assert_eq!(out["key"], MASK);

        let tagged =
            json!({"name": "s", "host": "internal.example", "tags": ["at internal.example"]});
        let out = masked_body(
            "services",
            tagged.as_object().unwrap(),
            &[],
            &Masker::new(&["internal.example".into()]),
        );
        assert_eq!(out["host"], MASK);
        assert_eq!(out["tags"][0], "at [masked]");
    }

    fn plan_writing(kind: &str, new: Value, old: Option<Value>) -> Plan {
        use super::super::model::{Change, Op, Phase};
        Plan {
            changes: vec![Change {
                op: if old.is_some() {
                    Op::Update
                } else {
                    Op::Create
                },
                kind: kind.into(),
                id: "id-1".into(),
                name: "n".into(),
                old: old.map(|o| o.as_object().unwrap().clone()),
                new: Some(new.as_object().unwrap().clone()),
                secret_paths: vec![],
                phase: Phase::Write,
                level: 4,
                recreate: false,
                depends_on: vec![],
            }],
            ..Plan::default()
        }
    }

    #[test]
    fn error_messages_lose_the_secret_fields_of_the_bodies_written() {
        let plan = plan_writing(
            "keyauth_credentials",
            json!({"key": "TOPSECRET-collide-key", "consumer": {"id": "c"}}),
            Some(json!({"key": "old-secret-value-123", "consumer": {"id": "c"}})),
        );
        let masker = Masker::for_errors(&plan);
        assert_eq!(
            masker.mask(
                "PUT /x: HTTP 409: UNIQUE violation detected on '{key=\"TOPSECRET-collide-key\"}' \
                 [key: TOPSECRET-collide-key]; was old-secret-value-123"
            ),
            "PUT /x: HTTP 409: UNIQUE violation detected on '{key=\"[masked]\"}' [key: [masked]]; \
             was [masked]"
        );
        // Plugin config secrets (nested records) and basic-auth passwords too.
        let plan = plan_writing(
            "plugins",
            json!({"name": "ai-proxy", "config": {"auth": {"header_value": "Bearer sk-live-0123456789"}}}),
            None,
        );
        assert_eq!(
            Masker::for_errors(&plan).mask("bad header 'Bearer sk-live-0123456789'"),
            "bad header '[masked]'"
        );
        let plan = plan_writing(
            "basicauth_credentials",
            json!({"username": "bob", "password": "hunter2"}),
            None,
        );
        assert_eq!(
            Masker::for_errors(&plan)
                .mask("conflict on '{password=\"hunter2\"}' [password: hunter2]"),
            "conflict on '{password=\"[masked]\"}' [password: [masked]]"
        );
    }

    #[test]
    fn short_secret_fields_are_masked_only_where_they_stand_as_values() {
        let short = |v: &str| Masker::with_field_secrets(&[], &[v.to_string()]);
        // A one-letter key does not turn every `a` into `[masked]`.
        assert_eq!(
            short("a").mask("UNIQUE violation detected on '{key=\"a\"}' [key: a]"),
            "UNIQUE violation detected on '{key=\"[masked]\"}' [key: [masked]]"
        );
        assert_eq!(
            short("a").mask("schema violation (name: a value is required)"),
            "schema violation (name: a value is required)"
        );
        // A common word used as a password leaves the word alone in the message's own text.
        assert_eq!(
            short("password")
                .mask("schema violation (password: required field missing); password='password'"),
            "schema violation (password: required field missing); password='[masked]'"
        );
        assert_eq!(short("abc").mask("k=abc"), "k=[masked]");
        assert_eq!(short("abc").mask("k=abc,l=abc;"), "k=[masked],l=[masked];");
        assert_eq!(short("abc").mask("k=abcd"), "k=abcd");
        // Env values keep their rule: four characters or more, anywhere.
        let env = Masker::with_field_secrets(&["abcd".into(), "xyz".into()], &[]);
        assert_eq!(env.mask("abcdef xyz"), "[masked]ef xyz");
        // Long field values are masked anywhere, as part of free text.
        let long = Masker::with_field_secrets(&[], &["abcdefghijkl".into()]);
        assert_eq!(long.mask("key abcdefghijkl!"), "key [masked]!");
    }

    #[test]
    fn many_secrets_mask_longest_first() {
        let mut secrets: Vec<String> = (0..100).map(|i| format!("key-{i:03}-value")).collect();
        secrets.push("key-007-value-extended".into());
        let masker = Masker::new(&secrets);
        assert!(masker.many.is_some());
        assert_eq!(
            masker.mask("a key-007-value-extended and key-042-value; key-1"),
            "a [masked] and [masked]; key-1"
        );
    }
}
