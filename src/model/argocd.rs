//! Typed Argo CD resources: `Application`, `ApplicationSet`, `AppProject` and the settings held
//! in the `argocd-cm` ConfigMap, with every field the drift engine and the rules need.
//!
//! Field names follow the Argo CD CRDs (`pkg/apis/application/v1alpha1/types.go`). Parsing
//! is lenient where Argo CD is (unknown fields are ignored) and reports the exact JSON path of
//! a value of the wrong type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Deserializes `T` from a JSON value, naming the path of the first wrong field. A `null`
/// field is read as absent, as Go's JSON decoding leaves the zero value (`destination.server:
/// null` is `""`, not an error).
pub fn from_json<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
    fn without_nulls(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), without_nulls(x)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
            x => x.clone(),
        }
    }
    let v = &without_nulls(v);
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        format!("{} (at `{}`)", e.into_inner(), path)
    })
}

/// `metadata` as the models need it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
}

/// An Argo CD `Application`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Application {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ApplicationSpec,
}

/// `Application.spec`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The AppProject name (`default` when empty).
    pub project: String,
    /// Single source.
    pub source: Option<ApplicationSource>,
    /// Multiple sources (take precedence over `source` when non-empty).
    pub sources: Vec<ApplicationSource>,
    /// Where to deploy.
    pub destination: Destination,
    /// Sync policy.
    pub sync_policy: Option<SyncPolicy>,
    /// Differences to ignore.
    pub ignore_differences: Vec<IgnoreDifference>,
    /// How many history entries to keep.
    pub revision_history_limit: Option<i64>,
}

impl ApplicationSpec {
    /// The effective sources: `sources` when given, else `source`.
    pub fn all_sources(&self) -> Vec<&ApplicationSource> {
        if !self.sources.is_empty() {
            self.sources.iter().collect()
        } else {
            self.source.iter().collect()
        }
    }

    /// The sync options of the app (`spec.syncPolicy.syncOptions`).
    pub fn sync_options(&self) -> &[String] {
        self.sync_policy
            .as_ref()
            .map_or(&[][..], |p| p.sync_options.as_slice())
    }

    /// Whether a sync option is set exactly (Argo CD matches options as exact strings).
    pub fn has_sync_option(&self, opt: &str) -> bool {
        self.sync_options().iter().any(|o| o == opt)
    }

    /// The automated policy, when enabled.
    pub fn automated(&self) -> Option<&Automated> {
        self.sync_policy
            .as_ref()?
            .automated
            .as_ref()
            .filter(|a| a.enabled.unwrap_or(true))
    }
}

/// `spec.source` / `spec.sources[]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSource {
    /// Repository URL (Git or Helm repository).
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Path in a Git repository.
    pub path: Option<String>,
    /// Revision (branch, tag, commit, or chart version).
    pub target_revision: String,
    /// Helm chart name (for Helm repositories).
    pub chart: Option<String>,
    /// Reference name for multi-source `$ref/...` value files.
    #[serde(rename = "ref")]
    pub ref_: Option<String>,
    /// Helm options.
    pub helm: Option<HelmSource>,
    /// Kustomize options (kept raw).
    pub kustomize: Option<Value>,
    /// Directory options.
    pub directory: Option<DirectorySource>,
    /// Config management plugin (kept raw).
    pub plugin: Option<Value>,
    /// Source name (multi-source).
    pub name: Option<String>,
}

/// `source.helm`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HelmSource {
    /// Value files, relative to the chart path.
    pub value_files: Vec<String>,
    /// Inline values as a YAML string.
    pub values: Option<String>,
    /// Inline values as an object (wins over `values`).
    pub values_object: Option<Value>,
    /// `--set` / `--set-string` parameters.
    pub parameters: Vec<HelmParameter>,
    /// `--set-file` parameters.
    pub file_parameters: Vec<HelmFileParameter>,
    /// Release name (defaults to the app name).
    pub release_name: Option<String>,
    /// Namespace passed to helm (defaults to the destination namespace).
    pub namespace: Option<String>,
    /// Do not pass `--include-crds`.
    pub skip_crds: bool,
    /// Skip value files that do not exist.
    pub ignore_missing_value_files: bool,
    /// Pass credentials to all domains.
    pub pass_credentials: bool,
    /// Kubernetes version for `.Capabilities`.
    pub kube_version: Option<String>,
    /// API versions for `.Capabilities`.
    pub api_versions: Vec<String>,
    /// Helm version (`v3`).
    pub version: Option<String>,
    /// Skip `values.schema.json` validation.
    pub skip_schema_validation: bool,
    /// Skip test hooks.
    pub skip_tests: bool,
}

/// One `source.helm.parameters[]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HelmParameter {
    /// Dotted values path.
    pub name: String,
    /// Value.
    pub value: String,
    /// `--set-string` instead of `--set`.
    pub force_string: bool,
}

/// One `source.helm.fileParameters[]` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HelmFileParameter {
    /// Dotted values path.
    pub name: String,
    /// File path.
    pub path: String,
}

