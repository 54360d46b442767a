//! Typed Argo CD resources: `Application`, `ApplicationSet`, `AppProject` and the settings held
//! in the `argocd-cm` ConfigMap, with every field the drift engine and the rules need.
//!
//! Field names follow the Argo CD CRDs (`pkg/apis/application/v1alpha1/types.go`). Parsing
//! is lenient where Argo CD is (unknown fields are ignored) and reports the exact JSON path of
//! a value of the wrong type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Deserializes `T` from a JSON value, naming the path of the first wrong field.
pub fn from_json<T: for<'de> Deserialize<'de>>(v: &Value) -> Result<T, String> {
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
