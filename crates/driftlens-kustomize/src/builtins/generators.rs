//! Generators: `configMapGenerator`, `secretGenerator`, `helmCharts` and `generators:`
//! entries (built-in plugin configs only; exec and container functions are not run).
//! ConfigMap and Secret data come from env files, literals and files, in that order
//! (`kv.loader`), and are written the way kyaml writes them.

use std::collections::BTreeMap;

use crate::builtins::transformers::{builtin_origin, entry_loc};
use crate::error::{Error, Result};
use crate::jsondec::Decoder;
use crate::loader::Loader;
use crate::resource::Resource;
use crate::target::{Build, Origin, Target};
use crate::types::{decode_gen_args, GeneratorArgs, GeneratorOptions};
use crate::yaml::node::{Data, Loc, Node, Pair, Tag};
use crate::yaml::rnode::{data_value, encode_base64_wrapped};
use crate::yaml::value::Value;

/// A configured generator.
pub enum Gen {
    /// ConfigMapGenerator.
    ConfigMap(GeneratorArgs, Loc),
    /// SecretGenerator.
    Secret(GeneratorArgs, Loc),
    /// HelmChartInflationGenerator.
    Helm(Box<crate::builtins::helm::HelmRun>, Loc),
    /// IAMPolicyGenerator: (cloud, k8s SA name, k8s namespace, GCP SA name, project).
    Iam([String; 5], Loc),
}

