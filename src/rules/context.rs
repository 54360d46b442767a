//! What rules see: the checkout, the optional live state, and indexes built once for all rules.

use std::collections::HashMap;

use serde_json::Value;

pub use crate::glob::{glob_match, glob_match_sep};

use crate::model::argocd::{normalize_source_path, Application, DirectoryFilter, IgnoreDifference};
use crate::model::cluster::Cluster;
use crate::model::key::{group_of, ObjectKey};
use crate::model::object::Manifest;
use crate::model::repo::Repo;
use crate::sources::SourceKind;

/// A workload targeted by an autoscaler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoscalerRef {
    /// Index of the HPA or ScaledObject manifest.
    pub manifest: usize,
    /// Index of the targeted workload manifest.
    pub target: usize,
}

/// Read-only input of every rule.
pub struct Context<'a> {
    /// The checkout.
    pub repo: &'a Repo,
    /// The live state, when dumps were given.
    pub cluster: Option<&'a Cluster>,
    /// Autoscalers by the index of the workload manifest they target.
    pub autoscalers: HashMap<usize, Vec<AutoscalerRef>>,
    /// Indexes into `repo.apps` of the Applications whose source path holds each manifest.
    pub deployers: HashMap<usize, Vec<usize>>,
    /// The cluster's Kubernetes version (`v1.31.4`), from `--kube-version` or a Node's
    /// `kubeletVersion` in the dump.
    pub kube_version: Option<String>,
    /// The predicted Argo CD state, when dumps were given.
    pub drift: Option<&'a crate::compare::app::DriftReport>,
    /// (group, kind) of the custom kinds whose CRD in the checkout says `scope: Cluster`, sorted.
    pub cluster_scoped_crds: Vec<(String, String)>,
    /// Each manifest as a jq value for the rules written as data, converted once, on first use,
    /// so that only the objects some data rule selects are converted.
    jq_values: Vec<std::sync::OnceLock<crate::jq::Jv>>,
    /// Objects of the checkout and of the dump by name, built on first use for all the
    /// reference rules.
    objects: std::sync::OnceLock<crate::rules::builtin::index::Index<'a>>,
    /// The drift results of each manifest, as (app, resource) indexes into `drift`.
    drift_by_manifest: std::sync::OnceLock<HashMap<usize, Vec<(usize, usize)>>>,
}

impl<'a> Context<'a> {
    /// Builds the indexes.
    pub fn new(repo: &'a Repo, cluster: Option<&'a Cluster>) -> Self {
        let autoscalers = index_autoscalers(repo);
        let deployers = index_deployers(repo);
        Context {
            repo,
            cluster,
            autoscalers,
            deployers,
            kube_version: None,
            drift: None,
            cluster_scoped_crds: index_cluster_scoped_crds(repo),
            jq_values: repo
                .manifests
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            objects: std::sync::OnceLock::new(),
            drift_by_manifest: std::sync::OnceLock::new(),
        }
    }

    /// The objects of the checkout and of the dump by name, indexed once for every rule that
    /// looks references up.
    pub fn objects(&self) -> &crate::rules::builtin::index::Index<'a> {
        self.objects
            .get_or_init(|| crate::rules::builtin::index::Index::new(self))
    }

    /// The manifest at `i` of `repo.manifests` as a jq value, its secret values masked (rules
    /// written as data come from the checkout). It is converted the first time a rule asks for
    /// it; values share their nodes, so cloning one is cheap.
    pub fn jq_value(&self, i: usize) -> &crate::jq::Jv {
        self.jq_values[i].get_or_init(|| {
            super::data::to_val(&crate::model::sensitive::masked(
                &self.repo.manifests[i].obj,
            ))
        })
    }

    /// The Applications that deploy a manifest.
    pub fn apps_of(&self, manifest: usize) -> impl Iterator<Item = &'a Application> + '_ {
        self.deployers
            .get(&manifest)
            .into_iter()
            .flatten()
            .map(|&i| &self.repo.apps[i].value)
    }

    /// Every ignore rule that applies to `key` for a manifest: the deploying Applications'
    /// `ignoreDifferences` and the system-level ones from `argocd-cm`.
    pub fn ignore_rules_for(&self, manifest: usize, key: &ObjectKey) -> Vec<IgnoreDifference> {
        let mut out: Vec<IgnoreDifference> = self
            .apps_of(manifest)
            .flat_map(|a| a.spec.ignore_differences.iter().cloned())
            .collect();
        out.extend(self.repo.settings.system_ignore_rules());
        out.retain(|r| ignore_rule_matches(r, key));
        out
    }
}

