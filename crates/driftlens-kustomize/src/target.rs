//! The build itself (`target.KustTarget` and `accumulator.ResAccumulator`): for each
//! kustomization, resources, configurations, CRDs, generators, components, the built-in
//! transformers in kustomize's fixed order, `transformers:`, validators and vars; then, at the
//! top, hash suffixes, name references, vars, `local-config` removal, sorting and cleanup.

use std::collections::BTreeMap;

use crate::builtins;
use crate::config::TransformerConfig;
use crate::error::{Error, Result};
use crate::fs::{self, FileSystem};
use crate::loader::{Loader, Remote};
use crate::openapi::Schema;
use crate::resmap::ResMap;
use crate::resource::{ResId, Resource};
use crate::types::{Kustomization, Var};
use crate::yaml::node::{Loc, Node};
use crate::{BuildOptions, HelmRenderer, Limits};

/// The schema strategic-merge patches use (kyaml's global `openapi` state).
pub enum SchemaChoice {
    /// Built-in Kubernetes 1.21.2.
    Builtin,
    /// A custom schema file.
    Custom(Box<Schema>),
}

/// Build-wide state.
pub struct Build<'a> {
    /// Files.
    pub fs: &'a dyn FileSystem,
    /// Options.
    pub opts: &'a BuildOptions,
    /// Remote mapping.
    pub remote: Option<&'a dyn Remote>,
    /// Helm renderer.
    pub helm: Option<&'a dyn HelmRenderer>,
    /// File table: index 1.. (0 = generated).
    pub files: Vec<String>,
    /// Index of each file of the table.
    file_ids: std::collections::HashMap<String, u32>,
    /// The budget's accounting.
    meter: driftlens_sandbox::Meter,
    /// Bytes read so far.
    pub bytes_read: u64,
    /// Work done so far (node operations, roughly).
    pub work: u64,
    /// Warnings kustomize would print to stderr.
    pub warnings: Vec<String>,
    /// Whether a schema was chosen already (kyaml: "schema is set").
    pub schema_set: bool,
    /// The schema patches merge with.
    pub schema: SchemaChoice,
    /// A resource of a kind outside kyaml's precomputed scope table was read (kyaml then also
    /// loads the built-in schema when a custom one comes later).
    pub saw_unknown_kind: bool,
}

/// A budget error worded for a build.
fn budget_error(e: driftlens_sandbox::Exceeded) -> Error {
    Error::budget(format!(
        "the build was stopped: {e} (patch or reference cycles, or an enormous input?)"
    ))
}

/// A loaded kustomization (`KustTarget`).
pub struct Target {
    /// The kustomization.
    pub k: Kustomization,
    /// `kustomization.yaml` / `kustomization.yml` / `Kustomization`.
    pub file_name: String,
    /// File index of the kustomization file.
    pub file: u32,
    /// Parsed kustomization text (for locations).
    pub node: Option<Node>,
    /// The loader at its root.
    pub ldr: Loader,
    /// Origin tracking (`buildMetadata` set at the top).
    pub origin: Option<Origin>,
}

/// `resource.Origin`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Origin {
    /// Path of the file, relative to the build root.
    pub path: String,
    /// Remote repository.
    pub repo: String,
    /// Remote ref.
    pub git_ref: String,
    /// Kustomization that configured a generator/transformer.
    pub configured_in: String,
    /// (apiVersion, kind, name, namespace) of the configuring plugin.
    pub configured_by: Option<(String, String, String, String)>,
}

impl Origin {
    /// `Origin.Append`.
    pub fn append(&self, path: &str) -> Origin {
        let mut o = self.clone();
        if let Some(spec) = crate::loader::parse_repo_spec(path) {
            o.repo = spec.clone_spec();
            o.path = spec.sub_path.clone();
            o.git_ref = spec.git_ref;
            return o;
        }
        o.path = fs::join(&o.path, path);
        o
    }

