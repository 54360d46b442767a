//! Markdown audit report (`--format markdown`): a summary per Application and per rule, then
//! every finding with its redacted source snippet, drift causes, suggested `ignoreDifferences`,
//! related places, suppression and baseline state. Renders on GitHub (pull-request comments, job summaries).
//!
//! Every text taken from the scan is escaped for tables and inline use (`|`, `<`, `>`, `&`,
//! backticks, newlines); snippets sit in fences longer than any backtick run they contain.

use super::audit::{Audit, AuditFinding, Counts};
use crate::scan::ScanResult;

/// Escapes text for a paragraph (`in_table: false`) or a table cell: no raw HTML, no line
/// breaks, and in tables no cell breaks. Code spans (`` `…` ``), which driftlens messages use for
/// names and fields, are kept: Markdown shows their content literally, so only `|` is escaped in
/// them (GitHub tables need it even there).
pub fn escape(s: &str, in_table: bool) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            // A code span ends at the next run of exactly the same length.
            let mut j = i + run;
            let mut close = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let r = chars[j..].iter().take_while(|&&c| c == '`').count();
                    if r == run {
                        close = Some(j);
                        break;
                    }
                    j += r;
                } else {
                    j += 1;
                }
            }
            if let Some(end) = close {
                for &c in &chars[i..end + run] {
                    if c == '|' && in_table {
                        out.push_str("\\|");
                    } else {
                        out.push(c);
                    }
                }
                i = end + run;
                continue;
            }
            out.push_str("\\`");
            i += 1;
            continue;
        }
        match c {
            '|' if in_table => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Inline code that survives any content: a backtick fence longer than the longest run inside.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let longest = longest_backtick_run(&s);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn longest_backtick_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

fn fenced(body: &str, lang: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    format!("{fence}{lang}\n{body}\n{fence}\n")
}

fn counts_cells(c: &Counts) -> String {
    format!(
        "{} | {} | {} | {} | {}",
        c.error, c.warning, c.note, c.suppressed, c.total
    )
}

fn finding(out: &mut String, f: &AuditFinding) {
    out.push_str(&format!(
        "### {}. {} {} at {}\n\n",
        f.number,
        f.severity,
        code(&f.rule),
        code(&format!("{}:{}:{}", f.file, f.line, f.column))
    ));
    out.push_str(&format!("{}\n\n", escape(&f.message, false)));
    if !f.object.is_empty() {
        out.push_str(&format!("- Object: {}\n", code(&f.object)));
    }
    if !f.apps.is_empty() {
        let apps: Vec<String> = f.apps.iter().map(|a| code(a)).collect();
        out.push_str(&format!("- Applications: {}\n", apps.join(", ")));
    }
    if let (Some(kind), Some(reason)) = (&f.suppression_kind, &f.suppression_reason) {
        out.push_str(&format!(
            "- Suppressed ({kind}): {}\n",
            escape(reason, false)
        ));
    }
    if let Some(state) = &f.baseline_state {
        out.push_str(&format!("- Baseline: {state}\n"));
    }
    for c in &f.causes {
        out.push_str(&format!("- Drift cause: {}\n", escape(c, false)));
    }
    for r in &f.related {
        out.push_str(&format!(
            "- See also {}: {}\n",
            code(&format!("{}:{}:{}", r.file, r.line, r.column)),
            escape(&r.message, false)
        ));
    }
    out.push('\n');
    if let Some(s) = &f.suggested_ignore_differences {
        out.push_str("Suggested `ignoreDifferences`:\n\n");
        out.push_str(&fenced(s, "json"));
        out.push('\n');
    }
    if !f.snippet.is_empty() {
        let width = f
            .snippet
            .iter()
            .map(|l| l.number.to_string().len())
            .max()
            .unwrap_or(1);
        let body: Vec<String> = f
            .snippet
            .iter()
            .map(|l| {
                format!(
                    "{} {:>width$} | {}",
                    if l.hit { ">" } else { " " },
                    l.number,
                    l.text
                )
            })
            .collect();
        out.push_str(&fenced(&body.join("\n"), "text"));
        out.push('\n');
    }
}

/// Renders the report (ends with a newline).
pub fn render(result: &ScanResult) -> String {
    let a = Audit::build(result);
    let mut out = String::new();
    out.push_str("# driftlens audit report\n\n");
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "{} that count ({}, {}, {}), {} suppressed, {} in total; {}, {}{}.\n\n",
        plural(a.counts.active, "finding"),
        plural(a.counts.error, "error"),
        plural(a.counts.warning, "warning"),
        plural(a.counts.note, "note"),
        a.counts.suppressed,
        a.counts.total,
        plural(a.files, "file"),
        plural(a.objects, "object"),
        if result.cluster.is_some() {
            format!(", {}", plural(a.live_objects, "live object"))
        } else {
            String::new()
        }
    ));
    out.push_str(&format!("Coverage: {}.\n\n", escape(&a.coverage, false)));
    if let Some(b) = &a.baseline {
        out.push_str(&format!(
            "Baseline {}: {} new, {} unchanged, {} fixed.\n\n",
            code(b),
            a.new,
            a.unchanged,
            a.absent.len()
        ));
    }
    out.push_str("## Applications\n\n");
    if a.states.is_empty() {
        out.push_str("No Application.\n\n");
    } else {
        out.push_str(
            "| Application | sync | health | top cause | coverage |\n|---|---|---|---|---|\n",
        );
        for r in &a.states {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                escape(&r.name, true),
                escape(&r.sync, true),
                escape(&r.health, true),
                escape(&r.top_cause, true),
                escape(&r.coverage, true)
            ));
        }
        out.push('\n');
    }
    out.push_str("## By Application\n\n| Application | errors | warnings | notes | suppressed | total |\n|---|---:|---:|---:|---:|---:|\n");
    for r in &a.apps {
        out.push_str(&format!(
            "| {} | {} |\n",
            escape(&r.name, true),
            counts_cells(&r.counts)
        ));
    }
    out.push_str("\n## By rule\n\n| Rule | severity | category | errors | warnings | notes | suppressed | total |\n|---|---|---|---:|---:|---:|---:|---:|\n");
    for r in &a.rules {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            code(&r.id),
            r.severity,
            r.category,
            counts_cells(&r.counts)
        ));
    }
    out.push_str("\n## Findings\n\n");
    if let Some(h) = &result.hidden {
        out.push_str(&format!("{}.\n\n", escape(&h.line(), false)));
    }
    if a.findings.is_empty() {
        out.push_str("No findings.\n\n");
    }
    let findings: Vec<(&str, String)> = a
        .findings
        .iter()
        .map(|f| {
            let mut s = String::new();
            finding(&mut s, f);
            (f.rule.as_str(), s)
        })
        .collect();
    let head = out;
    let mut out = String::new();
    out.push_str("## Suppressions\n\n");
    if a.suppressed.is_empty() {
        out.push_str("None.\n\n");
    } else {
        out.push_str("| # | Rule | Location | Kind | Reason |\n|---:|---|---|---|---|\n");
        for f in &a.suppressed {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                f.number,
                code(&f.rule),
                code(&format!("{}:{}", f.file, f.line)),
                f.suppression_kind.as_deref().unwrap_or(""),
                escape(f.suppression_reason.as_deref().unwrap_or(""), true)
            ));
        }
        out.push('\n');
    }
    if a.baseline.is_some() {
        out.push_str("## Fixed since the baseline\n\n");
        if a.absent.is_empty() {
            out.push_str("None.\n\n");
        }
        for r in &a.absent {
            out.push_str(&format!(
                "- {} at {}: {}\n",
                code(&r.rule),
                code(&format!("{}:{}", r.file, r.line)),
                escape(&r.message, false)
            ));
        }
        out.push('\n');
    }
    if !a.not_rendered.is_empty() {
        out.push_str("## Not rendered\n\n");
        for u in &a.not_rendered {
            out.push_str(&format!("- {}\n", escape(u, false)));
        }
        out.push('\n');
    }
    out.push_str(&format!("Generated by driftlens {}.\n", a.version));
    within_budget(head, &findings, out, BUDGET)
}

