//! The clusters generator: one parameter set per cluster Secret that matches the selector,
//! plus the local `in-cluster` the controller adds when nothing selects and no Secret
//! declares it.

use std::collections::BTreeMap;

use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::Value;
use serde_json::Value as J;

use super::{append_values, values_of};
use crate::names::normalize;
use crate::params::{Origin, ParamSet};
use crate::{ClusterSecret, Cx, Failure};

/// The address of the local cluster.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// The label that makes a Secret a cluster Secret.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn cluster_params(c: &ClusterSecret, go: bool) -> Map {
    let mut p = Map::new();
    p.insert("name".into(), Value::from(c.name.as_str()));
    p.insert("nameNormalized".into(), Value::from(normalize(&c.name)));
    p.insert("server".into(), Value::from(c.server.as_str()));
    p.insert(
        "project".into(),
        Value::from(c.project.as_deref().unwrap_or("")),
    );
    if go {
        let mut meta = Map::new();
        if !c.annotations.is_empty() {
            meta.insert("annotations".into(), string_map(&c.annotations));
        }
        if !c.labels.is_empty() {
            meta.insert("labels".into(), string_map(&c.labels));
        }
        p.insert("metadata".into(), Value::map(meta));
    } else {
        for (k, v) in &c.annotations {
            p.insert(format!("metadata.annotations.{k}"), Value::from(v.as_str()));
        }
        for (k, v) in &c.labels {
            p.insert(format!("metadata.labels.{k}"), Value::from(v.as_str()));
        }
    }
    p
}

/// The clusters generator's parameter sets.
pub fn generate(gen: &J, pointer: &str, cx: &Cx) -> Result<Vec<ParamSet>, Failure> {
    let selector_json = gen.get("selector").filter(|s| !s.is_null());
    let ignore_local = !crate::selector::is_empty(selector_json);
    // The controller lists Secrets with the selector plus the secret-type label.
    let mut sel = selector_json
        .cloned()
        .unwrap_or_else(|| J::Object(serde_json::Map::new()));
    if let Some(obj) = sel.as_object_mut() {
        let labels = obj
            .entry("matchLabels")
            .or_insert_with(|| J::Object(serde_json::Map::new()));
        if !labels.is_object() {
            *labels = J::Object(serde_json::Map::new());
        }
        if let Some(l) = labels.as_object_mut() {
            l.insert(SECRET_TYPE_LABEL.into(), J::String("cluster".into()));
        }
    }
    let selector = crate::selector::parse(Some(&sel), true)
        .map_err(|e| {
            cx.error(
                &format!("{pointer}/selector"),
                format!("error getting cluster secrets: error converting label selector: {e}"),
            )
        })?
        .unwrap_or_default();
    // Keyed by the cluster's name: of two Secrets with one name, one wins.
    let mut by_name: BTreeMap<&str, &ClusterSecret> = BTreeMap::new();
    for c in cx.inputs.cluster_secrets() {
        if selector.matches(&c.labels) {
            by_name.insert(c.name.as_str(), c);
        }
    }
    let values = values_of(gen);
    let go = cx.render.go();
    let mut sets = Vec::new();
    for c in by_name.values() {
        cx.count(pointer, 1)?;
        let mut p = cluster_params(c, go);
        append_values(&values, &mut p, &cx.render).map_err(|e| {
            cx.error(
                pointer,
                format!("error appending templated values for cluster: {e}"),
            )
        })?;
        sets.push(ParamSet::new(p, Origin::Cluster(c.id.clone())));
    }
    if !ignore_local && !by_name.values().any(|c| c.server == IN_CLUSTER_SERVER) {
        let mut p = Map::new();
        p.insert("name".into(), Value::from("in-cluster"));
        p.insert("nameNormalized".into(), Value::from("in-cluster"));
        p.insert("server".into(), Value::from(IN_CLUSTER_SERVER));
        p.insert("project".into(), Value::from(""));
        append_values(&values, &mut p, &cx.render).map_err(|e| {
            cx.error(
                pointer,
                format!("error appending templated values for local cluster: {e}"),
            )
        })?;
        sets.push(ParamSet::new(p, Origin::InCluster));
    }
    if gen.get("flatList").and_then(J::as_bool).unwrap_or(false) {
        let origins = sets.iter().flat_map(|s| s.origins.clone()).collect();
        let list = sets.into_iter().map(|s| Value::map(s.values)).collect();
        let mut p = Map::new();
        p.insert("clusters".into(), Value::list(list));
        return Ok(vec![ParamSet { values: p, origins }]);
    }
    Ok(sets)
}
