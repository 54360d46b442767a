//! From rendered template files to `helm template` output: document splitting with
//! Helm's separator regex, the YAML head check, install-order sorting, hooks last, and
//! the `---\n# Source:` framing. Source maps are carried through every cut.

use std::sync::OnceLock;

use driftlens_gotmpl::value::Value;
use driftlens_gotmpl::yaml;
use driftlens_gotmpl::SourceMap;

/// Helm v4 install order of kinds.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// A document cut out of a rendered file.
#[derive(Debug, Clone)]
pub struct Piece {
    /// Template path (`chart/templates/x.yaml`).
    pub source: String,
    /// Document text (trimmed).
    pub text: String,
    /// Its source map (offsets relative to `text`).
    pub map: SourceMap,
    /// `kind` from the document head.
    pub kind: String,
    /// Has a `helm.sh/hook` annotation.
    pub is_hook: bool,
}

fn sep() -> &'static regex::Regex {
    static SEP: OnceLock<regex::Regex> = OnceLock::new();
    SEP.get_or_init(|| {
        // Helm's `(?:^|\s*\n)---\s*`, with Go's ASCII `\s`.
        regex::Regex::new(r"(?:^|[\t\n\x0C\r ]*\n)---[\t\n\x0C\r ]*")
            .unwrap_or_else(|_| unreachable_regex())
    })
}

fn unreachable_regex() -> regex::Regex {
    // The pattern above is a constant; this fallback only exists to avoid a panic path.
    regex::Regex::new("$^").unwrap_or_else(|_| std::process::abort())
}

/// Go's `strings.TrimSpace` bounds (ASCII whitespace and Unicode spaces).
fn trim_bounds(s: &str) -> (usize, usize) {
    let start = s.len() - s.trim_start().len();
    let end = s.trim_end().len();
    (start, end.max(start))
}

/// Splits one rendered file into documents like Helm's `SplitManifests`, then checks each
/// head. Errors use Helm's wording (`YAML parse error on FILE: …`).
pub fn split_file(source: &str, text: &str, map: &SourceMap) -> Result<Vec<Piece>, String> {
    let (s0, e0) = trim_bounds(text);
    let body = &text[s0..e0];
    let mut pieces = Vec::new();
    let mut last = 0usize;
    let mut ranges = Vec::new();
    for m in sep().find_iter(body) {
        ranges.push((last, m.start()));
        last = m.end();
    }
    ranges.push((last, body.len()));
    for (a, b) in ranges {
        let d = &body[a..b];
        if d.is_empty() {
            continue;
        }
        let (ds, de) = trim_bounds(d);
        let doc = &d[ds..de];
        if doc.is_empty() {
            continue;
        }
        let abs = s0 + a + ds;
        let dmap = map.slice(text, abs, abs + doc.len());
        let (kind, is_hook) =
            head(doc).map_err(|e| format!("YAML parse error on {source}: {e}"))?;
        pieces.push(Piece {
            source: source.to_string(),
            text: doc.to_string(),
            map: dmap,
            kind,
            is_hook,
        });
    }
    Ok(pieces)
}

/// Parses a document's head: `kind` and whether it is a hook.
fn head(doc: &str) -> Result<(String, bool), String> {
    let v = yaml::load(doc).map_err(|e| format!("error converting YAML to JSON: {e}"))?;
    match &v {
        Value::Nil => Ok((String::new(), false)),
        Value::Map(m) => {
            let m = m.borrow();
            let kind = match m.get("kind") {
                Some(Value::Str(s)) => s.to_string(),
                None | Some(Value::Nil) => String::new(),
                Some(other) => {
                    return Err(format!(
                        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go struct field SimpleHead.kind of type string",
                        json_kind(other)
                    ))
                }
            };
            let is_hook = match m.get("metadata") {
                Some(Value::Map(md)) => match md.borrow().get("annotations") {
                    Some(Value::Map(an)) => an.borrow().contains_key("helm.sh/hook"),
                    _ => false,
                },
                _ => false,
            };
            Ok((kind, is_hook))
        }
        other => Err(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type util.SimpleHead",
            json_kind(other)
        )),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Str(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        _ => "object",
    }
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind`, used with a stable sort.
pub fn by_kind(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (kind_rank(a), kind_rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<String> {
        split_file("c/templates/x.yaml", text, &SourceMap::default())
            .map(|v| v.into_iter().map(|p| p.text).collect())
            .unwrap_or_else(|e| vec![e])
    }

    #[test]
    fn splits_like_helm() {
        assert_eq!(split("a: 1\n---\nb: 2\n"), vec!["a: 1", "b: 2"]);
        assert_eq!(split("\n\n---\n---\nkind: X\n"), vec!["---\nkind: X"]);
        assert_eq!(split("# only a comment\n---\n\n"), vec!["# only a comment"]);
        assert_eq!(split("   \n"), Vec::<String>::new());
        assert!(split("just text")[0]
            .contains("cannot unmarshal string into Go value of type util.SimpleHead"));
    }

    #[test]
    fn kind_order() {
        let mut v = vec!["Deployment", "Zeta", "", "Secret", "Alpha", "Namespace"];
        v.sort_by(|a, b| by_kind(a, b));
        assert_eq!(
            v,
            vec!["Namespace", "Secret", "Deployment", "", "Alpha", "Zeta"]
        );
    }
}