    /// Reads an origin annotation's YAML.
    pub fn from_yaml(text: &str) -> Origin {
        let mut o = Origin::default();
        let Ok(Some(n)) = crate::yaml::parse::parse_single_document(text) else {
            return o;
        };
        let get = |k: &str| {
            n.field(k)
                .map(|v| v.value().to_string())
                .unwrap_or_default()
        };
        o.path = get("path");
        o.repo = get("repo");
        o.git_ref = get("ref");
        o.configured_in = get("configuredIn");
        if let Some(c) = n.field("configuredBy") {
            let g = |k: &str| {
                c.field(k)
                    .map(|v| v.value().to_string())
                    .unwrap_or_default()
            };
            o.configured_by = Some((g("apiVersion"), g("kind"), g("name"), g("namespace")));
        }
        o
    }

    /// kyaml `Marshal` of the origin (block YAML).
    pub fn to_yaml(&self) -> String {
        let mut s = String::new();
        let line = |s: &mut String, k: &str, v: &str, ind: &str| {
            if !v.is_empty() {
                s.push_str(&format!("{ind}{k}: {}\n", crate::builtins::v3_scalar(v)));
            }
        };
        line(&mut s, "path", &self.path, "");
        line(&mut s, "repo", &self.repo, "");
        line(&mut s, "ref", &self.git_ref, "");
        line(&mut s, "configuredIn", &self.configured_in, "");
        if let Some((av, k, n, ns)) = &self.configured_by {
            s.push_str("configuredBy:\n");
            line(&mut s, "apiVersion", av, "  ");
            line(&mut s, "kind", k, "  ");
            line(&mut s, "name", n, "  ");
            line(&mut s, "namespace", ns, "  ");
        }
        s
    }
}

/// `ResAccumulator`.
#[derive(Default)]
pub struct Accumulator {
    /// Resources.
    pub resmap: ResMap,
    /// Transformer configuration.
    pub tconfig: TransformerConfig,
    /// Vars by name.
    pub vars: BTreeMap<String, Var>,
}

impl Accumulator {
    fn merge_config(&mut self, c: &TransformerConfig) -> std::result::Result<(), String> {
        self.tconfig = self.tconfig.merge(c)?;
        Ok(())
    }

    fn merge_accumulator(&mut self, other: Accumulator) -> Result<()> {
        self.resmap.append_all(other.resmap.into_list())?;
        self.merge_config(&other.tconfig).map_err(Error::new)?;
        for (name, v) in other.vars {
            if self.vars.contains_key(&name) {
                return Err(Error::new(format!("var '{name}' already encountered")));
            }
            self.vars.insert(name, v);
        }
        Ok(())
    }
}

const KUST_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

