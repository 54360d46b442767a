//! Kubernetes objects as driftlens holds them: desired objects from Git keep their located YAML
//! tree so every field can be traced to a file and line; live objects from dumps keep only
//! their JSON, parsed on demand for JSON dumps.

use std::sync::Arc;

use serde_json::Value;

pub use super::live::{LiveHead, LiveObject, OwnerRef};

use super::key::ObjectKey;
use crate::load::source::SourceFile;
use crate::load::yaml::{Node, Span};

/// A place in a file of the checkout (defined with the located YAML it points into).
pub use driftlens_yaml::Location;

/// The byte offset of every line start of `text` (0 first).
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect()
}

/// Where a rendered object comes from: the chart, the Application it was rendered for, and
/// the rendered document with its source map back to the template lines.
#[derive(Debug)]
pub struct RenderOrigin {
    /// The chart directory, relative to the scan root.
    pub chart_dir: String,
    /// The chart's name (the first segment of `# Source:` paths).
    pub chart_name: String,
    /// Index into `Repo::apps` of the Application it was rendered for (`None`: rendered with
    /// default values because no Application of the checkout uses the chart).
    pub app: Option<usize>,
    /// Index of the Application's source it was rendered for (0 with `spec.source`).
    pub source: usize,
    /// The rendered document.
    pub doc: driftlens_helm::RenderedDoc,
    /// The chart's template files by path relative to the scan root, for positions.
    pub templates: std::sync::Arc<std::collections::BTreeMap<String, Arc<SourceFile>>>,
    /// The byte offset of every line start of each template file, by the same paths.
    pub line_starts: std::sync::Arc<std::collections::BTreeMap<String, Vec<usize>>>,
    /// The values inputs of the render, to tell where a values key was set.
    pub values: Arc<driftlens_helm::values_origin::ValuesInputs>,
    /// Where each chart of the render is ([`driftlens_helm::Rendered::chart_dirs`]).
    pub chart_dirs: Arc<Vec<(String, Option<String>)>>,
    /// For a chart outside the checkout (a chart folder, Helm's cache): where findings about
    /// its objects point instead of its templates.
    pub external: Option<Arc<ExternalChart>>,
    /// Built by Kustomize, not rendered by Helm: `chart_dir` is the kustomization's
    /// directory, and the source map points at files by their paths relative to the scan root
    /// (bases, patches, generators).
    pub kustomize: bool,
}

/// A chart rendered from outside the checkout.
#[derive(Debug)]
pub struct ExternalChart {
    /// The Application source that names the chart (its `chart:` line).
    pub anchor: Location,
    /// `chart `redis` 17.0.0 (.driftlens/charts/redis-17.0.0.tgz)`.
    pub label: String,
}

/// The path relative to the scan root of a template (parse name, `web/templates/x.yaml`) of the
/// chart at `chart_dir` named `chart_name`: subcharts are found in their own directories
/// whatever their alias (`chart_dirs`); a template of a chart read from an archive keeps its
/// path inside the chart.
pub fn template_repo_path(
    chart_dir: &str,
    chart_name: &str,
    chart_dirs: &[(String, Option<String>)],
    name: &str,
) -> String {
    let rest = driftlens_helm::Rendered::template_dir_path(chart_dirs, name).unwrap_or_else(|| {
        name.strip_prefix(chart_name)
            .map_or(name, |r| r.trim_start_matches('/'))
            .to_string()
    });
    let joined = if chart_dir == "." {
        rest
    } else {
        format!("{chart_dir}/{rest}")
    };
    // A dependency loaded from a directory next to the chart (`file://../common`).
    if joined.split('/').any(|p| p == "..") {
        if let Some(n) = crate::sources::lexical_dir(&joined) {
            return n;
        }
    }
    joined
}

/// How a field of a rendered object came to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderTrace {
    /// The template (parse name) that wrote the field's value.
    pub template: String,
    /// The `.Values` key the value was read from, when known.
    pub values_path: Option<String>,
    /// The `include`/`template` calls the field's line was produced through, innermost
    /// first: where each call is, and the name of the called template.
    pub calls: Vec<(Location, String)>,
}

/// Most `include`/`template` call sites reported for one field.
const MAX_CALL_SITES: usize = 4;

impl RenderOrigin {
    /// The path relative to the scan root of a `# Source:`-style template path
    /// (`reports/templates/x.yaml` → `charts/reports/templates/x.yaml`).
    pub fn repo_path(&self, source: &str) -> String {
        if self.kustomize {
            return source.to_string();
        }
        template_repo_path(&self.chart_dir, &self.chart_name, &self.chart_dirs, source)
    }