/// The size the report keeps under: GitHub refuses a job summary above 1 MiB (1,048,576
/// bytes), and a pull-request comment above 65,536 characters; the summary is the use that
/// holds every finding.
pub const BUDGET: usize = 1_000_000;

/// Joins the report's parts. When the findings do not fit in `budget`, only the first N
/// findings of each rule are listed (the largest N that fits), and a paragraph says how many
/// were left out, per rule; every count above stays complete. As a last resort (a table of
/// thousands of Applications), the text is cut at a line and says so.
fn within_budget(head: String, findings: &[(&str, String)], tail: String, budget: usize) -> String {
    let all: usize = findings.iter().map(|(_, s)| s.len()).sum();
    if head.len() + all + tail.len() <= budget {
        let mut out = head;
        out.reserve(all + tail.len());
        for (_, s) in findings {
            out.push_str(s);
        }
        out.push_str(&tail);
        return out;
    }
    let pick = |n: usize| -> Vec<bool> {
        let mut seen: std::collections::HashMap<&str, usize> = Default::default();
        findings
            .iter()
            .map(|(rule, _)| {
                let k = seen.entry(rule).or_insert(0);
                *k += 1;
                *k <= n
            })
            .collect()
    };
    let note = |keep: &[bool], n: usize| -> String {
        let mut left: std::collections::BTreeMap<&str, usize> = Default::default();
        for ((rule, _), k) in findings.iter().zip(keep) {
            if !k {
                *left.entry(rule).or_insert(0) += 1;
            }
        }
        let total: usize = left.values().sum();
        let per_rule: Vec<String> = left
            .iter()
            .map(|(r, c)| format!("{} {}", code(r), c))
            .collect();
        format!(
            "**{total} of {} findings are not listed** to keep this report under GitHub's 1 MiB \
             job-summary limit: only the first {n} of each rule are. Left out, by rule: {}. \
             `--format json`, `sarif` or `html` list every finding; `--rule`, `--severity` or \
             `--category` narrow this one.\n\n",
            findings.len(),
            per_rule.join(", ")
        )
    };
    for n in [100, 50, 20, 10, 5, 3, 2, 1, 0] {
        let keep = pick(n);
        let size: usize = findings
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|((_, s), _)| s.len())
            .sum();
        let note = note(&keep, n);
        if head.len() + note.len() + size + tail.len() <= budget || n == 0 {
            let mut out = head;
            out.push_str(&note);
            for ((_, s), k) in findings.iter().zip(&keep) {
                if *k {
                    out.push_str(s);
                }
            }
            out.push_str(&tail);
            return cut(out, budget);
        }
    }
    unreachable!("n == 0 always returns")
}

