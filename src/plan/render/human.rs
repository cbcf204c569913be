//! decK-style text: `creating service x`, `updating route y` followed by the changed fields,
//! `deleting plugin z (route y)`, then `Summary:`.

use owo_colors::OwoColorize;
use similar::ChangeTag;

use super::field_diff::update_lines;
use super::{event_name, shown_bodies};
use crate::plan::model::{Op, Outcome, Plan, Status};

#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, text: &str, op: Option<Op>) -> String {
        if !self.color {
            return text.to_string();
        }
        match op {
            Some(Op::Create) => text.green().to_string(),
            Some(Op::Update) => text.yellow().to_string(),
            Some(Op::Delete) => text.red().to_string(),
            None => text.bold().to_string(),
        }
    }
}

/// The event lines and diffs of a plan (what `diff` prints, and `sync` before applying).
pub fn render_changes(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let line = format!(
            "{} {} {}",
            change.op.verb(),
            event_name(&change.kind),
            change.name
        );
        out.push_str(&style.paint(&line, Some(change.op)));
        out.push('\n');
        if change.op == Op::Update {
            let (old, new) = shown_bodies(change, plan);
            let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
            for l in update_lines(change, &old, &new) {
                let (sign, op) = match l.tag {
                    ChangeTag::Delete => ("-", Some(Op::Delete)),
                    ChangeTag::Insert => ("+", Some(Op::Create)),
                    ChangeTag::Equal => (" ", None),
                };
                let text = format!("  {sign} {}", l.text);
                match op {
                    Some(op) => out.push_str(&style.paint(&text, Some(op))),
                    None => out.push_str(&text),
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The `Summary:` block. With an outcome, counts what was actually done.
pub fn render_summary(plan: &Plan, outcome: Option<&Outcome>, style: Style) -> String {
    let done = |op: Op| {
        plan.changes
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.op == op
                    && outcome.is_none_or(|o| matches!(o.statuses.get(*i), Some(Status::Applied)))
            })
            .count()
    };
    let mut out = style.paint("Summary:", None);
    out.push('\n');
    out.push_str(&format!("  Created: {}\n", done(Op::Create)));
    out.push_str(&format!("  Updated: {}\n", done(Op::Update)));
    out.push_str(&format!("  Deleted: {}\n", done(Op::Delete)));
    if let Some(outcome) = outcome
        && !outcome.is_success()
    {
        out.push_str(&format!("  Failed: {}\n", outcome.failed()));
        out.push_str(&format!("  Skipped: {}\n", outcome.skipped()));
    }
    out
}

/// Failures and skipped changes after applying, for stderr.
pub fn render_problems(plan: &Plan, outcome: &Outcome) -> String {
    let mut out = String::new();
    for (change, status) in plan.changes.iter().zip(&outcome.statuses) {
        let what = format!(
            "{} {} {}",
            change.op.verb(),
            event_name(&change.kind),
            change.name
        );
        match status {
            Status::Failed { error } => out.push_str(&format!("failed: {what}: {error}\n")),
            Status::Skipped { because } => out.push_str(&format!("skipped: {what}: {because}\n")),
            Status::Applied => {}
        }
    }
    out
}