impl Context<'_> {
    /// Whether a kind is cluster-scoped: a built-in cluster-scoped kind, or a kind whose
    /// `CustomResourceDefinition` in the checkout says `scope: Cluster`. Unknown kinds are
    /// namespaced, as in Argo CD.
    pub fn is_cluster_scoped(&self, group: &str, kind: &str) -> bool {
        crate::model::key::is_builtin_cluster_scoped(group, kind)
            || self
                .cluster_scoped_crds
                .binary_search_by(|(g, k)| (g.as_str(), k.as_str()).cmp(&(group, kind)))
                .is_ok()
    }

    /// Whether every source of the Application at `ai` is a plain directory of this checkout
    /// (no chart, Kustomize, plugin or Helm options), so that the objects it deploys are known
    /// without rendering.
    pub fn app_sources_known(&self, ai: usize) -> bool {
        let sources = self.repo.apps[ai].value.spec.all_sources();
        !sources.is_empty()
            && sources.iter().all(|s| {
                let Some(path) = s.path.as_deref() else {
                    return false;
                };
                let dir = normalize_source_path(path);
                s.chart.is_none()
                    && s.plugin.is_none()
                    && s.kustomize.is_none()
                    && s.helm.is_none()
                    && !self.repo.units.iter().any(|u| {
                        u.dir == dir
                            || dir == "."
                            || u.dir.starts_with(&format!("{dir}/"))
                            || dir.starts_with(&format!("{}/", u.dir))
                    })
            })
    }

    /// The identity Argo CD gives a manifest deployed by `app`: namespaced kinds without a
    /// namespace get the destination namespace, cluster-scoped kinds lose theirs.
    pub fn effective_key(&self, m: &Manifest, app: &Application) -> ObjectKey {
        let mut key = m.key.clone();
        if self.is_cluster_scoped(&key.group, &key.kind) {
            key.namespace.clear();
        } else if key.namespace.is_empty() {
            key.namespace = app.spec.destination.namespace.clone();
        }
        key
    }
}

/// Helpers of the drift-aware rules that look at the live counterpart of a manifest.
impl<'a> Context<'a> {
    /// The drift results (Application, resource) that compare the manifest at `mi`.
    pub fn drift_results_of(
        &self,
        mi: usize,
    ) -> Vec<(
        &'a crate::compare::app::AppResult,
        &'a crate::compare::app::ResourceResult,
    )> {
        let Some(drift) = self.drift else {
            return Vec::new();
        };
        let by_manifest = self.drift_by_manifest.get_or_init(|| {
            let mut map: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
            for (ai, a) in drift.apps.iter().enumerate() {
                for (ri, r) in a.resources.iter().enumerate() {
                    if let Some(m) = r.manifest {
                        map.entry(m).or_default().push((ai, ri));
                    }
                }
            }
            map
        });
        by_manifest
            .get(&mi)
            .into_iter()
            .flatten()
            .map(|&(ai, ri)| (&drift.apps[ai], &drift.apps[ai].resources[ri]))
            .collect()
    }

    /// Whether the predicted diff of the manifest at `mi` reports a difference at `pointer`
    /// (of the live document), at one of its parents (a map Git lacks altogether) or inside it.
    pub fn drift_reports(&self, mi: usize, pointer: &str) -> bool {
        self.drift_results_of(mi).iter().any(|(_, r)| {
            r.diff.as_ref().is_some_and(|d| {
                d.differences.iter().any(|f| {
                    f.pointer == pointer
                        || pointer.starts_with(&format!("{}/", f.pointer))
                        || f.pointer.starts_with(&format!("{pointer}/"))
                })
            })
        })
    }

