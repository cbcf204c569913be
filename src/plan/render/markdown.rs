//! Markdown for a pull-request comment: a summary table, one row per change, and each update's
//! changed fields in a collapsible block.

use similar::ChangeTag;

use super::field_diff::update_lines;
use super::{event_name, shown_bodies};
use crate::plan::model::{Op, Plan};

pub fn document(plan: &Plan, addr: &str) -> String {
    let summary = plan.summary();
    let mut out = String::new();
    out.push_str(&format!("### gwctl diff against `{addr}`\n\n"));
    if plan.is_empty() {
        out.push_str("No changes: the gateway matches the state files.\n");
        return out;
    }
    out.push_str(&format!(
        "**{}** to create, **{}** to update, **{}** to delete ({} in all).\n\n",
        summary.creating, summary.updating, summary.deleting, summary.total
    ));
    out.push_str("| | action | kind | name |\n|---|---|---|---|\n");
    for change in &plan.changes {
        let icon = match change.op {
            Op::Create => "🟢",
            Op::Update => "🟡",
            Op::Delete => "🔴",
        };
        out.push_str(&format!(
            "| {icon} | {} | {} | `{}` |\n",
            change.op.verb(),
            event_name(&change.kind),
            escape(&change.name)
        ));
    }
    for change in plan.changes.iter().filter(|c| c.op == Op::Update) {
        let (old, new) = shown_bodies(change, plan);
        let lines = update_lines(change, &old.unwrap_or_default(), &new.unwrap_or_default());
        out.push_str(&format!(
            "\n<details><summary>updating {} <code>{}</code></summary>\n\n```diff\n",
            event_name(&change.kind),
            html_escape(&change.name)
        ));
        for l in lines {
            let sign = match l.tag {
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
                ChangeTag::Equal => ' ',
            };
            out.push_str(&format!("{sign}{}\n", l.text.replace("```", "`‌``")));
        }
        out.push_str("```\n\n</details>\n");
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'")
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
