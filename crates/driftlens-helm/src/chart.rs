//! Chart loading: a chart directory or `.tgz` archive becomes a [`Chart`] with its
//! metadata, default values, templates, CRDs, other files (`.Files`, honouring
//! `.helmignore`) and subcharts from `charts/` (directories and nested archives).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use driftlens_gotmpl::value::{Map, Value};
use driftlens_gotmpl::yaml;
use driftlens_sandbox::CheckoutRoot;

/// Maximum total bytes read for one chart (archives included).
const MAX_CHART_BYTES: u64 = 200 << 20;
/// Maximum directory depth walked.
const MAX_WALK_DEPTH: usize = 64;

/// A dependency entry of Chart.yaml (or requirements.yaml).
#[derive(Debug, Clone, Default)]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Version constraint.
    pub version: String,
    /// `repository`: a Helm repository URL, `oci://…`, `file://…`, `@name` or empty.
    pub repository: String,
    /// Alias, if any.
    pub alias: Option<String>,
    /// `condition` (comma-separated values paths).
    pub condition: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `import-values` entries.
    pub import_values: Vec<Value>,
}

/// A loaded chart.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// Name (the alias once aliased).
    pub name: String,
    /// Chart version.
    pub version: String,
    /// Chart.yaml as a map (Go field names, for `.Chart`).
    pub metadata: Map,
    /// Chart.yaml `apiVersion`.
    pub api_version: String,
    /// `type` (`application` or `library`).
    pub chart_type: String,
    /// `kubeVersion` constraint.
    pub kube_version: Option<String>,
    /// Declared dependencies.
    pub deps: Vec<Dependency>,
    /// values.yaml.
    pub values: Map,
    /// values.schema.json, if present.
    pub schema: Option<String>,
    /// Templates: path in chart (`templates/x.yaml`) → text.
    pub templates: std::sync::Arc<Vec<(String, String)>>,
    /// CRD files: path in chart (`crds/x.yaml`) → bytes.
    pub crds: std::sync::Arc<Vec<(String, Vec<u8>)>>,
    /// Every other file, for `.Files`.
    pub files: driftlens_gotmpl::value::FileMap,
    /// Subcharts found in `charts/`.
    pub subcharts: Vec<Chart>,
    /// The chart's directory relative to the root chart's (`""` for the root chart,
    /// `charts/db-1.2.0` for a subchart, whatever its name or alias); `None` for a chart read
    /// from a `.tgz` archive, whose files are not in the checkout.
    pub dir: Option<String>,
}

/// A chart loading error.
#[derive(Debug, Clone)]
pub struct LoadError(pub String);

/// `.helmignore` rules.
struct Ignore {
    rules: Vec<(bool, bool, String)>, // (negate, dir_only, pattern)
}

impl Ignore {
    fn parse(text: &str) -> Ignore {
        let mut rules = vec![(false, false, "templates/.?*".to_string())];
        for line in text.lines() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (neg, l) = match l.strip_prefix('!') {
                Some(r) => (true, r),
                None => (false, l),
            };
            let dir_only = l.ends_with('/');
            let p = l.trim_end_matches('/').trim_start_matches("./").to_string();
            if p.is_empty() {
                continue;
            }
            rules.push((neg, dir_only, p));
        }
        Ignore { rules }
    }

    fn ignored(&self, path: &str, is_dir: bool) -> bool {
        let base = path.rsplit('/').next().unwrap_or(path);
        let mut result = false;
        for (neg, dir_only, p) in &self.rules {
            if *dir_only && !is_dir {
                continue;
            }
            let m = if p.contains('/') {
                driftlens_gotmpl::funcs::helm::glob_match(p.trim_start_matches('/'), path)
            } else {
                driftlens_gotmpl::funcs::helm::glob_match(p, base)
            };
            if m {
                result = !neg;
            }
        }
        result
    }
}

/// Loads a chart from a directory or a `.tgz` file. With a `root`, a symbolic link of the
/// chart that leads outside it is an error at the link (as in Argo CD); without one, links are
/// followed like Helm does.
pub fn load(path: &Path, root: Option<&CheckoutRoot>) -> Result<Chart, LoadError> {
    if let Some(r) = root {
        r.check(path)
            .map_err(|why| LoadError(format!("{}: {why}", path.display())))?;
    }
    let files = if path.is_dir() {
        read_dir_files(path, root)?
    } else {
        let bytes =
            std::fs::read(path).map_err(|e| LoadError(format!("{}: {e}", path.display())))?;
        read_archive(&bytes, &path.display().to_string())?
    };
    from_files(files, &path.display().to_string())
}

