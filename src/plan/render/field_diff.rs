//! The changed fields of an update, as a unified line diff (similar). Unchanged fields are
//! left out, so a one-field change shows one field, not the whole entity (decK #1708, #2050).

use serde_json::{Map, Value};
use similar::{ChangeTag, TextDiff};

use super::super::model::Change;
use crate::state::MASK;

/// One line of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub tag: ChangeTag,
    pub text: String,
}

/// Keeps only what differs between `old` and `new` (recursing into objects on both sides).
fn prune(old: &Value, new: &Value) -> (Value, Value) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out_a = Map::new();
            let mut out_b = Map::new();
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) if x == y => {}
                    (Some(x), Some(y)) => {
                        let (px, py) = prune(x, y);
                        out_a.insert(key.clone(), px);
                        out_b.insert(key.clone(), py);
                    }
                    (Some(x), None) => {
                        out_a.insert(key.clone(), x.clone());
                    }
                    (None, Some(y)) => {
                        out_b.insert(key.clone(), y.clone());
                    }
                    (None, None) => {}
                }
            }
            (Value::Object(out_a), Value::Object(out_b))
        }
        _ => (old.clone(), new.clone()),
    }
}

/// Where masking made a changed value look unchanged, say so on the new side.
fn mark_hidden_changes(raw: (&Value, &Value), shown: (&Value, &mut Value)) {
    match (raw, shown) {
        ((Value::Object(ra), Value::Object(rb)), (Value::Object(sa), Value::Object(sb))) => {
            for (key, vb) in sb.iter_mut() {
                if let (Some(x), Some(y), Some(sx)) = (ra.get(key), rb.get(key), sa.get(key)) {
                    mark_hidden_changes((x, y), (sx, vb));
                }
            }
        }
        ((x, y), (sx, sy)) => {
            if x != y && sx == sy && sy.as_str() == Some(MASK) {
                *sy = Value::String(format!("{MASK} (changed)"));
            }
        }
    }
}

/// The diff lines of an update. `shown_*` are the masked bodies; `change` has the raw ones.
pub fn update_lines(
    change: &Change,
    shown_old: &Map<String, Value>,
    shown_new: &Map<String, Value>,
) -> Vec<Line> {
    let raw_old = Value::Object(change.old.clone().unwrap_or_default());
    let raw_new = Value::Object(change.new.clone().unwrap_or_default());
    let (raw_old, raw_new) = prune(&raw_old, &raw_new);
    let mut shown_old = Value::Object(shown_old.clone());
    let mut shown_new = Value::Object(shown_new.clone());
    // Keep only the keys the raw comparison found changed (masking can hide a change, never
    // make one).
    restrict_to(&mut shown_new, &raw_new);
    restrict_to(&mut shown_old, &raw_old);
    mark_hidden_changes((&raw_old, &raw_new), (&shown_old, &mut shown_new));
    let before = pretty(&shown_old);
    let after = pretty(&shown_new);
    TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|c| Line {
            tag: c.tag(),
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

fn restrict_to(shown: &mut Value, raw: &Value) {
    if let (Value::Object(s), Value::Object(r)) = (shown, raw) {
        s.retain(|k, _| r.contains_key(k));
        for (k, v) in s.iter_mut() {
            if let Some(rv) = r.get(k) {
                restrict_to(v, rv);
            }
        }
    }
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::model::{Op, Phase};

    fn change(old: Value, new: Value) -> Change {
        Change {
            op: Op::Update,
            kind: "services".into(),
            id: "x".into(),
            name: "s".into(),
            old: old.as_object().cloned(),
            new: new.as_object().cloned(),
            secret_paths: vec![],
            phase: Phase::Write,
            level: 2,
            recreate: false,
            depends_on: vec![],
        }
    }

    #[test]
    fn only_changed_fields_are_shown() {
        let c = change(
            json!({"name": "s", "port": 80, "host": "a"}),
            json!({"name": "s", "port": 8080, "host": "a"}),
        );
        let lines = update_lines(&c, c.old.as_ref().unwrap(), c.new.as_ref().unwrap());
        let text: Vec<String> = lines
            .iter()
            .map(|l| format!("{:?} {}", l.tag, l.text))
            .collect();
        assert_eq!(
            text,
            vec![
                "Equal {",
                "Delete   \"port\": 80",
                "Insert   \"port\": 8080",
                "Equal }"
            ]
        );
    }

    #[test]
    fn a_masked_change_is_still_visible_as_a_change() {
        let c = change(json!({"key": "old-secret"}), json!({"key": "new-secret"}));
        let masked = json!({"key": MASK});
        let lines = update_lines(&c, masked.as_object().unwrap(), masked.as_object().unwrap());
        let all: String = lines.iter().map(|l| l.text.clone()).collect();
        assert!(all.contains("[masked] (changed)"), "{all}");
        assert!(!all.contains("secret"), "{all}");
    }
}