    /// The live counterpart of the manifest at `mi` in the dump: the object the drift report
    /// paired it with, else the object with its identity as a deploying Application would
    /// give it, else with its identity as written.
    pub fn live_of(&self, mi: usize) -> Option<&'a crate::model::object::LiveObject> {
        let cluster = self.cluster?;
        if let Some(i) = self
            .drift_results_of(mi)
            .into_iter()
            .find_map(|(_, r)| r.live)
        {
            return cluster.objects.get(i);
        }
        let m = &self.repo.manifests[mi];
        self.apps_of(mi)
            .map(|a| self.effective_key(m, a))
            .chain(std::iter::once(m.key.clone()))
            .find_map(|k| cluster.get(&k))
    }

    /// For each pointer of `obj` (the live object, or the Git object of the manifest at `mi`),
    /// whether the ignore rules that apply to the manifest remove it, evaluated with Argo CD's
    /// JSON pointer and jq semantics. `managedFieldsManagers` are not considered: they only
    /// remove values that differ on both sides.
    pub fn ignored_pointers(&self, mi: usize, obj: &Value, pointers: &[String]) -> Vec<bool> {
        let probe = self.without_ignored(mi, obj);
        pointers
            .iter()
            .map(|p| obj.pointer(p).is_some() && probe.pointer(p).is_none())
            .collect()
    }

    /// `obj` (the live object, or the Git object of the manifest at `mi`) with the JSON
    /// pointers and jq expressions of the ignore rules that apply to the manifest removed;
    /// `obj` itself when no rule applies.
    pub fn without_ignored<'v>(&self, mi: usize, obj: &'v Value) -> std::borrow::Cow<'v, Value> {
        use crate::compare::ignore::{apply_rules, CompiledIgnoreRule, IgnoreRule};
        let m = &self.repo.manifests[mi];
        let rules: Vec<CompiledIgnoreRule> = self
            .ignore_rules_for(mi, &m.key)
            .into_iter()
            .filter_map(|r| {
                CompiledIgnoreRule::compile(IgnoreRule {
                    group: r.group,
                    kind: r.kind,
                    name: r.name,
                    // The rule already matched the manifest; do not let the namespace of a
                    // Git object without one decide again.
                    namespace: String::new(),
                    json_pointers: r.json_pointers,
                    jq_path_expressions: r.jq_path_expressions,
                    managed_fields_managers: Vec::new(),
                })
                .ok()
            })
            .collect();
        if rules.is_empty() {
            return std::borrow::Cow::Borrowed(obj);
        }
        let mut probe = obj.clone();
        let _ = apply_rules(&mut probe, &rules, &crate::limits::Limits::JQ);
        std::borrow::Cow::Owned(probe)
    }

    /// Whether Argo CD compares the manifest at `mi` with server-side apply or server-side
    /// diff: `ServerSideApply=true` in a deploying Application's sync options or the object's
    /// sync-options annotation, or `ServerSideDiff=true` in the Application's compare-options.
    pub fn server_side_mode(&self, mi: usize) -> Option<&'static str> {
        let m = &self.repo.manifests[mi];
        let has = |v: Option<&str>, opt: &str| {
            v.is_some_and(|s| crate::model::object::csv(s).any(|o| o.trim() == opt))
        };
        if has(
            m.annotation("argocd.argoproj.io/sync-options"),
            "ServerSideApply=true",
        ) || self
            .apps_of(mi)
            .any(|a| a.spec.has_sync_option("ServerSideApply=true"))
        {
            return Some("ServerSideApply=true");
        }
        if self.apps_of(mi).any(|a| {
            has(
                a.metadata
                    .annotations
                    .get("argocd.argoproj.io/compare-options")
                    .map(String::as_str),
                "ServerSideDiff=true",
            )
        }) {
            return Some("ServerSideDiff=true");
        }
        None
    }

    /// Whether a deploying Application syncs with `Replace=true` (app sync option or the
    /// object's sync-options annotation).
    pub fn uses_replace(&self, mi: usize) -> bool {
        let m = &self.repo.manifests[mi];
        m.annotation("argocd.argoproj.io/sync-options")
            .is_some_and(|s| crate::model::object::csv(s).any(|o| o.trim() == "Replace=true"))
            || self
                .apps_of(mi)
                .any(|a| a.spec.has_sync_option("Replace=true"))
    }
}