    /// The template location of a span of the rendered document (the Application's source
    /// for a chart outside the checkout).
    pub fn location(&self, span: Span) -> Location {
        if let Some(e) = &self.external {
            return e.anchor.clone();
        }
        let start = self.doc.locate(span.start.offset);
        let Some(start) = start else {
            return Location::file_start(&self.repo_path(&self.doc.source));
        };
        self.template_location(&start.file, start.line, start.col, span.len())
    }

    /// The `include`/`template` call sites through which the byte at `offset` of the rendered
    /// document was produced, innermost first.
    pub fn call_sites(&self, offset: usize) -> Vec<(Location, String)> {
        if self.external.is_some() {
            return Vec::new();
        }
        let Some(via) = self.doc.locate(offset).and_then(|l| l.via) else {
            return Vec::new();
        };
        via.chain(MAX_CALL_SITES)
            .into_iter()
            .map(|c| {
                (
                    self.template_location(&c.file, c.line, c.col, usize::MAX),
                    c.name.to_string(),
                )
            })
            .collect()
    }

    /// For a chart outside the checkout: `template `templates/x.yaml` line 12 of chart `redis`
    /// 17.0.0 (…)`, the template position of a span that findings cannot point at.
    pub fn external_position(&self, span: Span) -> Option<String> {
        let e = self.external.as_ref()?;
        let at = self.doc.locate(span.start.offset)?;
        let file = at
            .file
            .strip_prefix(&format!("{}/", self.chart_name))
            .unwrap_or(&at.file);
        Some(format!("template `{file}` line {} of {}", at.line, e.label))
    }

    /// The location of `line:col` of a template (parse name), `len` bytes long at most (clipped
    /// to the line).
    fn template_location(&self, file: &str, line: usize, col: usize, len: usize) -> Location {
        let path = self.repo_path(file);
        let line = line.max(1) as u32;
        let col = col.max(1) as u32;
        // Byte offset of (line, col) in the template, for snippets; the span is clipped to the
        // template line because the rendered value may be longer than the action producing it.
        let (offset, len) = match (self.templates.get(&path), self.line_starts.get(&path)) {
            (Some(f), Some(starts)) => {
                let text: &str = &f.text;
                let line_start = starts
                    .get(line as usize - 1)
                    .copied()
                    .unwrap_or(text.len())
                    .min(text.len());
                let next = starts
                    .get(line as usize)
                    .copied()
                    .unwrap_or(text.len())
                    .clamp(line_start, text.len());
                let raw = text.get(line_start..next).unwrap_or("");
                let line_text = match raw.strip_suffix('\n') {
                    Some(l) => l.strip_suffix('\r').unwrap_or(l),
                    None => raw,
                };
                let at = (col as usize - 1).min(line_text.len());
                (line_start + at, len.min(line_text.len() - at))
            }
            _ => (0, 0),
        };
        let end_col = col + len as u32;
        Location {
            path,
            line,
            col,
            end_line: line,
            end_col,
            offset,
            len,
        }
    }
}

/// A Kubernetes object found in the checkout.
#[derive(Debug)]
pub struct Manifest {
    /// Identity (namespace as written, not yet defaulted).
    pub key: ObjectKey,
    /// `apiVersion` as written.
    pub api_version: String,
    /// The object as JSON, as Kubernetes would read it.
    pub obj: Value,
    /// The located tree of the object.
    pub node: Node,
    /// The file it comes from.
    pub file: Arc<SourceFile>,
    /// Index of the YAML document in its file.
    pub doc_index: usize,
    /// For items of a `kind: List`, the index in `items`.
    pub list_index: Option<usize>,
    /// For objects rendered from a Helm chart: where they come from. `file` then holds the
    /// rendered document under its template's path, and locations map to the template lines.
    pub rendered: Option<Arc<RenderOrigin>>,
}

impl Manifest {
    /// The location of a span of [`Manifest::node`]: in the file for plain manifests, in the
    /// template for rendered ones.
    pub fn location_of(&self, span: Span) -> Location {
        match &self.rendered {
            Some(r) => r.location(span),
            None => Location::new(&self.file.path, span),
        }
    }

    /// Where the field at `pointer` (RFC 6901) is written; falls back to the closest written
    /// parent when the field itself is absent.
    pub fn locate(&self, pointer: &str) -> Location {
        self.location_of(self.node.closest_span(pointer))
    }

    /// The `.Values` path a rendered field came from, when known (`replicaCount`).
    pub fn values_path(&self, pointer: &str) -> Option<String> {
        self.render_trace(pointer)?.values_path
    }