fn read_dir_files(
    root: &Path,
    checkout: Option<&CheckoutRoot>,
) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let refuse = |path: &Path, rel: &str| -> Result<(), LoadError> {
        match checkout.map(|c| c.check_link(path)) {
            Some(Err(why)) => Err(LoadError(format!(
                "{rel}: this symbolic link is not followed: {why}"
            ))),
            _ => Ok(()),
        }
    };
    refuse(&root.join(".helmignore"), ".helmignore")?;
    let ignore = match std::fs::read_to_string(root.join(".helmignore")) {
        Ok(t) => Ignore::parse(&t),
        Err(_) => Ignore::parse(""),
    };
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        if depth > MAX_WALK_DEPTH {
            return Err(LoadError(format!(
                "{}: directory nesting too deep",
                dir.display()
            )));
        }
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| LoadError(format!("{}: {e}", dir.display())))?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let rp = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let Ok(meta) = std::fs::metadata(e.path()) else {
                continue;
            };
            if ignore.ignored(&rp, meta.is_dir()) {
                continue;
            }
            refuse(&e.path(), &rp)?;
            if meta.is_dir() {
                stack.push((e.path(), rp, depth + 1));
            } else if meta.is_file() {
                total += meta.len();
                if total > MAX_CHART_BYTES {
                    return Err(LoadError(format!(
                        "{}: chart is larger than {} bytes",
                        root.display(),
                        MAX_CHART_BYTES
                    )));
                }
                let data = std::fs::read(e.path())
                    .map_err(|err| LoadError(format!("{}: {err}", e.path().display())))?;
                out.push((rp, data));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Helm's cap on what the archives of one chart (nested subchart archives included) decompress
/// to, and its message.
pub const MAX_DECOMPRESSED_CHART_SIZE: u64 = 100 << 20;

thread_local! {
    /// Bytes the archives of the chart being loaded on this thread have decompressed to.
    static DECOMPRESSED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Starts the decompression budget of a new chart load on this thread.
pub fn reset_decompression_budget() {
    DECOMPRESSED.with(|d| d.set(0));
}

fn decompressed_too_large() -> LoadError {
    LoadError(format!(
        "chart exceeds maximum decompressed size of {MAX_DECOMPRESSED_CHART_SIZE} bytes"
    ))
}

/// Reads a gzipped tar chart archive; the first path component (the chart directory) is
/// stripped. All the archives of one chart share Helm's decompressed-size budget.
pub fn read_archive(bytes: &[u8], name: &str) -> Result<Vec<(String, Vec<u8>)>, LoadError> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let used = DECOMPRESSED.with(|d| d.get());
    let left = MAX_DECOMPRESSED_CHART_SIZE.saturating_sub(used);
    let mut ar = tar::Archive::new(gz.take(left.saturating_add(1 << 20).min(MAX_CHART_BYTES)));
    let mut out = Vec::new();
    let entries = ar
        .entries()
        .map_err(|e| LoadError(format!("{name}: {e}")))?;
    for ent in entries {
        let mut ent = ent.map_err(|e| LoadError(format!("{name}: {e}")))?;
        if !ent.header().entry_type().is_file() {
            continue;
        }
        let p = ent
            .path()
            .map_err(|e| LoadError(format!("{name}: {e}")))?
            .to_string_lossy()
            .replace('\\', "/");
        let rel = match p.split_once('/') {
            Some((_, r)) => r.to_string(),
            None => continue,
        };
        if rel.split('/').any(|c| c == "..") {
            return Err(LoadError(format!(
                "{name}: chart illegally contains content outside the base directory: {p:?}"
            )));
        }
        let mut data = Vec::new();
        let left = MAX_DECOMPRESSED_CHART_SIZE.saturating_sub(DECOMPRESSED.with(|d| d.get()));
        (&mut ent)
            .take(left + 1)
            .read_to_end(&mut data)
            .map_err(|e| LoadError(format!("{name}: {e}")))?;
        let total = DECOMPRESSED.with(|d| {
            d.set(d.get() + data.len() as u64);
            d.get()
        });
        if total > MAX_DECOMPRESSED_CHART_SIZE {
            return Err(decompressed_too_large());
        }
        out.push((rel, data));
    }
    if out.is_empty() {
        return Err(LoadError(format!("{name}: no files in chart archive")));
    }
    // Honour the archive's own .helmignore.
    let ignore = out
        .iter()
        .find(|(p, _)| p == ".helmignore")
        .map(|(_, d)| Ignore::parse(&String::from_utf8_lossy(d)));
    if let Some(ig) = ignore {
        out.retain(|(p, _)| {
            let mut acc = String::new();
            for comp in p
                .split('/')
                .collect::<Vec<_>>()
                .split_last()
                .map(|(_, dirs)| dirs.to_vec())
                .unwrap_or_default()
            {
                acc = if acc.is_empty() {
                    comp.to_string()
                } else {
                    format!("{acc}/{comp}")
                };
                if ig.ignored(&acc, true) {
                    return false;
                }
            }
            !ig.ignored(p, false)
        });
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn str_field(m: &Map, k: &str) -> String {
    match m.get(k) {
        Some(Value::Str(s)) => s.to_string(),
        Some(Value::Float(f)) => driftlens_gotmpl::fmt::format_float_v(*f),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn parse_deps(v: Option<&Value>) -> Vec<Dependency> {
    let mut out = Vec::new();
    if let Some(Value::List(l)) = v {
        for d in l.iter() {
            if let Value::Map(m) = d {
                let m = m.borrow();
                let alias = str_field(&m, "alias");
                let cond = str_field(&m, "condition");
                let tags = match m.get("tags") {
                    Some(Value::List(t)) => t.iter().map(driftlens_gotmpl::funcs::strval).collect(),
                    _ => Vec::new(),
                };
                let import_values = match m.get("import-values") {
                    Some(Value::List(t)) => t.as_ref().clone(),
                    _ => Vec::new(),
                };
                out.push(Dependency {
                    name: str_field(&m, "name"),
                    version: str_field(&m, "version"),
                    repository: str_field(&m, "repository"),
                    alias: (!alias.is_empty()).then_some(alias),
                    condition: (!cond.is_empty()).then_some(cond),
                    tags,
                    import_values,
                });
            }
        }
    }
    out
}

/// Builds the `.Chart` map with Go's field names (zero values for absent fields).
fn metadata_map(m: &Map) -> Map {
    let mut out = Map::new();
    let fields = [
        ("name", "Name"),
        ("home", "Home"),
        ("version", "Version"),
        ("description", "Description"),
        ("icon", "Icon"),
        ("apiVersion", "APIVersion"),
        ("condition", "Condition"),
        ("tags", "Tags"),
        ("appVersion", "AppVersion"),
        ("kubeVersion", "KubeVersion"),
        ("type", "Type"),
    ];
    for (k, g) in fields {
        out.insert(g.to_string(), Value::from(str_field(m, k)));
    }
    for (k, g) in [
        ("sources", "Sources"),
        ("keywords", "Keywords"),
        ("maintainers", "Maintainers"),
        ("dependencies", "Dependencies"),
    ] {
        out.insert(g.to_string(), m.get(k).cloned().unwrap_or(Value::Nil));
    }
    out.insert(
        "Annotations".into(),
        m.get("annotations").cloned().unwrap_or(Value::Nil),
    );
    out.insert(
        "Deprecated".into(),
        Value::Bool(matches!(m.get("deprecated"), Some(Value::Bool(true)))),
    );
    out
}

/// Builds a chart from its files (paths relative to the chart root).
pub fn from_files(files: Vec<(String, Vec<u8>)>, origin: &str) -> Result<Chart, LoadError> {
    from_files_at(files, origin, Some(String::new()))
}

/// [`from_files`] for a chart at `dir` (see [`Chart::dir`]).
fn from_files_at(
    files: Vec<(String, Vec<u8>)>,
    origin: &str,
    dir: Option<String>,
) -> Result<Chart, LoadError> {
    let mut c = Chart {
        dir,
        ..Chart::default()
    };
    let get = |name: &str| {
        files
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
    };
    let chart_yaml = get("Chart.yaml")
        .ok_or_else(|| LoadError(format!("Chart.yaml file is missing in {origin}")))?;
    let meta = match yaml::load(&chart_yaml) {
        Ok(Value::Map(m)) => m.borrow().clone(),
        Ok(_) => Map::new(),
        Err(e) => return Err(LoadError(format!("cannot load Chart.yaml: {e}"))),
    };
    c.name = str_field(&meta, "name");
    if c.name.is_empty() {
        return Err(LoadError(format!(
            "validation: chart.metadata.name is required ({origin})"
        )));
    }
    c.version = str_field(&meta, "version");
    c.api_version = str_field(&meta, "apiVersion");
    c.chart_type = str_field(&meta, "type");
    let kv = str_field(&meta, "kubeVersion");
    c.kube_version = (!kv.is_empty()).then_some(kv);
    c.deps = parse_deps(meta.get("dependencies"));
    if c.deps.is_empty() {
        if let Some(req) = get("requirements.yaml") {
            if let Ok(Value::Map(m)) = yaml::load(&req) {
                c.deps = parse_deps(m.borrow().get("dependencies"));
            }
        }
    }
    c.metadata = metadata_map(&meta);
    c.schema = get("values.schema.json");
    if let Some(v) = get("values.yaml") {
        c.values = match yaml::load(&v) {
            Ok(Value::Map(m)) => m.borrow().clone(),
            Ok(Value::Nil) => Map::new(),
            Ok(_) => return Err(LoadError("cannot load values.yaml: cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}".into())),
            Err(e) => {
                let m = if e.0.starts_with("error converting") { e.0 } else { format!("error converting YAML to JSON: {}", e.0) };
                return Err(LoadError(format!("cannot load values.yaml: cannot unmarshal yaml document: {m}")));
            }
        };
    }
    // Subcharts: group files under charts/<dir>/… and charts/*.tgz.
    let mut sub_dirs: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut templates: Vec<(String, String)> = Vec::new();
    let mut crds: Vec<(String, Vec<u8>)> = Vec::new();
    let mut other_files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (p, d) in files {
        match p.as_str() {
            "Chart.yaml" | "values.yaml" | "requirements.yaml" | "requirements.lock"
            | "Chart.lock" | "values.schema.json" => continue,
            _ => {}
        }
        if let Some(rest) = p.strip_prefix("templates/") {
            let _ = rest;
            templates.push((p.clone(), String::from_utf8_lossy(&d).into_owned()));
        } else if let Some(rest) = p.strip_prefix("charts/") {
            if let Some((dir, inner)) = rest.split_once('/') {
                sub_dirs
                    .entry(dir.to_string())
                    .or_default()
                    .push((inner.to_string(), d));
            } else if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") {
                let sub = read_archive(&d, &format!("{origin}/{p}"))?;
                c.subcharts
                    .push(from_files_at(sub, &format!("{origin}/{p}"), None)?);
            }
        } else {
            if p.starts_with("crds/") {
                crds.push((p.clone(), d.clone()));
            }
            other_files.insert(p, d);
        }
    }
    for (dir, files) in sub_dirs {
        let sub_dir = c.dir.as_ref().map(|d| {
            if d.is_empty() {
                format!("charts/{dir}")
            } else {
                format!("{d}/charts/{dir}")
            }
        });
        if !files.iter().any(|(p, _)| p == "Chart.yaml") {
            continue;
        }
        c.subcharts.push(from_files_at(
            files,
            &format!("{origin}/charts/{dir}"),
            sub_dir,
        )?);
    }
    c.templates = std::sync::Arc::new(templates);
    c.crds = std::sync::Arc::new(crds);
    c.files = std::sync::Arc::new(other_files);
    Ok(c)
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    /// A `.tgz` of `chart/<name>` holding `size` zero bytes (a few kilobytes compressed).
    fn archive(name: &str, size: usize) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(size as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(
            &mut header,
            format!("chart/{name}"),
            std::io::repeat(0).take(size as u64),
        )
        .expect("append");
        let raw = tar.into_inner().expect("tar");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &raw).expect("gzip");
        gz.finish().expect("gzip")
    }

    #[test]
    fn the_archives_of_one_chart_share_helms_decompressed_size_cap() {
        let part = archive("big.bin", 40 << 20);
        reset_decompression_budget();
        assert!(read_archive(&part, "a.tgz").is_ok());
        assert!(read_archive(&part, "b.tgz").is_ok());
        let e = read_archive(&part, "c.tgz").expect_err("over 100 MiB in total");
        assert_eq!(
            e.0,
            "chart exceeds maximum decompressed size of 104857600 bytes"
        );
        // A new chart starts a new budget.
        reset_decompression_budget();
        assert!(read_archive(&part, "a.tgz").is_ok());
        // One archive alone over the cap.
        reset_decompression_budget();
        assert!(read_archive(&archive("huge.bin", 101 << 20), "h.tgz").is_err());
    }
}
