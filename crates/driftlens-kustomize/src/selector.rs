//! Target selectors: kustomize's anchored regular expressions on group, version, kind, name
//! and namespace (`types.SelectorRegex`), and Kubernetes label selectors (`labels.Parse`) for
//! `labelSelector` / `annotationSelector`.

use std::collections::BTreeMap;

use regex::Regex;

use crate::error::{Error, Result};
use crate::types::{Gvk, Selector};

/// Compiled selector patterns.
pub struct SelectorRegex {
    sel: Selector,
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
}

fn anchored(p: &str) -> Result<Option<Regex>> {
    if p.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{p})$"))
        .map(Some)
        .map_err(|e| Error::new(format!("error parsing regexp: {e}")))
}

impl SelectorRegex {
    /// `NewSelectorRegex`.
    pub fn new(s: &Selector) -> Result<SelectorRegex> {
        Ok(SelectorRegex {
            sel: s.clone(),
            group: anchored(&s.gvk.group)?,
            version: anchored(&s.gvk.version)?,
            kind: anchored(&s.gvk.kind)?,
            name: anchored(&s.name)?,
            namespace: anchored(&s.namespace)?,
        })
    }

    /// `MatchGvk`.
    pub fn match_gvk(&self, gvk: &Gvk) -> bool {
        if let Some(r) = &self.group {
            if !r.is_match(&gvk.group) {
                return false;
            }
        }
        if let Some(r) = &self.version {
            if !r.is_match(&gvk.version) {
                return false;
            }
        }
        if let Some(r) = &self.kind {
            if !r.is_match(&gvk.kind) {
                return false;
            }
        }
        true
    }

    /// `MatchName`.
    pub fn match_name(&self, n: &str) -> bool {
        match &self.name {
            None => true,
            Some(r) => r.is_match(n),
        }
    }

    /// `MatchNamespace`.
    pub fn match_namespace(&self, ns: &str) -> bool {
        match &self.namespace {
            None => true,
            Some(r) => r.is_match(ns),
        }
    }

    /// The selector.
    pub fn selector(&self) -> &Selector {
        &self.sel
    }
}

#[derive(Debug, PartialEq)]
enum Op {
    Exists,
    NotExists,
    In,
    NotIn,
    Gt,
    Lt,
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Not,
    NotEq,
    Eq,
    DoubleEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
}

fn lex(s: &str) -> Vec<Tok> {
    let b: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let special = |c: char| matches!(c, '!' | '=' | '(' | ')' | ',' | '>' | '<');
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '!' if b.get(i + 1) == Some(&'=') => {
                out.push(Tok::NotEq);
                i += 2;
            }
            '!' => {
                out.push(Tok::Not);
                i += 1;
            }
            '=' if b.get(i + 1) == Some(&'=') => {
                out.push(Tok::DoubleEq);
                i += 2;
            }
            '=' => {
                out.push(Tok::Eq);
                i += 1;
            }
            '>' => {
                out.push(Tok::Gt);
                i += 1;
            }
            '<' => {
                out.push(Tok::Lt);
                i += 1;
            }
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            _ => {
                let st = i;
                while i < b.len() && !b[i].is_whitespace() && !special(b[i]) {
                    i += 1;
                }
                out.push(Tok::Ident(b[st..i].iter().collect()));
            }
        }
    }
    out
}

struct Req {
    key: String,
    op: Op,
    values: Vec<String>,
}

fn parse(s: &str) -> std::result::Result<Vec<Req>, String> {
    let toks = lex(s);
    let mut i = 0;
    let mut reqs = Vec::new();
    while i < toks.len() {
        let mut negate = false;
        if toks[i] == Tok::Not {
            negate = true;
            i += 1;
        }
        let key = match toks.get(i) {
            Some(Tok::Ident(k)) => k.clone(),
            _ => return Err("expected: identifier".into()),
        };
        i += 1;
        if negate {
            reqs.push(Req {
                key,
                op: Op::NotExists,
                values: vec![],
            });
        } else {
            match toks.get(i) {
                None | Some(Tok::Comma) => reqs.push(Req {
                    key,
                    op: Op::Exists,
                    values: vec![],
                }),
                Some(Tok::Eq) | Some(Tok::DoubleEq) | Some(Tok::NotEq) | Some(Tok::Gt)
                | Some(Tok::Lt) => {
                    let op = match &toks[i] {
                        Tok::NotEq => Op::NotIn,
                        Tok::Gt => Op::Gt,
                        Tok::Lt => Op::Lt,
                        _ => Op::In,
                    };
                    i += 1;
                    let v = match toks.get(i) {
                        Some(Tok::Ident(v)) => {
                            i += 1;
                            v.clone()
                        }
                        _ => String::new(),
                    };
                    reqs.push(Req {
                        key,
                        op,
                        values: vec![v],
                    });
                }
                Some(Tok::Ident(w)) if w == "in" || w == "notin" => {
                    let op = if w == "in" { Op::In } else { Op::NotIn };
                    i += 1;
                    if toks.get(i) != Some(&Tok::Open) {
                        return Err("expected: '('".into());
                    }
                    i += 1;
                    let mut values = Vec::new();
                    loop {
                        match toks.get(i) {
                            Some(Tok::Ident(v)) => {
                                values.push(v.clone());
                                i += 1;
                            }
                            Some(Tok::Comma) => {
                                i += 1;
                            }
                            Some(Tok::Close) => {
                                i += 1;
                                break;
                            }
                            _ => return Err("expected: ')'".into()),
                        }
                    }
                    reqs.push(Req { key, op, values });
                }
                _ => return Err("expected: '=', '!=', '==', 'in', notin'".into()),
            }
        }
        match toks.get(i) {
            None => break,
            Some(Tok::Comma) => i += 1,
            _ => return Err("expected: ',' or 'end of string'".into()),
        }
    }
    Ok(reqs)
}

/// Whether a label (or annotation) map matches a Kubernetes selector; empty matches all.
pub fn matches_label_selector(labels: &BTreeMap<String, String>, sel: &str) -> Result<bool> {
    if sel.is_empty() {
        return Ok(true);
    }
    let reqs =
        parse(sel).map_err(|e| Error::new(format!("unable to parse requirement: found {e}")))?;
    for r in reqs {
        let v = labels.get(&r.key);
        let ok = match r.op {
            Op::Exists => v.is_some(),
            Op::NotExists => v.is_none(),
            Op::In => v.is_some_and(|v| r.values.contains(v)),
            Op::NotIn => v.is_none_or(|v| !r.values.contains(v)),
            Op::Gt | Op::Lt => {
                let (Some(v), Some(want)) = (v, r.values.first()) else {
                    return Ok(false);
                };
                match (v.parse::<i64>(), want.parse::<i64>()) {
                    (Ok(a), Ok(b)) => {
                        if r.op == Op::Gt {
                            a > b
                        } else {
                            a < b
                        }
                    }
                    _ => false,
                }
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &[(&str, &str)]) -> BTreeMap<String, String> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selectors() {
        let l = m(&[("tier", "web"), ("app", "x")]);
        assert!(matches_label_selector(&l, "tier in (web,api)").unwrap());
        assert!(matches_label_selector(&l, "app=x,tier").unwrap());
        assert!(!matches_label_selector(&l, "app!=x").unwrap());
        assert!(matches_label_selector(&l, "!missing").unwrap());
        assert!(!matches_label_selector(&l, "tier notin (web)").unwrap());
    }
}
