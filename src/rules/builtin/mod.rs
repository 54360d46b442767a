//! The built-in rules, one module each. A module holds the check; its documentation (and the
//! metadata in the front matter) is `rules/<id>.md` at the repository root, embedded here.
//! Simple checks are data rules instead (`rules/<id>.yaml`, see [`crate::rules::data`]); the
//! catalog holds both.

use super::{Context, Finding, Rule, RuleMeta};

pub mod aggregated_clusterrole_rules;
pub mod api_version_removed;
pub mod app_project_violation;
pub mod appset_duplicate_application;
pub mod appset_git_generator_no_match;
pub mod appset_template_unsafe;
pub mod argocd_status_mismatch;
pub mod broken_source_path;
pub mod config_change_no_rollout;
pub mod configmap_sensitive_data;
pub mod container_dangerous_capabilities;
pub mod container_host_port;
pub mod container_privilege_escalation;
pub mod container_privileged;
pub mod container_probes_identical;
pub mod container_probes_missing;
pub mod container_resources_missing;
pub mod container_run_as_root;
pub mod crd_default_not_in_git;
pub mod cronjob_concurrency_allowed;
pub mod cronjob_starting_deadline_missing;
pub mod custom_resource_quantity_not_canonical;
pub mod custom_resource_schema;
pub mod drift;
pub mod drift_extraneous;
pub mod drift_missing;
pub mod drift_modified;
pub mod duplicate_application;
pub mod env_var_literal_credential;
pub mod floating_target_revision;
pub mod helm_hook_under_argocd;
pub mod helm_nondeterministic;
pub mod hpa_metrics_order;
pub mod hpa_replicas_not_ignored;
pub mod hpa_replicas_range;
pub mod ignore_differences_dead_or_broad;
pub mod ignore_differences_malformed;
pub mod ignore_differences_not_respected;
pub mod image_ref;
pub mod image_tag_mutable;
pub mod image_without_digest;
pub mod index;
pub mod ingress_backend_missing;
pub mod injected_sidecar_not_in_git;
pub mod invalid_manifest;
pub mod invalid_sync_annotation;
pub mod job_cleanup_missing;
pub mod pdb;
pub mod pdb_blocks_eviction;
pub mod pdb_missing;
pub mod permissive_app_project;
pub mod pod_default_service_account;
pub mod pod_host_namespace;
pub mod pod_host_path;
pub mod podspec;
pub mod prune_unprotected_stateful;
pub mod rbac;
pub mod rbac_cluster_admin_binding;
pub mod rbac_sensitive_access;
pub mod rbac_wildcard;
pub mod reference_missing;
pub mod resource_in_multiple_apps;
pub mod restarted_at_not_ignored;
pub mod rule_error;
pub mod scale_target_missing;
pub mod secret_in_env_var;
pub mod secret_managed_by_controller;
pub mod secret_plaintext_in_git;
pub mod server_fields_in_git;
pub mod service_selector_dangling;
pub mod source_not_analysed;
pub mod suppression_without_reason;
pub mod sync_window_invalid;
pub mod unknown_sync_option;
pub mod webhook_ca_bundle_not_ignored;
pub mod workload_selector_invalid;
pub mod workload_single_replica;

