//! The last line of defence: every byte the command line writes — reports in every format,
//! `--output` files, diffs, tables, errors and warnings — goes through a [`Scrubber`] that
//! replaces any secret value known from the checkout or the dumps (plain and base64, at least
//! [`MIN_LEN`] bytes) by `*`.
//!
//! Masking is decided by the policy ([`crate::model::sensitive`]) wherever values are shown; the
//! scrubber catches what slips past it: a YAML anchor or alias, a template or a rule that copies
//! a secret value into another field or another object, a message that quotes one. The secret
//! values are collected once after loading (every object of the checkout, rendered ones
//! included, and every Secret of the dumps), with the forms they may take in an output: as
//! written, base64-decoded or -encoded, JSON- and HTML-escaped, and line by line for values
//! that span lines. An Aho-Corasick automaton finds them all in one pass.
//!
//! `render` and `template` print what Helm prints, Secrets included, and are not scrubbed.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::model::cluster::Cluster;
use crate::model::repo::Repo;
use crate::model::sensitive::{is_secret_kind, secret_strings};

/// Shortest value scrubbed (shorter ones would mask ordinary words).
pub const MIN_LEN: usize = 6;

/// Replaces known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Scrubber {
    automaton: Option<AhoCorasick>,
    patterns: usize,
}

/// The forms a value may take in an output.
fn variants(value: &[u8], out: &mut Vec<Vec<u8>>) {
    out.push(value.to_vec());
    let Ok(text) = std::str::from_utf8(value) else {
        return;
    };
    if let Ok(json) = serde_json::to_string(text) {
        out.push(json.trim_matches('"').as_bytes().to_vec());
    }
    let html = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    out.push(html.into_bytes());
    if text.contains('\n') {
        for line in text.lines() {
            out.push(line.trim().as_bytes().to_vec());
        }
    }
}

impl Scrubber {
    /// A scrubber for these secret values (and their variants).
    pub fn new(values: impl IntoIterator<Item = Vec<u8>>) -> Scrubber {
        let mut all = Vec::new();
        for v in values {
            variants(&v, &mut all);
        }
        all.retain(|p| p.len() >= MIN_LEN);
        all.sort();
        all.dedup();
        if all.is_empty() {
            return Scrubber::default();
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&all)
            .ok();
        Scrubber {
            patterns: all.len(),
            automaton,
        }
    }

    /// A scrubber for every secret value of the checkout (rendered objects included) and of
    /// the Secrets of the dumps.
    pub fn from_model(repo: &Repo, cluster: Option<&Cluster>) -> Scrubber {
        Scrubber::from_models(&[repo], cluster)
    }

    /// A scrubber for every secret value of several checkouts (two revisions of one) and of
    /// the Secrets of the dumps.
    pub fn from_models(repos: &[&Repo], cluster: Option<&Cluster>) -> Scrubber {
        let mut values = Vec::new();
        for m in repos.iter().flat_map(|r| &r.manifests) {
            secret_strings(&m.obj, &mut values);
        }
        if let Some(c) = cluster {
            for o in c.objects.iter().filter(|o| is_secret_kind(&o.key.kind)) {
                secret_strings(o.obj(), &mut values);
            }
        }
        Scrubber::new(values)
    }

    /// How many patterns it looks for.
    pub fn patterns(&self) -> usize {
        self.patterns
    }

    /// `text` with every known secret value replaced by `*` (one per byte).
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(ac) = &self.automaton else {
            return Cow::Borrowed(text);
        };
        let mut found = ac.find_iter(text.as_bytes()).peekable();
        if found.peek().is_none() {
            return Cow::Borrowed(text);
        }
        let mut bytes = text.as_bytes().to_vec();
        for m in found {
            for b in &mut bytes[m.start()..m.end()] {
                *b = b'*';
            }
        }
        Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
    }
}

static INSTALLED: OnceLock<Scrubber> = OnceLock::new();

/// Makes `s` the scrubber of this process's output (once; later calls are ignored).
pub fn install(s: Scrubber) {
    let _ = INSTALLED.set(s);
}

/// `text` scrubbed by the installed scrubber (unchanged before one is installed).
pub fn scrub(text: &str) -> Cow<'_, str> {
    match INSTALLED.get() {
        Some(s) => s.scrub(text),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_value_is_scrubbed() {
        let s = Scrubber::new([
            b"hunter2-secret".to_vec(),
            b"line-one-s3cret\nline-two-s3cret".to_vec(),
            b"a\"quoted<value>".to_vec(),
            b"short".to_vec(),
        ]);
        let text = "x hunter2-secret y line-two-s3cret z a\\\"quoted<value> \
                    a&quot;quoted&lt;value&gt; short";
        let out = s.scrub(text);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(!out.contains("line-two"), "{out}");
        assert!(!out.contains("quoted"), "{out}");
        assert!(out.contains("short"), "{out}");
        assert_eq!(out.len(), text.len());
        assert!(matches!(s.scrub("nothing here"), Cow::Borrowed(_)));
        assert!(matches!(Scrubber::default().scrub("x"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_longest_match_wins() {
        let s = Scrubber::new([b"secret".to_vec(), b"secret-longer".to_vec()]);
        assert_eq!(s.scrub("a secret-longer b"), "a ************* b");
    }
}