/// `MergeGlobalOptionsIntoLocal`.
pub fn merge_options(
    local: Option<GeneratorOptions>,
    global: Option<&GeneratorOptions>,
) -> Option<GeneratorOptions> {
    let Some(g) = global else { return local };
    let mut l = local.unwrap_or_default();
    let over =
        |l: &mut Option<BTreeMap<String, String>>, g: &Option<BTreeMap<String, String>>| match l {
            None => {
                if let Some(g) = g {
                    *l = Some(g.clone());
                }
            }
            Some(lm) => {
                if let Some(g) = g {
                    for (k, v) in g {
                        lm.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        };
    over(&mut l.labels, &g.labels);
    over(&mut l.annotations, &g.annotations);
    if g.disable_name_suffix_hash {
        l.disable_name_suffix_hash = true;
    }
    if g.immutable {
        l.immutable = true;
    }
    Some(l)
}

/// Configures every generator of a kustomization, in kustomize's order.
pub fn configure(b: &mut Build, kt: &Target) -> Result<Vec<(Option<Origin>, Gen)>> {
    let mut out = Vec::new();
    for (i, g) in kt.k.config_map_generator.iter().enumerate() {
        let mut g = g.clone();
        g.options = merge_options(g.options, kt.k.generator_options.as_ref());
        out.push((
            builtin_origin(kt, "ConfigMapGenerator"),
            Gen::ConfigMap(g, entry_loc(kt, "configMapGenerator", i)),
        ));
    }
    for (i, g) in kt.k.secret_generator.iter().enumerate() {
        let mut g = g.clone();
        g.options = merge_options(g.options, kt.k.generator_options.as_ref());
        out.push((
            builtin_origin(kt, "SecretGenerator"),
            Gen::Secret(g, entry_loc(kt, "secretGenerator", i)),
        ));
    }
    let globals = kt.k.helm_globals.clone().unwrap_or_default();
    for (i, h) in kt.k.helm_charts.iter().enumerate() {
        let at = entry_loc(kt, "helmCharts", i);
        let trouble = |msg: String| {
            Error::new(format!(
                "trouble configuring builtin HelmChartInflationGenerator with config: `\n{}`: {msg}",
                crate::builtins::helm::config_yaml(h, &globals)
            ))
        };
        let path = b.files[kt.file as usize].clone();
        if !b.opts.enable_helm {
            return Err(trouble("must specify --enable-helm".into()).at_if_unset(&path, at.line));
        }
        let run = crate::builtins::helm::configure(b, kt, h, &globals).map_err(|e| Error {
            message: trouble(e.message).message,
            ..e
        })?;
        out.push((
            builtin_origin(kt, "HelmChartInflationGenerator"),
            Gen::Helm(Box::new(run), at),
        ));
    }
    if !kt.k.generators.is_empty() {
        let configs = crate::builtins::transformers::plugin_configs(b, kt, &kt.k.generators)
            .map_err(|e| e.prefix("loading generator plugins"))?;
        for (origin, cfg) in configs {
            let g = configure_plugin(b, kt, &cfg)
                .map_err(|e| Error {
                    message: format!("failed to load generator: {}", e.message),
                    ..e
                })
                .map_err(|e| e.prefix("loading generator plugins"))?;
            out.push((origin, g));
        }
    }
    Ok(out)
}

fn configure_plugin(b: &mut Build, kt: &Target, cfg: &Resource) -> Result<Gen> {
    let gvk = cfg.gvk();
    let id = cfg.org_id();
    crate::builtins::transformers::require_builtin(cfg)?;
    let v = crate::yaml::value::decode_resource(&cfg.node).map_err(|e| Error::new(e.0))?;
    let loc = cfg.node.loc;
    let meta_name = cfg.name().to_string();
    let meta_ns = cfg.namespace().to_string();
    let mut d = Decoder::lenient();
    let res = match gvk.kind.as_str() {
        "ConfigMapGenerator" | "SecretGenerator" => {
            let secret = gvk.kind == "SecretGenerator";
            let mut g = decode_gen_args(&mut d, &strip_type_meta(&v), secret);
            if g.name.is_empty() {
                g.name = meta_name;
            }
            if g.namespace.is_empty() {
                g.namespace = meta_ns;
            }
            if !g.env.is_empty() {
                let e = std::mem::take(&mut g.env);
                g.envs.push(e);
            }
            if secret {
                Gen::Secret(g, loc)
            } else {
                Gen::ConfigMap(g, loc)
            }
        }
        "HelmChartInflationGenerator" => {
            let (h, g) = crate::builtins::helm::decode_plugin(&mut d, &v);
            if !b.opts.enable_helm {
                return Err(Error::new(format!(
                    "plugin {id} fails configuration: must specify --enable-helm"
                )));
            }
            let run = crate::builtins::helm::configure(b, kt, &h, &g)
                .map_err(|e| e.prefix(format!("plugin {id} fails configuration")))?;
            Gen::Helm(Box::new(run), loc)
        }
        "IAMPolicyGenerator" => {
            let get = |v: &Value, k: &str| -> Option<Value> {
                match v {
                    Value::Map(p) => p
                        .iter()
                        .find(|(x, _)| x.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.clone()),
                    _ => None,
                }
            };
            let mut s = |v: Option<Value>| v.map(|v| d.string(&v)).unwrap_or_default();
            let ks = get(&v, "kubernetesService").unwrap_or(Value::Null);
            let sa = get(&v, "serviceAccount").unwrap_or(Value::Null);
            let args = [
                s(get(&v, "cloud")),
                s(get(&ks, "name")),
                s(get(&ks, "namespace")),
                s(get(&sa, "name")),
                s(get(&sa, "projectId")),
            ];
            Gen::Iam(args, loc)
        }
        _ => {
            return Err(Error::new(format!("plugin {id} not a generator")));
        }
    };
    if let Some(e) = d.error {
        return Err(Error::new(format!("plugin {id} fails configuration: {e}")));
    }
    let _ = kt;
    Ok(res)
}

/// Drops `apiVersion`, `kind` and `metadata` so a lenient decode of a plugin config sees only
/// its own fields (they are unknown to the args structs anyway).
fn strip_type_meta(v: &Value) -> Value {
    match v {
        Value::Map(p) => Value::Map(
            p.iter()
                .filter(|(k, _)| k != "apiVersion" && k != "kind" && k != "metadata")
                .cloned()
                .collect(),
        ),
        other => other.clone(),
    }
}

impl Gen {
    /// Runs the generator.
    pub fn generate(&self, b: &mut Build, kt: &Target) -> Result<Vec<Resource>> {
        match self {
            Gen::ConfigMap(args, loc) => {
                let r = make_configmap(b, &kt.ldr, args, *loc)?;
                Ok(vec![r])
            }
            Gen::Secret(args, loc) => {
                let r = make_secret(b, &kt.ldr, args, *loc)?;
                Ok(vec![r])
            }
            Gen::Helm(run, loc) => crate::builtins::helm::generate(b, kt, run, *loc),
            Gen::Iam([cloud, ksa, ns, gsa, project], loc) => {
                if cloud != "gke" {
                    return Err(Error::new(format!(
                        "cloud provider {cloud} not supported yet"
                    )));
                }
                let mut text = format!(
                    "\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  annotations:\n    iam.gke.io/gcp-service-account: {gsa}@{project}.iam.gserviceaccount.com\n  name: {ksa}\n"
                );
                if !ns.is_empty() {
                    text.push_str(&format!("\n  namespace: {ns}"));
                }
                let node = crate::yaml::parse::parse_first(
                    &text,
                    crate::yaml::parse::ReadOptions {
                        version: crate::yaml::resolve::Version::V3,
                        file: loc.file,
                    },
                    0,
                )
                .map_err(|e| Error::new(e.message))?
                .unwrap_or_else(Node::null);
                let mut node = node;
                node.set_loc_all(*loc);
                Ok(vec![Resource::new(node)])
            }
        }
    }
}

/// A key/value pair with where it came from.
struct KvPair {
    key: String,
    value: Vec<u8>,
    loc: Loc,
}

fn kv_load(b: &mut Build, ldr: &Loader, args: &GeneratorArgs, loc: Loc) -> Result<Vec<KvPair>> {
    let mut all = Vec::new();
    // Env files.
    for p in &args.envs {
        let r: Result<()> = (|| {
            let (content, real) = b.load(ldr, p)?;
            let file = b.file_index(&real);
            let mut content: &[u8] = &content;
            if content.starts_with(&[0xEF, 0xBB, 0xBF]) {
                content = &content[3..];
            }
            for (i, raw) in content.split(|c| *c == b'\n').enumerate() {
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                let Ok(line) = std::str::from_utf8(raw) else {
                    return Err(Error::new(format!(
                        "line {:?} has invalid utf8 bytes : {}",
                        raw,
                        String::from_utf8_lossy(raw)
                    )));
                };
                let line = line.trim_start();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = match line.split_once('=') {
                    Some((k, v)) => (k, v),
                    None => (line, ""),
                };
                if k.is_empty() {
                    continue;
                }
                all.push(KvPair {
                    key: k.to_string(),
                    value: v.as_bytes().to_vec(),
                    loc: Loc {
                        file,
                        line: i as u32 + 1,
                        col: 1,
                    },
                });
            }
            Ok(())
        })();
        r.map_err(|e| e.prefix(format!("env source files: [{}]", args.envs.join(" "))))?;
    }
    // Literals.
    for s in &args.literals {
        if s.starts_with('=') || !s.contains('=') {
            return Err(
                Error::new(format!("invalid literal source {s}, expected key=value"))
                    .prefix(format!("literal sources [{}]", args.literals.join(" "))),
            );
        }
        let (k, v) = s.split_once('=').unwrap_or((s, ""));
        all.push(KvPair {
            key: k.to_string(),
            value: remove_quotes(v).as_bytes().to_vec(),
            loc,
        });
    }
    // Files.
    for s in &args.files {
        let r: Result<()> = (|| {
            let (k, path) = parse_file_source(s)?;
            let (content, real) = b.load(ldr, &path)?;
            let file = b.file_index(&real);
            all.push(KvPair {
                key: k,
                value: content,
                loc: Loc {
                    file,
                    line: 1,
                    col: 1,
                },
            });
            Ok(())
        })();
        r.map_err(|e| e.prefix(format!("file sources: [{}]", args.files.join(" "))))?;
    }
    Ok(all)
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return s;
    }
    if b[0] == b'"' || b[0] == b'\'' {
        return &s[1..s.len() - 1];
    }
    s
}

/// `generators.ParseFileSource`.
fn parse_file_source(source: &str) -> Result<(String, String)> {
    let n = source.matches('=').count();
    if n == 0 {
        return Ok((crate::fs::base(source).to_string(), source.to_string()));
    }
    if n == 1 && source.starts_with('=') {
        return Err(Error::new(format!(
            "missing key name for file path {} in source {}",
            crate::target::go_quote(source.trim_start_matches('=')),
            crate::target::go_quote(source)
        )));
    }
    if n == 1 && source.ends_with('=') {
        return Err(Error::new(format!(
            "missing file path for key name {} in source {}",
            crate::target::go_quote(source.trim_end_matches('=')),
            crate::target::go_quote(source)
        )));
    }
    if n > 1 {
        return Err(Error::new(format!(
            "source {} key name or file path contains '='",
            crate::target::go_quote(source)
        )));
    }
    let (k, p) = source.split_once('=').unwrap_or((source, ""));
    Ok((k.to_string(), p.to_string()))
}

fn validated_pairs(
    b: &mut Build,
    ldr: &Loader,
    args: &GeneratorArgs,
    loc: Loc,
) -> Result<BTreeMap<String, KvPair>> {
    let pairs = kv_load(b, ldr, args, loc).map_err(|e| e.prefix("loading KV pairs"))?;
    let mut known: BTreeMap<String, KvPair> = BTreeMap::new();
    for p in pairs {
        if known.contains_key(&p.key) {
            return Err(Error::new(format!(
                "configmap {} illegally repeats the key `{}`",
                args.name, p.key
            )));
        }
        known.insert(p.key.clone(), p);
    }
    Ok(known)
}

fn base_node(kind: &str, args: &GeneratorArgs, loc: Loc) -> Result<Node> {
    if args.name.is_empty() {
        return Err(Error::new("a configmap must have a name"));
    }
    let mut n = Node::map_of(vec![
        Pair {
            key: Node::tagged(Tag::Str, "apiVersion").at(loc),
            value: Node::tagged(Tag::Str, "v1").at(loc),
        },
        Pair {
            key: Node::tagged(Tag::Str, "kind").at(loc),
            value: Node::tagged(Tag::Str, kind).at(loc),
        },
    ])
    .at(loc);
    if let Some(md) = n.lookup_create_map("metadata") {
        md.loc = loc;
        md.set_field("name", Node::scalar(args.name.clone()).at(loc));
        if !args.namespace.is_empty() {
            md.set_field("namespace", Node::scalar(args.namespace.clone()).at(loc));
        }
    }
    Ok(n)
}

fn finish(mut n: Node, args: &GeneratorArgs, loc: Loc) -> Resource {
    if let Some(o) = &args.options {
        if let Some(labels) = &o.labels {
            for (k, v) in labels {
                if let Some(md) = n.lookup_create_map("metadata") {
                    if let Some(l) = md.lookup_create_map("labels") {
                        l.set_field(k, Node::string(v.clone()).at(loc));
                    }
                }
            }
        }
        if let Some(annos) = &o.annotations {
            for (k, v) in annos {
                n.set_annotation(k, v);
            }
        }
        if o.immutable {
            n.set_field("immutable", Node::tagged(Tag::Bool, "true").at(loc));
        }
    }
    let mut r = Resource::new(n);
    r.provenance.file = loc.file;
    if !args
        .options
        .as_ref()
        .is_some_and(|o| o.disable_name_suffix_hash)
    {
        r.enable_hash_suffix();
    }
    let behavior = match args.behavior.as_str() {
        "create" | "merge" | "replace" => args.behavior.clone(),
        _ => "unspecified".to_string(),
    };
    r.set_behavior(&behavior);
    r
}

fn make_configmap(b: &mut Build, ldr: &Loader, args: &GeneratorArgs, loc: Loc) -> Result<Resource> {
    let mut n = base_node("ConfigMap", args, loc)?;
    let pairs = validated_pairs(b, ldr, args, loc)?;
    for (k, p) in pairs {
        let (field, value) = match String::from_utf8(p.value) {
            Ok(s) => ("data", s),
            Err(e) => ("binaryData", encode_base64_wrapped(e.as_bytes())),
        };
        if let Some(d) = n.lookup_create_map(field) {
            d.loc = loc;
            let mut v = data_value(value);
            v.loc = p.loc;
            d.set_field(&k, v);
            if let Some(Data::Map(ps)) = Some(&mut d.data) {
                if let Some(last) = ps.iter_mut().find(|q| q.key.value() == k) {
                    last.key.loc = p.loc;
                }
            }
        }
    }
    Ok(finish(n, args, loc))
}

fn make_secret(b: &mut Build, ldr: &Loader, args: &GeneratorArgs, loc: Loc) -> Result<Resource> {
    let mut n = base_node("Secret", args, loc)?;
    let t = if args.secret_type.is_empty() {
        "Opaque"
    } else {
        &args.secret_type
    };
    n.set_field("type", Node::string(t).at(loc));
    let pairs = validated_pairs(b, ldr, args, loc)?;
    if let Some(d) = n.lookup_create_map("data") {
        d.loc = loc;
        for (k, p) in pairs {
            let mut v = data_value(encode_base64_wrapped(&p.value));
            v.loc = p.loc;
            d.set_field(&k, v);
        }
    }
    Ok(finish(n, args, loc))
}