/// Cuts `text` at the last line break that leaves room for a closing note under `budget`.
fn cut(mut text: String, budget: usize) -> String {
    if text.len() <= budget {
        return text;
    }
    let note = "\n**The report was cut here** to stay under GitHub's 1 MiB job-summary limit; \
                `--format html` or `json` hold all of it.\n";
    let mut end = budget.saturating_sub(note.len()).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind('\n').map_or(0, |i| i + 1);
    text.truncate(end);
    text.push_str(note);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_past_the_budget_are_left_out_per_rule_and_counted() {
        let findings: Vec<(&str, String)> = (0..300)
            .map(|i| {
                let rule = if i % 3 == 0 { "rule-a" } else { "rule-b" };
                (rule, format!("### {i}. {rule}\n{}\n", "x".repeat(90)))
            })
            .collect();
        let all = within_budget("head\n".into(), &findings, "tail\n".into(), 1_000_000);
        assert!(all.contains("### 299.") && !all.contains("not listed"));
        let some = within_budget("head\n".into(), &findings, "tail\n".into(), 3_000);
        assert!(some.len() <= 3_000, "{}", some.len());
        assert!(some.starts_with("head\n") && some.ends_with("tail\n"));
        // The largest N per rule that fits: 10 of each (20 findings, about 2,000 bytes).
        assert!(some.contains("only the first 10 of each rule"), "{some}");
        assert!(some.contains("`rule-a` 90, `rule-b` 190"), "{some}");
        assert!(some.contains("**280 of 300 findings are not listed**"));
        assert!(some.contains("### 27. rule-a") && !some.contains("### 30. rule-a"));
        let none = within_budget("head\n".into(), &findings, "tail\n".into(), 300);
        assert!(none.len() <= 300, "{}", none.len());
        assert!(none.contains("The report was cut here"));
    }

    #[test]
    fn escaping_keeps_tables_and_html_out() {
        assert_eq!(escape("a|b<script>", true), "a\\|b&lt;script&gt;");
        assert_eq!(escape("`a<b|c` & d", true), "`a<b\\|c` &amp; d");
        assert_eq!(escape("`a<b|c` & d", false), "`a<b|c` &amp; d");
        assert_eq!(escape("x ` <y>", false), "x \\` &lt;y&gt;");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`x"), "`` `x ``");
        assert!(fenced("```\nx", "text").starts_with("````text\n"));
    }
}