impl<'a> Build<'a> {
    /// A build over a file system.
    pub fn new(
        fs: &'a dyn FileSystem,
        opts: &'a BuildOptions,
        remote: Option<&'a dyn Remote>,
        helm: Option<&'a dyn HelmRenderer>,
    ) -> Build<'a> {
        Build {
            fs,
            opts,
            remote,
            helm,
            files: vec![String::new()],
            file_ids: std::collections::HashMap::new(),
            meter: driftlens_sandbox::Meter::new(opts.limits.budget),
            bytes_read: 0,
            work: 0,
            warnings: Vec::new(),
            schema_set: false,
            schema: SchemaChoice::Builtin,
            saw_unknown_kind: false,
        }
    }

    /// Limits.
    pub fn limits(&self) -> &Limits {
        &self.opts.limits
    }

    /// Registers a file; returns its index.
    pub fn file_index(&mut self, path: &str) -> u32 {
        if let Some(i) = self.file_ids.get(path) {
            return *i;
        }
        let i = self.files.len() as u32;
        self.files.push(path.to_string());
        self.file_ids.insert(path.to_string(), i);
        i
    }

    /// Charges work against the budget (steps, and the clock).
    pub fn charge(&mut self, n: u64) -> Result<()> {
        self.work = self.work.saturating_add(n);
        self.meter.step(n).map_err(budget_error)
    }

    /// Reads a file through a loader, counting its bytes against the budget.
    pub fn load(&mut self, ldr: &Loader, path: &str) -> Result<(Vec<u8>, String)> {
        let limit = self.opts.limits.max_file_bytes;
        let (b, real) = ldr.load(self.fs, path, limit, self.remote)?;
        self.bytes_read += b.len() as u64;
        self.meter.alloc(b.len()).map_err(budget_error)?;
        Ok((b, real))
    }

    /// `LoadKustFile` + `KustTarget.Load`.
    pub fn load_target(&mut self, ldr: Loader) -> Result<Target> {
        let mut found: Vec<(String, Vec<u8>, String)> = Vec::new();
        for name in KUST_FILES {
            if let Ok((b, real)) = self.load(&ldr, name) {
                found.push((name.to_string(), b, real));
            }
        }
        let (file_name, bytes, real) = match found.len() {
            0 => {
                return Err(Error::new(format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or \
                     'Kustomization' in directory '{}'",
                    ldr.root
                )))
            }
            1 => found.remove(0),
            _ => {
                return Err(Error::new(format!(
                    "Found multiple kustomization files under: {}\n",
                    ldr.root
                )))
            }
        };
        let file = self.file_index(&real);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let k = match Kustomization::parse(&text, &ldr.root) {
            Ok(k) => k,
            Err(e) => {
                return Err(Error::new(e.0).at_if_unset(&real, 0));
            }
        };
        self.warnings.extend(k.deprecation_warnings());
        let node = crate::yaml::parse::parse_first(
            &text,
            crate::yaml::parse::ReadOptions {
                version: crate::yaml::resolve::Version::V2,
                file,
            },
            0,
        )
        .ok()
        .flatten();
        Ok(Target {
            k,
            file_name,
            file,
            node,
            ldr,
            origin: None,
        })
    }

    /// `SetSchema` for a kustomization's `openapi:` (top-level resets; otherwise only the
    /// first one wins).
    pub fn set_schema(&mut self, t: &Target, reset: bool) -> Result<()> {
        let version = t.k.openapi.get("version");
        // kustomize reads the schema file before deciding whether it is used.
        let loaded = match t.k.openapi.get("path") {
            Some(p) => Some(self.load(&t.ldr, p)?),
            None => None,
        };
        if self.schema_set && !reset {
            return Ok(());
        }
        if let Some((b, real)) = loaded {
            if version.is_some() {
                return Err(Error::new(
                    "builtin version and custom schema provided, cannot use both",
                ));
            }
            let file = self.file_index(&real);
            let text = String::from_utf8_lossy(&b);
            let doc = crate::yaml::parse::parse_first(
                &text,
                crate::yaml::parse::ReadOptions {
                    version: crate::yaml::resolve::Version::V2,
                    file,
                },
                0,
            )
            .map_err(|e| Error::new(format!("invalid schema file: {}", e.message)))?
            .unwrap_or_else(Node::map);
            let mut s = Schema::from_document(&doc).map_err(Error::new)?;
            if self.saw_unknown_kind && !reset {
                s = s.with_builtin();
            }
            self.schema = SchemaChoice::Custom(Box::new(s));
            self.schema_set = true;
            return Ok(());
        }
        match version {
            Some(v) if !v.is_empty() => {
                if v != "v1.21.2" {
                    return Err(Error::new("the specified OpenAPI version is not built in"));
                }
                self.schema = SchemaChoice::Builtin;
                self.schema_set = true;
            }
            _ => {
                if reset {
                    self.schema = SchemaChoice::Builtin;
                    self.schema_set = false;
                }
            }
        }
        Ok(())
    }

    /// The schema in effect.
    pub fn schema(&self) -> &Schema {
        match &self.schema {
            SchemaChoice::Builtin => Schema::builtin(),
            SchemaChoice::Custom(s) => s,
        }
    }

    /// `KustTarget.makeCustomizedResMap` for the top-level target.
    pub fn run_top(&mut self, mut kt: Target) -> Result<ResMap> {
        if !kt.k.build_metadata.is_empty() {
            kt.origin = Some(Origin::default());
        }
        let mut ra = self.accumulate_target(&mut kt, Accumulator::default())?;
        builtins::hash::add_hashes(self, &mut ra.resmap)?;
        builtins::nameref::fix_back_references(self, &mut ra)?;
        builtins::refvar::resolve_vars(self, &mut ra)?;
        ignore_local(&mut ra.resmap)?;
        Ok(ra.resmap)
    }

    /// `accumulateTarget`.
    pub fn accumulate_target(&mut self, kt: &mut Target, ra: Accumulator) -> Result<Accumulator> {
        if kt.ldr.depth() > self.opts.limits.budget.depth {
            return Err(Error::budget(format!(
                "kustomizations nest deeper than {} levels",
                self.opts.limits.budget.depth
            )));
        }
        let resources = kt.k.resources.clone();
        let mut ra = self
            .accumulate_resources(kt, ra, &resources)
            .map_err(|e| e.prefix("accumulating resources"))?;
        let mut tconfig = TransformerConfig::default_config();
        if !kt.k.configurations.is_empty() {
            let mut extra = TransformerConfig::default();
            for p in kt.k.configurations.clone() {
                let (b, _) = self.load(&kt.ldr, &p)?;
                let t = TransformerConfig::from_yaml(&String::from_utf8_lossy(&b))
                    .map_err(Error::new)?;
                extra = extra.merge(&t).map_err(Error::new)?;
            }
            tconfig = tconfig.merge(&extra).map_err(Error::new)?;
        }
        ra.merge_config(&tconfig)
            .map_err(|e| Error::new(e).prefix("merging config"))?;
        if !kt.k.crds.is_empty() {
            let crd = builtins::crds::load_config_from_crds(self, kt)?;
            ra.merge_config(&crd)
                .map_err(|e| Error::new(e).prefix("merging CRDs"))?;
        }
        self.run_generators(kt, &mut ra)?;
        let components = kt.k.components.clone();
        let mut ra = self
            .accumulate_components(kt, ra, &components)
            .map_err(|e| e.prefix("accumulating components"))?;
        self.run_transformers(kt, &mut ra)?;
        self.run_validators(kt, &mut ra)?;
        self.merge_vars(kt, &mut ra)?;
        if ra.resmap.len() > self.opts.limits.max_resources {
            return Err(Error::budget(format!(
                "more than {} resources",
                self.opts.limits.max_resources
            )));
        }
        Ok(ra)
    }

    fn line_of(&self, kt: &Target, field: &str, idx: usize) -> u32 {
        kt.node
            .as_ref()
            .and_then(|n| n.field(field))
            .and_then(|f| f.items())
            .and_then(|items| items.get(idx))
            .map(|n| n.loc.line)
            .unwrap_or(0)
    }

    fn kust_path(&self, kt: &Target) -> String {
        self.files
            .get(kt.file as usize)
            .cloned()
            .unwrap_or_default()
    }

    fn accumulate_resources(
        &mut self,
        kt: &mut Target,
        mut ra: Accumulator,
        paths: &[String],
    ) -> Result<Accumulator> {
        for (i, path) in paths.iter().enumerate() {
            let line = self.line_of(kt, "resources", i);
            let kpath = self.kust_path(kt);
            match self.accumulate_file(kt, &mut ra, path) {
                Ok(()) => continue,
                Err(err_f) => {
                    if err_f.kind != crate::error::ErrorKind::Build
                        && crate::loader::is_remote_file(path)
                    {
                        return Err(err_f.at_if_unset(&kpath, line));
                    }
                    let child = match kt.ldr.child(self.fs, path, self.remote) {
                        Ok(c) => c,
                        Err(e) => {
                            if err_f.message.contains("MalformedYAMLError") {
                                return Err(err_f.at_if_unset(&kpath, line));
                            }
                            if e.kind != crate::error::ErrorKind::Build {
                                return Err(e.at_if_unset(&kpath, line));
                            }
                            let at = err_f.at.clone();
                            let mut e = e.prefix(format!("accumulation err='{}'", err_f.message));
                            if e.at.is_none() {
                                e.at = at;
                            }
                            return Err(e.at_if_unset(&kpath, line));
                        }
                    };
                    let saved = kt.origin.clone();
                    if let Some(o) = &kt.origin {
                        kt.origin = Some(o.append(path));
                    }
                    let r = self.accumulate_directory(kt, ra, child, false);
                    kt.origin = saved;
                    ra = match r {
                        Ok(ra) => ra,
                        Err(e) => {
                            if e.kind != crate::error::ErrorKind::Build {
                                return Err(e.at_if_unset(&kpath, line));
                            }
                            return Err(e
                                .prefix(format!("accumulation err='{}'", err_f.message))
                                .at_if_unset(&kpath, line));
                        }
                    };
                }
            }
        }
        Ok(ra)
    }

    fn accumulate_components(
        &mut self,
        kt: &mut Target,
        mut ra: Accumulator,
        paths: &[String],
    ) -> Result<Accumulator> {
        for (i, path) in paths.iter().enumerate() {
            let line = self.line_of(kt, "components", i);
            let kpath = self.kust_path(kt);
            let child = kt.ldr.child(self.fs, path, self.remote).map_err(|e| {
                let kind = e.kind;
                let mut out = Error::new(format!("loader.New {}", go_quote(&e.message)));
                out.kind = kind;
                out.at_if_unset(&kpath, line)
            })?;
            let saved = kt.origin.clone();
            if let Some(o) = &kt.origin {
                kt.origin = Some(o.append(path));
            }
            let r = self.accumulate_directory(kt, ra, child, true);
            kt.origin = saved;
            ra = r.map_err(|e| {
                let kind = e.kind;
                let at = e.at.clone();
                let mut out = Error::new(format!("accumulateDirectory: {}", go_quote(&e.message)));
                out.kind = kind;
                out.at = at;
                out.at_if_unset(&kpath, line)
            })?;
        }
        Ok(ra)
    }

    fn accumulate_directory(
        &mut self,
        kt: &Target,
        ra: Accumulator,
        ldr: Loader,
        is_component: bool,
    ) -> Result<Accumulator> {
        let root = ldr.root.clone();
        let mut sub = self
            .load_target(ldr)
            .map_err(|e| e.prefix(format!("couldn't make target for path '{root}'")))?;
        sub.k.build_metadata = kt.k.build_metadata.clone();
        sub.origin = kt.origin.clone();
        self.set_schema(&sub, false)?;
        if is_component && sub.k.kind != "Component" {
            return Err(Error::new(format!(
                "expected kind 'Component' for path '{root}' but got '{}'",
                sub.k.kind
            )));
        }
        if !is_component && sub.k.kind == "Component" {
            return Err(Error::new(format!(
                "expected kind != 'Component' for path '{root}'"
            )));
        }
        let sub_ra = if is_component {
            self.accumulate_target(&mut sub, ra)
                .map_err(|e| e.prefix(format!("recursed accumulation of path '{root}'")))?
        } else {
            let sub_ra = self
                .accumulate_target(&mut sub, Accumulator::default())
                .map_err(|e| e.prefix(format!("recursed accumulation of path '{root}'")))?;
            let mut ra = ra;
            ra.merge_accumulator(sub_ra)
                .map_err(|e| e.prefix(format!("recursed merging from path '{root}'")))?;
            return Ok(ra);
        };
        let mut fresh = Accumulator::default();
        fresh
            .merge_accumulator(sub_ra)
            .map_err(|e| e.prefix(format!("recursed merging from path '{root}'")))?;
        Ok(fresh)
    }

    fn accumulate_file(&mut self, kt: &Target, ra: &mut Accumulator, path: &str) -> Result<()> {
        let mut resources = self
            .resources_from_file(&kt.ldr, path)
            .map_err(|e| e.prefix(format!("accumulating resources from '{path}'")))?;
        if let Some(o) = &kt.origin {
            let anno = o.append(path).to_yaml();
            for r in resources.iter_mut() {
                r.node.set_annotation(crate::resource::ORIGIN, &anno);
            }
        }
        if ra.resmap.len() + resources.len() > self.opts.limits.max_resources {
            return Err(Error::budget(format!(
                "more than {} resources",
                self.opts.limits.max_resources
            )));
        }
        ra.resmap
            .append_all(resources)
            .map_err(|e| e.prefix(format!("merging resources from '{path}'")))
    }

    /// `resmap.Factory.FromFile`.
    pub fn resources_from_file(&mut self, ldr: &Loader, path: &str) -> Result<Vec<Resource>> {
        let (b, real) = self.load(ldr, path)?;
        let file = self.file_index(&real);
        self.charge(b.len() as u64 / 16)?;
        let rs = crate::reader::resources_from_bytes(&b, file).map_err(|mut e| {
            if e.message.starts_with("MalformedYAMLError") {
                e.message = format!("{} in File: {path}", e.message);
            }
            e.at_if_unset(&real, 0)
        })?;
        if !self.saw_unknown_kind {
            self.saw_unknown_kind = rs.iter().any(|r| {
                !crate::openapi::is_precomputed(r.node.get_api_version(), r.node.get_kind())
            });
        }
        Ok(rs)
    }

    /// Accumulates resource paths (files or kustomizations) into a fresh accumulator.
    pub fn accumulate_resource_paths(
        &mut self,
        kt: &mut Target,
        paths: &[String],
    ) -> Result<Accumulator> {
        self.accumulate_resources(kt, Accumulator::default(), paths)
    }

    fn run_generators(&mut self, kt: &mut Target, ra: &mut Accumulator) -> Result<()> {
        let gens = builtins::generators::configure(self, kt)?;
        for (origin, g) in gens {
            let mut resources = g.generate(self, kt)?;
            if let Some(o) = origin {
                let anno = o.to_yaml();
                for r in resources.iter_mut() {
                    if r.node.get_annotation(crate::resource::ORIGIN).is_none() {
                        r.node.set_annotation(crate::resource::ORIGIN, &anno);
                    }
                }
            }
            ra.resmap
                .absorb_all(resources)
                .map_err(|e| e.prefix("merging from generator"))?;
            if ra.resmap.len() > self.opts.limits.max_resources {
                return Err(Error::budget(format!(
                    "more than {} resources",
                    self.opts.limits.max_resources
                )));
            }
        }
        Ok(())
    }

    fn run_transformers(&mut self, kt: &mut Target, ra: &mut Accumulator) -> Result<()> {
        let txs = builtins::transformers::configure(self, kt, &ra.tconfig)?;
        for (origin, tx) in txs {
            tx.apply(self, &mut ra.resmap)?;
            if let Some(o) = origin {
                add_transformer_annotation(&mut ra.resmap, &o);
            }
            ra.resmap.list_mut().retain(|r| !r.node.is_nil_or_empty());
        }
        Ok(())
    }

    fn run_validators(&mut self, kt: &mut Target, ra: &mut Accumulator) -> Result<()> {
        if kt.k.validators.is_empty() {
            return Ok(());
        }
        let txs = builtins::transformers::configure_external(self, kt, &kt.k.validators.clone())?;
        for (_, tx) in txs {
            let before: Vec<String> = ra
                .resmap
                .list()
                .iter()
                .map(|r| format!("{:?}", r.node))
                .collect();
            tx.apply(self, &mut ra.resmap)?;
            let after: Vec<String> = ra
                .resmap
                .list()
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    let mut l = r.node.get_labels();
                    if l.remove("kustomize.config.k8s.io/validated-by").is_some() {
                        r.node.set_labels(&l);
                    }
                    format!("{:?}", r.node)
                })
                .collect();
            if before != after {
                return Err(Error::new(
                    "validator shouldn't modify the resource map: nodes unequal",
                ));
            }
        }
        Ok(())
    }

    fn merge_vars(&mut self, kt: &Target, ra: &mut Accumulator) -> Result<()> {
        for v in &kt.k.vars {
            let mut v = v.clone();
            if v.field_path.is_empty() {
                v.field_path = "metadata.name".into();
            }
            let mut gvk = v.gvk.clone();
            if !v.api_version.is_empty() {
                let parts: Vec<&str> = v.api_version.split('/').collect();
                if parts.len() == 2 {
                    gvk.group = parts[0].into();
                    gvk.version = parts[1].into();
                } else if parts.len() == 1 {
                    gvk.version = parts[0].into();
                }
            }
            v.gvk = gvk.clone();
            let target = ResId::new(gvk, &v.obj_name, &v.obj_namespace);
            let strict = !target.namespace.is_empty() || target.gvk.is_cluster_scoped();
            let matched = ra.resmap.by_any_id(|id| {
                if strict {
                    target.equals(id)
                } else {
                    target.gvkn_equals(id)
                }
            });
            if matched.len() > 1 {
                return Err(Error::new(format!(
                    "found {} resId matches for var {} (unable to disambiguate)",
                    matched.len(),
                    var_v(&v)
                ))
                .prefix(format!("merging vars {}", vars_v(&kt.k.vars))));
            }
            if matched.len() == 1 {
                ra.resmap.list_mut()[matched[0]]
                    .ref_var_names
                    .push(v.name.clone());
            }
        }
        for v in &kt.k.vars {
            if ra.vars.contains_key(&v.name) {
                return Err(Error::new(format!("var '{}' already encountered", v.name))
                    .prefix(format!("merging vars {}", vars_v(&kt.k.vars))));
            }
            let mut v2 = v.clone();
            if v2.field_path.is_empty() {
                v2.field_path = "metadata.name".into();
            }
            ra.vars.insert(v.name.clone(), v2);
        }
        Ok(())
    }
}