fn index_cluster_scoped_crds(repo: &Repo) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = repo
        .manifests
        .iter()
        .filter(|m| {
            m.key.group == "apiextensions.k8s.io"
                && m.key.kind == "CustomResourceDefinition"
                && m.obj.pointer("/spec/scope").and_then(Value::as_str) == Some("Cluster")
        })
        .filter_map(|m| {
            let group = m.obj.pointer("/spec/group")?.as_str()?;
            let kind = m.obj.pointer("/spec/names/kind")?.as_str()?;
            Some((group.to_string(), kind.to_string()))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether an ignoreDifferences entry applies to an object (group and kind are globs, an empty
/// group matches only the core group; name and namespace are exact, empty = any).
pub fn ignore_rule_matches(rule: &IgnoreDifference, key: &ObjectKey) -> bool {
    glob_match(&rule.group, &key.group)
        && glob_match(&rule.kind, &key.kind)
        && (rule.name.is_empty() || rule.name == key.name)
        && (rule.namespace.is_empty()
            || key.namespace.is_empty()
            || rule.namespace == key.namespace)
}

fn is_workload(m: &Manifest) -> bool {
    m.key.group == "apps"
        && matches!(
            m.key.kind.as_str(),
            "Deployment" | "StatefulSet" | "ReplicaSet"
        )
}

/// The (kind, name, group) an autoscaler targets, if the manifest is one.
fn autoscaler_target(m: &Manifest) -> Option<(String, String, String)> {
    let target = |r: &Value, default_kind: &str| {
        let name = r.get("name")?.as_str()?.to_string();
        let kind = r
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or(default_kind)
            .to_string();
        let api = r
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("apps/v1");
        Some((kind, name, group_of(api).to_string()))
    };
    match (m.key.group.as_str(), m.key.kind.as_str()) {
        ("autoscaling", "HorizontalPodAutoscaler") => {
            target(m.obj.get("spec")?.get("scaleTargetRef")?, "")
        }
        ("keda.sh", "ScaledObject") => {
            target(m.obj.get("spec")?.get("scaleTargetRef")?, "Deployment")
        }
        _ => None,
    }
}

/// Whether a manifest is a HorizontalPodAutoscaler or a KEDA ScaledObject.
pub fn is_autoscaler(m: &Manifest) -> bool {
    matches!(
        (m.key.group.as_str(), m.key.kind.as_str()),
        ("autoscaling", "HorizontalPodAutoscaler") | ("keda.sh", "ScaledObject")
    )
}

fn index_autoscalers(repo: &Repo) -> HashMap<usize, Vec<AutoscalerRef>> {
    let mut by_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, m) in repo.manifests.iter().enumerate() {
        if is_workload(m) {
            by_name
                .entry((m.key.kind.as_str(), m.key.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut out: HashMap<usize, Vec<AutoscalerRef>> = HashMap::new();
    for (i, m) in repo.manifests.iter().enumerate() {
        let Some((kind, name, group)) = autoscaler_target(m) else {
            continue;
        };
        for &w in by_name
            .get(&(kind.as_str(), name.as_str()))
            .into_iter()
            .flatten()
        {
            let wm = &repo.manifests[w];
            let same_ns = wm.key.namespace == m.key.namespace
                || wm.key.namespace.is_empty()
                || m.key.namespace.is_empty();
            if same_ns && wm.key.group == group && wm.same_unit(m) {
                out.entry(w).or_default().push(AutoscalerRef {
                    manifest: i,
                    target: w,
                });
            }
        }
    }
    out
}

fn index_deployers(repo: &Repo) -> HashMap<usize, Vec<usize>> {
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    // Objects rendered from a chart belong to the Application they were rendered for.
    for (mi, m) in repo.manifests.iter().enumerate() {
        if let Some(app) = m.rendered.as_ref().and_then(|r| r.app) {
            out.entry(mi).or_default().push(app);
        }
    }
    for (ai, app) in repo.apps.iter().enumerate() {
        let specs = app.value.spec.all_sources();
        // The directories each source deploys, where the sources were resolved (a mapped
        // checkout's under its model path); else as written.
        let filters: Vec<DirectoryFilter> = match repo.sources_of(ai) {
            Some(resolved) => resolved
                .sources
                .iter()
                .filter(|s| {
                    !matches!(
                        s.kind,
                        SourceKind::HelmChart
                            | SourceKind::HelmRepository
                            | SourceKind::HelmOci
                            | SourceKind::Kustomize
                            | SourceKind::Ref
                    )
                })
                .filter_map(|s| {
                    let dir = s.place.as_ref()?.dir();
                    Some(DirectoryFilter::new(
                        dir,
                        specs.get(s.index).and_then(|x| x.directory.as_ref()),
                    ))
                })
                .collect(),
            None => specs
                .iter()
                .filter(|src| src.chart.is_none())
                .filter_map(|src| {
                    let path = src.path.as_deref()?;
                    Some(DirectoryFilter::new(
                        &normalize_source_path(path),
                        src.directory.as_ref(),
                    ))
                })
                .collect(),
        };
        for filter in filters {
            for (mi, m) in repo.manifests.iter().enumerate() {
                if m.rendered.is_none() && filter.contains(&m.file.path) {
                    let v = out.entry(mi).or_default();
                    if !v.contains(&ai) {
                        v.push(ai);
                    }
                }
            }
        }
    }
    out
}

/// Where an `ignoreDifferences` entry is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreOrigin {
    /// `spec.ignoreDifferences` of the Application at this index of `repo.apps`.
    App(usize),
    /// `spec.template.spec.ignoreDifferences` of the ApplicationSet at this index of
    /// `repo.appsets`.
    AppSetTemplate(usize),
    /// A `resource.customizations` key of `argocd-cm` (group and kind come from the key).
    Settings,
}

/// One `ignoreDifferences` entry as written in the checkout, with where it is.
#[derive(Debug, Clone)]
pub struct IgnoreSite {
    /// Where it comes from.
    pub origin: IgnoreOrigin,
    /// Index of the manifest that holds it.
    pub manifest: usize,
    /// JSON pointer of the entry in that manifest (for `argocd-cm`, of the `data` key, since
    /// the entry itself is inside a string).
    pub pointer: String,
    /// Whether `pointer` leads to the entry itself (then `jsonPointers/<i>` etc. can be
    /// appended) rather than to a string holding it.
    pub structured: bool,
    /// The entry.
    pub rule: IgnoreDifference,
}

/// Every `ignoreDifferences` entry of the checkout: Applications, ApplicationSet templates and
/// the `argocd-cm` resource customizations (without the implicit `/status` rule).
pub fn ignore_sites(repo: &Repo) -> Vec<IgnoreSite> {
    let mut out = Vec::new();
    let mut from_list = |origin: IgnoreOrigin, manifest: usize, base: &str| {
        let m = &repo.manifests[manifest];
        let Some(Value::Array(items)) = m.obj.pointer(base) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            if let Ok(rule) = crate::model::argocd::from_json::<IgnoreDifference>(item) {
                out.push(IgnoreSite {
                    origin,
                    manifest,
                    pointer: format!("{base}/{i}"),
                    structured: true,
                    rule,
                });
            }
        }
    };
    for (i, app) in repo.apps.iter().enumerate() {
        from_list(
            IgnoreOrigin::App(i),
            app.manifest,
            "/spec/ignoreDifferences",
        );
    }
    for (i, set) in repo.appsets.iter().enumerate() {
        from_list(
            IgnoreOrigin::AppSetTemplate(i),
            set.manifest,
            "/spec/template/spec/ignoreDifferences",
        );
    }
    if let Some(mi) = repo.settings_manifest {
        let m = &repo.manifests[mi];
        if let Some(Value::Object(data)) = m.obj.get("data") {
            for (key, value) in data {
                let is_ignore = key == "resource.customizations"
                    || key.starts_with("resource.customizations.ignoreDifferences.");
                let Some(text) = value.as_str().filter(|_| is_ignore) else {
                    continue;
                };
                // Parse this key alone, so that each rule is attributed to the key it is in.
                let one: std::collections::BTreeMap<String, String> =
                    [(key.clone(), text.to_string())].into_iter().collect();
                let settings = crate::model::settings::ArgoSettings::from_config_map_data(&one);
                for (okey, o) in &settings.overrides {
                    let Some(ig) = &o.ignore_differences else {
                        continue;
                    };
                    let (group, kind) = crate::model::settings::override_key_group_kind(okey);
                    out.push(IgnoreSite {
                        origin: IgnoreOrigin::Settings,
                        manifest: mi,
                        pointer: format!("/data/{}", crate::load::yaml::escape_pointer_token(key)),
                        structured: false,
                        rule: IgnoreDifference {
                            group: group.to_string(),
                            kind: kind.to_string(),
                            json_pointers: ig.json_pointers.clone(),
                            jq_path_expressions: ig.jq_path_expressions.clone(),
                            managed_fields_managers: ig.managed_fields_managers.clone(),
                            ..Default::default()
                        },
                    });
                }
            }
        }
    }
    out
}