/// `source.directory`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DirectorySource {
    /// Descend into sub-directories.
    pub recurse: bool,
    /// Glob (or `{a,b}` list) of files to include.
    pub include: String,
    /// Glob (or `{a,b}` list) of files to exclude.
    pub exclude: String,
    /// Jsonnet options (kept raw).
    pub jsonnet: Option<Value>,
}

/// `spec.destination`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Destination {
    /// API server URL.
    pub server: String,
    /// Cluster name.
    pub name: String,
    /// Namespace for namespaced objects without one.
    pub namespace: String,
}

/// `spec.syncPolicy`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Automated sync.
    pub automated: Option<Automated>,
    /// Sync options (`Key=value` strings, matched exactly).
    pub sync_options: Vec<String>,
    /// Retry strategy (kept raw).
    pub retry: Option<Value>,
    /// Namespace metadata for `CreateNamespace=true` (kept raw).
    pub managed_namespace_metadata: Option<Value>,
}

/// `spec.syncPolicy.automated`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Automated {
    /// Prune resources that are no longer in Git.
    pub prune: bool,
    /// Re-sync when the live state drifts.
    pub self_heal: bool,
    /// Allow syncing to an empty set of resources.
    pub allow_empty: bool,
    /// `enabled: false` switches automation off (nil means enabled).
    pub enabled: Option<bool>,
}

/// One `ignoreDifferences` entry (Application level, or system level with group/kind filled
/// from the override key).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct IgnoreDifference {
    /// Group glob (empty = core group only).
    pub group: String,
    /// Kind glob.
    pub kind: String,
    /// Exact name, empty = any.
    pub name: String,
    /// Exact namespace, empty = any.
    pub namespace: String,
    /// RFC 6901 pointers to remove.
    pub json_pointers: Vec<String>,
    /// jq path expressions to delete.
    pub jq_path_expressions: Vec<String>,
    /// Managers whose differing fields are ignored.
    pub managed_fields_managers: Vec<String>,
}

/// An Argo CD `AppProject`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AppProject {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: AppProjectSpec,
}

/// `AppProject.spec`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppProjectSpec {
    /// Allowed source repositories (globs).
    pub source_repos: Vec<String>,
    /// Allowed destinations.
    pub destinations: Vec<Destination>,
    /// Cluster-scoped kinds allowed.
    pub cluster_resource_whitelist: Vec<GroupKind>,
    /// Cluster-scoped kinds denied.
    pub cluster_resource_blacklist: Vec<GroupKind>,
    /// Namespaced kinds allowed (empty = all).
    pub namespace_resource_whitelist: Vec<GroupKind>,
    /// Namespaced kinds denied.
    pub namespace_resource_blacklist: Vec<GroupKind>,
    /// Sync windows.
    pub sync_windows: Vec<SyncWindow>,
    /// Namespaces Applications of this project may live in.
    pub source_namespaces: Vec<String>,
    /// Orphaned resource monitoring (kept raw).
    pub orphaned_resources: Option<Value>,
}

/// A group/kind pair of a project allow or deny list.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct GroupKind {
    /// Group glob.
    pub group: String,
    /// Kind glob.
    pub kind: String,
}

/// An AppProject sync window (evaluated by [`crate::compare::syncwindow`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct SyncWindow {
    /// `allow` or `deny`.
    pub kind: String,
    /// 5-field cron schedule.
    pub schedule: String,
    /// Go duration.
    pub duration: String,
    /// Application name globs.
    pub applications: Vec<String>,
    /// Namespace globs.
    pub namespaces: Vec<String>,
    /// Cluster globs.
    pub clusters: Vec<String>,
    /// Manual syncs allowed while the window blocks automated ones.
    pub manual_sync: bool,
    /// IANA time zone.
    pub time_zone: String,
    /// Every set selector must match (instead of any).
    pub and_operator: bool,
    /// Free text.
    pub description: String,
    /// Let a running sync continue past the window's end.
    pub sync_overrun: bool,
}

/// An Argo CD `ApplicationSet` (the parts driftlens reads).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ApplicationSet {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: ApplicationSetSpec,
}

/// `ApplicationSet.spec`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApplicationSetSpec {
    /// Generators (kept raw).
    pub generators: Vec<Value>,
    /// Whether the template uses Go templates.
    pub go_template: bool,
    /// Go template options such as `missingkey=error`.
    pub go_template_options: Vec<String>,
    /// The Application template (kept raw: it holds template expressions).
    pub template: Value,
    /// Sync policy of the set (kept raw).
    pub sync_policy: Option<Value>,
}

