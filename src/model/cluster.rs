//! The live state: every object of the cluster dumps, indexed by identity.

use std::collections::HashMap;

use super::key::ObjectKey;
use super::object::LiveObject;

/// All live objects given with `--cluster`.
#[derive(Debug, Default)]
pub struct Cluster {
    /// The objects, sorted by key (then by source) for deterministic iteration.
    pub objects: Vec<LiveObject>,
    /// The dump files the objects come from, as given on the command line.
    pub sources: Vec<String>,
    index: HashMap<ObjectKey, usize>,
}

impl Cluster {
    /// Builds the index. When two dumps hold the same object, the one read last wins.
    pub fn new(mut objects: Vec<LiveObject>, sources: Vec<String>) -> Self {
        objects.sort_by(|a, b| a.key.cmp(&b.key).then(a.source.cmp(&b.source)));
        // Keep only the last occurrence of each key.
        let mut dedup: Vec<LiveObject> = Vec::with_capacity(objects.len());
        for o in objects {
            match dedup.last_mut() {
                Some(last) if last.key == o.key => *last = o,
                _ => dedup.push(o),
            }
        }
        let index = dedup
            .iter()
            .enumerate()
            .map(|(i, o)| (o.key.clone(), i))
            .collect();
        Cluster {
            objects: dedup,
            sources,
            index,
        }
    }

    /// The live object with this identity.
    pub fn get(&self, key: &ObjectKey) -> Option<&LiveObject> {
        self.index.get(key).map(|&i| &self.objects[i])
    }

    /// The position of the live object with this identity in [`Cluster::objects`].
    pub fn index_of(&self, key: &ObjectKey) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// The Kubernetes version of the cluster: the highest `status.nodeInfo.kubeletVersion` of
    /// the Nodes in the dump (control planes are upgraded first, so kubelets lag behind).
    pub fn kube_version(&self) -> Option<String> {
        self.objects
            .iter()
            .filter(|o| o.key.group.is_empty() && o.key.kind == "Node")
            .filter_map(|o| o.obj().pointer("/status/nodeInfo/kubeletVersion")?.as_str())
            .max_by_key(|v| version_tuple(v))
            .map(str::to_string)
    }

    /// Whether no object was loaded.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

/// `v1.31.4-eks-123` → (1, 31, 4), for ordering versions.
pub fn version_tuple(v: &str) -> (u64, u64, u64) {
    let core = v.trim_start_matches('v');
    let mut parts = core
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}