    /// How the field at `pointer` of a rendered object was written: the template of its value,
    /// the values key it came from and the template calls its line went through.
    pub fn render_trace(&self, pointer: &str) -> Option<RenderTrace> {
        let r = self.rendered.as_ref()?;
        let (node, _) = self.node.pointer_entry(pointer)?;
        let at = r.doc.locate(node.span.start.offset)?;
        let mut values_path = at.values_path;
        // A mapping or list printed by `toYaml` starts with the line of its first key or item:
        // the field itself is the key above it.
        if let Some(vp) = &values_path {
            let first = match &node.value {
                crate::load::yaml::NodeValue::Map(e) => e.first().map(|e| format!(".{}", e.key)),
                crate::load::yaml::NodeValue::Seq(i) if !i.is_empty() => Some("[0]".to_string()),
                _ => None,
            };
            if let Some(parent) = first.and_then(|f| vp.strip_suffix(f.as_str())) {
                if !parent.is_empty() {
                    values_path = Some(parent.to_string());
                }
            }
        }
        Some(RenderTrace {
            template: at.file,
            values_path,
            calls: r.call_sites(self.node.closest_span(pointer).start.offset),
        })
    }

    /// The chart unit of an object rendered from a chart with its defaults (no Application
    /// uses the chart): its directory. `None` for everything an Application deploys and for
    /// plain files.
    pub fn default_render_unit(&self) -> Option<&str> {
        self.rendered
            .as_ref()
            .filter(|r| r.app.is_none())
            .map(|r| r.chart_dir.as_str())
    }

    /// Whether two objects can refer to each other: objects Argo CD deploys meet in their
    /// namespaces as in the cluster, but a chart rendered with its defaults is a world of its
    /// own (its namespace and values are not real), so two unrelated charts never link.
    pub fn same_unit(&self, other: &Manifest) -> bool {
        self.default_render_unit() == other.default_render_unit()
    }

    /// Where the object's `kind:` line is, the anchor for findings about the whole object.
    pub fn locate_kind(&self) -> Location {
        self.locate("/kind")
    }

    /// `metadata.annotations[name]`, if set to a string.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        annotation(&self.obj, name)
    }
}

/// Reading an object's labels and annotations, whether it is held as JSON (a desired object, a
/// parsed live object) or as a live object's [`LiveHead`].
pub trait Annotated {
    /// `metadata.annotations[name]`, if set to a string.
    fn annotation(&self, name: &str) -> Option<&str>;
    /// `metadata.labels[name]`, if set to a string.
    fn label(&self, name: &str) -> Option<&str>;
}

impl Annotated for Value {
    fn annotation(&self, name: &str) -> Option<&str> {
        annotation(self, name)
    }

    fn label(&self, name: &str) -> Option<&str> {
        label(self, name)
    }
}

/// `metadata.annotations[name]` of a JSON object, if set to a string.
pub fn annotation<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("annotations")?.get(name)?.as_str()
}

/// `metadata.labels[name]` of a JSON object, if set to a string.
pub fn label<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    obj.get("metadata")?.get("labels")?.get(name)?.as_str()
}

/// `metadata.<field>` of a JSON object as a string, or "".
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Splits a comma list annotation the way Argo CD does (trimmed, empty items dropped).
pub fn csv(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::template_repo_path;

    #[test]
    fn template_paths_follow_subchart_directories() {
        let dirs = vec![
            (
                "web/charts/cache".to_string(),
                Some("charts/redis-17.0.0".to_string()),
            ),
            ("web/charts/db".to_string(), None),
            ("web".to_string(), Some(String::new())),
        ];
        let at = |name: &str| template_repo_path("charts/web", "web", &dirs, name);
        assert_eq!(at("web/templates/a.yaml"), "charts/web/templates/a.yaml");
        assert_eq!(
            at("web/charts/cache/templates/a.yaml"),
            "charts/web/charts/redis-17.0.0/templates/a.yaml"
        );
        // A chart from an archive keeps its path inside the chart.
        assert_eq!(
            at("web/charts/db/templates/a.yaml"),
            "charts/web/charts/db/templates/a.yaml"
        );
        // `web/charts/cache-extra` is not under `web/charts/cache`.
        assert_eq!(
            at("web/charts/cache-extra/templates/a.yaml"),
            "charts/web/charts/cache-extra/templates/a.yaml"
        );
        assert_eq!(template_repo_path(".", "web", &[], "web/x.yaml"), "x.yaml");
    }
}