type CheckFn = fn(&RuleMeta, &Context<'_>, &mut Vec<Finding>);

struct Builtin {
    meta: RuleMeta,
    check: CheckFn,
}

impl Rule for Builtin {
    fn meta(&self) -> &RuleMeta {
        &self.meta
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Vec<Finding>) {
        (self.check)(&self.meta, ctx, out)
    }
}

macro_rules! docs {
    ($($module:ident => $id:literal),* $(,)?) => {
        /// `(doc path, doc text, check)` of every built-in rule.
        const BUILTINS: &[(&str, &str, CheckFn)] = &[
            $((
                concat!("rules/", $id, ".md"),
                include_str!(concat!("../../../rules/", $id, ".md")),
                $module::check as CheckFn,
            ),)*
        ];
    };
}

docs! {
    helm_nondeterministic => "helm-nondeterministic",
    argocd_status_mismatch => "argocd-status-mismatch",
    sync_window_invalid => "sync-window-invalid",
    aggregated_clusterrole_rules => "aggregated-clusterrole-rules",
    app_project_violation => "app-project-violation",
    appset_template_unsafe => "appset-template-unsafe",
    appset_duplicate_application => "appset-duplicate-application",
    appset_git_generator_no_match => "appset-git-generator-no-match",
    broken_source_path => "broken-source-path",
    source_not_analysed => "source-not-analysed",
    crd_default_not_in_git => "crd-default-not-in-git",
    drift_extraneous => "drift-extraneous",
    drift_missing => "drift-missing",
    drift_modified => "drift-modified",
    duplicate_application => "duplicate-application",
    floating_target_revision => "floating-target-revision",
    helm_hook_under_argocd => "helm-hook-under-argocd",
    hpa_metrics_order => "hpa-metrics-order",
    hpa_replicas_not_ignored => "hpa-replicas-not-ignored",
    ignore_differences_dead_or_broad => "ignore-differences-dead-or-broad",
    ignore_differences_malformed => "ignore-differences-malformed",
    ignore_differences_not_respected => "ignore-differences-not-respected",
    injected_sidecar_not_in_git => "injected-sidecar-not-in-git",
    invalid_manifest => "invalid-manifest",
    invalid_sync_annotation => "invalid-sync-annotation",
    permissive_app_project => "permissive-app-project",
    prune_unprotected_stateful => "prune-unprotected-stateful",
    resource_in_multiple_apps => "resource-in-multiple-apps",
    rule_error => "rule-error",
    restarted_at_not_ignored => "restarted-at-not-ignored",
    secret_managed_by_controller => "secret-managed-by-controller",
    secret_plaintext_in_git => "secret-plaintext-in-git",
    server_fields_in_git => "server-fields-in-git",
    suppression_without_reason => "suppression-without-reason",
    unknown_sync_option => "unknown-sync-option",
    webhook_ca_bundle_not_ignored => "webhook-ca-bundle-not-ignored",
    container_dangerous_capabilities => "container-dangerous-capabilities",
    container_host_port => "container-host-port",
    container_privilege_escalation => "container-privilege-escalation",
    container_privileged => "container-privileged",
    container_probes_identical => "container-probes-identical",
    container_probes_missing => "container-probes-missing",
    container_resources_missing => "container-resources-missing",
    container_run_as_root => "container-run-as-root",
    hpa_replicas_range => "hpa-replicas-range",
    image_tag_mutable => "image-tag-mutable",
    image_without_digest => "image-without-digest",
    pod_host_namespace => "pod-host-namespace",
    pod_host_path => "pod-host-path",
    workload_single_replica => "workload-single-replica",
    config_change_no_rollout => "config-change-no-rollout",
    custom_resource_quantity_not_canonical => "custom-resource-quantity-not-canonical",
    custom_resource_schema => "custom-resource-schema",
    reference_missing => "reference-missing",
    configmap_sensitive_data => "configmap-sensitive-data",
    api_version_removed => "api-version-removed",
    service_selector_dangling => "service-selector-dangling",
    scale_target_missing => "scale-target-missing",
    ingress_backend_missing => "ingress-backend-missing",
    pdb_missing => "pdb-missing",
    pdb_blocks_eviction => "pdb-blocks-eviction",
    workload_selector_invalid => "workload-selector-invalid",
    job_cleanup_missing => "job-cleanup-missing",
    cronjob_starting_deadline_missing => "cronjob-starting-deadline-missing",
    cronjob_concurrency_allowed => "cronjob-concurrency-allowed",
    rbac_wildcard => "rbac-wildcard",
    rbac_sensitive_access => "rbac-sensitive-access",
    rbac_cluster_admin_binding => "rbac-cluster-admin-binding",
    pod_default_service_account => "pod-default-service-account",
    env_var_literal_credential => "env-var-literal-credential",
    secret_in_env_var => "secret-in-env-var",
}

/// Every built-in rule (code and data rules), sorted by id.
///
/// The documents are part of the binary; a malformed one is a build defect caught by the unit
/// test below, so it is reported on stderr and skipped rather than aborting a scan.
pub fn catalog() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = Vec::new();
    for (path, text, check) in BUILTINS {
        match RuleMeta::parse(path, text) {
            Ok(meta) => rules.push(Box::new(Builtin {
                meta,
                check: *check,
            })),
            Err(e) => eprintln!("driftlens: internal error in built-in rule document {e}"),
        }
    }
    for r in super::data::builtin() {
        rules.push(Box::new(r));
    }
    rules.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_document_parses_and_matches_its_file_name() {
        for (path, text, _) in BUILTINS {
            let meta = RuleMeta::parse(path, text).expect("valid rule document");
            assert_eq!(*path, format!("rules/{}.md", meta.id));
            assert!(!meta.summary.is_empty());
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Example",
                "## Suppress",
            ] {
                assert!(meta.doc.contains(section), "{path} lacks `{section}`");
            }
        }
        assert_eq!(
            catalog().len(),
            BUILTINS.len() + super::super::data::builtin().len()
        );
    }
}