/// Go's `%v` of a `types.Var`.
fn var_v(v: &Var) -> String {
    format!(
        "{{{} {{{} {{{} {} {}}} {} {}}} {{{}}}}}",
        v.name,
        v.api_version,
        v.gvk.group,
        v.gvk.version,
        v.gvk.kind,
        v.obj_name,
        v.obj_namespace,
        v.field_path
    )
}

fn vars_v(vs: &[Var]) -> String {
    let parts: Vec<String> = vs.iter().map(var_v).collect();
    format!("[{}]", parts.join(" "))
}

/// `AddTransformerAnnotation`.
fn add_transformer_annotation(m: &mut ResMap, o: &Origin) {
    for r in m.list_mut().iter_mut() {
        match r.node.get_annotation(crate::resource::ORIGIN) {
            None => {
                let mut a = r.annotations();
                a.insert(crate::resource::ORIGIN.to_string(), o.to_yaml());
                r.set_annotations(&a);
            }
            Some(_) => {
                let cur = r
                    .node
                    .get_annotation(crate::resource::TRANSFORMATIONS)
                    .unwrap_or_default();
                let mut item = String::new();
                for (i, l) in o.to_yaml().lines().enumerate() {
                    if i == 0 {
                        item.push_str(&format!("- {l}\n"));
                    } else {
                        item.push_str(&format!("  {l}\n"));
                    }
                }
                let mut a = r.annotations();
                a.insert(
                    crate::resource::TRANSFORMATIONS.to_string(),
                    format!("{cur}{item}"),
                );
                r.set_annotations(&a);
            }
        }
    }
}

/// `IgnoreLocal`: drops `config.kubernetes.io/local-config` objects (any value but
/// `"false"`).
fn ignore_local(m: &mut ResMap) -> Result<()> {
    for r in m.list() {
        crate::reader::validate_meta(&r.node)?;
    }
    m.list_mut().retain(|r| {
        match r
            .node
            .get_annotations_only(&["config.kubernetes.io/local-config"])
            .get("config.kubernetes.io/local-config")
        {
            None => true,
            Some(v) => v == "false",
        }
    });
    Ok(())
}

/// Go's `%q` (`strconv.Quote`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The location of a node, as a file path and line.
pub fn loc_path(b: &Build, l: Loc) -> Option<(String, u32)> {
    b.files.get(l.file as usize).map(|p| (p.clone(), l.line))
}