/// Normalizes an Application source path to the `/`-separated form of [`crate::model::object::Manifest`] paths
/// (`.` for the root).
pub fn normalize_source_path(p: &str) -> String {
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Whether the file at `file_path` is part of a directory source at `dir` (recursively or not).
pub fn file_in_source(file_path: &str, dir: &str, recurse: bool) -> bool {
    let rel = if dir == "." {
        Some(file_path)
    } else {
        file_path
            .strip_prefix(dir)
            .and_then(|r| r.strip_prefix('/'))
    };
    match rel {
        Some(r) => recurse || !r.contains('/'),
        None => false,
    }
}

/// Which files of the checkout a plain directory source deploys, as Argo CD's repo server
/// selects them: the files under the source path (in sub-directories too with `recurse`), then
/// only those `include` matches when it is set, minus those `exclude` matches. Both patterns
/// are globs (or `{a,b}` lists of globs) over the path relative to the source path, where `*`
/// also crosses `/`; a pattern that does not compile matches nothing.
#[derive(Debug, Clone)]
pub struct DirectoryFilter {
    dir: String,
    recurse: bool,
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
}

impl DirectoryFilter {
    /// The filter of a source at `dir` (normalized, `.` for the root) with its `directory`
    /// options.
    pub fn new(dir: &str, directory: Option<&DirectorySource>) -> Self {
        let (recurse, include, exclude) = match directory {
            Some(d) => (d.recurse, glob_list(&d.include), glob_list(&d.exclude)),
            None => (false, None, None),
        };
        DirectoryFilter {
            dir: dir.to_string(),
            recurse,
            include,
            exclude,
        }
    }

    /// A filter taking every file under `dir`, recursively (a rendered chart's output, or the
    /// whole checkout).
    pub fn everything_under(dir: &str) -> Self {
        DirectoryFilter {
            dir: dir.to_string(),
            recurse: true,
            include: None,
            exclude: None,
        }
    }

    /// The source path.
    pub fn dir(&self) -> &str {
        &self.dir
    }

    /// Whether the file at `path` (relative to the checkout) is deployed by the source.
    pub fn contains(&self, path: &str) -> bool {
        if !file_in_source(path, &self.dir, self.recurse) {
            return false;
        }
        let rel = if self.dir == "." {
            path
        } else {
            path.strip_prefix(self.dir.as_str())
                .map_or(path, |r| r.trim_start_matches('/'))
        };
        self.include.as_ref().is_none_or(|g| g.is_match(rel))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(rel))
    }
}

/// Compiles `include`/`exclude`: empty means no filter; `{a,b}` is a list of globs.
fn glob_list(pattern: &str) -> Option<globset::GlobSet> {
    let p = pattern.trim();
    if p.is_empty() {
        return None;
    }
    let pats: Vec<&str> = match p.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
        Some(list) => list.split(',').map(str::trim).collect(),
        None => vec![p],
    };
    let mut set = globset::GlobSetBuilder::new();
    for pat in pats {
        if let Ok(g) = globset::Glob::new(pat) {
            set.add(g);
        }
    }
    // An empty set matches nothing, as a pattern that does not compile does.
    set.build()
        .ok()
        .or_else(|| globset::GlobSet::builder().build().ok())
}

#[cfg(test)]
mod source_tests {
    use super::*;

    #[test]
    fn source_paths() {
        assert_eq!(normalize_source_path("./apps/web/"), "apps/web");
        assert_eq!(normalize_source_path("."), ".");
        assert!(file_in_source("apps/web/d.yaml", "apps/web", false));
        assert!(!file_in_source("apps/web/sub/d.yaml", "apps/web", false));
        assert!(file_in_source("apps/web/sub/d.yaml", "apps/web", true));
        assert!(!file_in_source("apps/webx/d.yaml", "apps/web", true));
        assert!(file_in_source("d.yaml", ".", false));
    }

    fn dir(recurse: bool, include: &str, exclude: &str) -> DirectorySource {
        DirectorySource {
            recurse,
            include: include.into(),
            exclude: exclude.into(),
            jsonnet: None,
        }
    }

    #[test]
    fn include_and_exclude_match_the_path_relative_to_the_source() {
        let prod = DirectoryFilter::new("apps", Some(&dir(true, "*/prod/*", "")));
        assert!(prod.contains("apps/catalog/prod/svc/deployment.yaml"));
        assert!(!prod.contains("apps/catalog/dev/svc/deployment.yaml"));
        assert!(!prod.contains("apps/catalog/staging/svc/deployment.yaml"));
        assert!(!prod.contains("other/catalog/prod/svc/deployment.yaml"));

        let list = DirectoryFilter::new("k8s", Some(&dir(false, "{*.yaml, *.json}", "secret*")));
        assert!(list.contains("k8s/deploy.yaml"));
        assert!(list.contains("k8s/deploy.json"));
        assert!(!list.contains("k8s/deploy.yml"));
        assert!(!list.contains("k8s/secret.yaml"));
        assert!(!list.contains("k8s/sub/deploy.yaml"), "not recursive");

        let root = DirectoryFilter::new(".", Some(&dir(true, "", "{vendor/*}")));
        assert!(root.contains("a/b.yaml"));
        assert!(!root.contains("vendor/x.yaml"));

        // A pattern that does not compile matches nothing.
        let broken = DirectoryFilter::new("k8s", Some(&dir(false, "[", "")));
        assert!(!broken.contains("k8s/deploy.yaml"));
        let everything = DirectoryFilter::everything_under("charts/web");
        assert!(everything.contains("charts/web/templates/a.yaml"));
    }
}
