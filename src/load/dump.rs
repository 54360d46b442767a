//! Cluster dumps: the live state given with `--cluster`.
//!
//! Accepted shapes, in any mix, each `--cluster` path being a file or a folder:
//!
//! * `kubectl get … -o json`: a `List` (or a typed `XxxList` from the raw API, whose items may
//!   omit `apiVersion` and `kind`; they are filled in from the list) with `items`;
//! * a single object in JSON, or several JSON values one after the other (`kubectl get -o json`
//!   run several times into one file);
//! * `kubectl get … -o yaml` (a `List`), multi-document YAML, or a single YAML object;
//! * a folder of such files, walked recursively in sorted order (`*.json`, `*.yaml`, `*.yml`).
//!
//! JSON is read in two phases, so that a 300 MB dump costs little more than its own size: first
//! a borrowed index of the items (`apiVersion`, `kind`, `metadata.namespace`/`name` as borrowed
//! strings plus the item's `&RawValue`, see [`index_json`]); then, in parallel with rayon, each
//! item is checked to parse as a [`serde_json::Value`] would, without being built, and only
//! its [`LiveHead`] (labels, annotations, owner references, uid) is kept. The file's text stays
//! in memory, shared by its objects, each of which is parsed the first time it is used (see
//! [`LiveObject`]); an item that cannot be parsed is reported when the dump is loaded.
//! YAML goes through the project's YAML loader ([`super::yaml`]) and is converted with
//! Kubernetes' scalar rules, exactly like manifests of the checkout.
//!
//! Problems never quote the dump's content (a dump holds Secrets); they name the file, the line
//! and column when known, and what to do.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::discover::is_manifest_name;
use super::source::{bytes_to_text, FileError};
use super::yaml::{parse_stream_with, Limits, Node};
use crate::model::cluster::Cluster;
use crate::model::key::ObjectKey;
use crate::model::object::{LiveHead, LiveObject};

/// Default size limit for one dump file (4 GiB). Dumps are held in memory whole; the limit
/// only stops a wrong path (a disk image, a log) from exhausting memory.
pub const DEFAULT_MAX_DUMP_SIZE: u64 = 4 * 1024 * 1024 * 1024;

/// Options for [`load_dumps_with`].
#[derive(Debug, Clone, Copy)]
pub struct DumpOptions {
    /// Largest dump file read, in bytes.
    pub max_file_size: u64,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            max_file_size: DEFAULT_MAX_DUMP_SIZE,
        }
    }
}

/// Something wrong with a dump, located as precisely as known. The message never quotes the
/// dump's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpProblem {
    /// The dump file (or the path as given on the command line, when it cannot be read).
    pub path: String,
    /// Line (1-based), when known.
    pub line: Option<u32>,
    /// Column (1-based), when known.
    pub col: Option<u32>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl DumpProblem {
    fn new(path: &str, line: Option<u32>, col: Option<u32>, message: impl Into<String>) -> Self {
        DumpProblem {
            path: path.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

impl fmt::Display for DumpProblem {
    /// `path:line:col: message` (line and column only when known).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.col {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// The result of loading cluster dumps.
#[derive(Debug, Default)]
pub struct DumpLoad {
    /// Every object found, in file order then item order. Duplicates are kept here;
    /// [`Cluster::new`] keeps the one read last.
    pub objects: Vec<LiveObject>,
    /// Every dump file found (folders expanded), in the order read; [`LiveObject::source`]
    /// indexes this list.
    pub sources: Vec<String>,
    /// Entries that were skipped (an item that is not a Kubernetes object, a nested `List`);
    /// the rest of the dump is usable.
    pub problems: Vec<DumpProblem>,
    /// Dumps that could not be read completely: a missing or unreadable path, a binary or
    /// non-UTF-8 file, a syntax error, a file or folder without any object. The live state is
    /// then incomplete, and the command line exits with status 2. Objects read before a syntax
    /// error are still in [`DumpLoad::objects`].
    pub fatal: Vec<DumpProblem>,
}

impl DumpLoad {
    /// Whether some dump could not be read completely.
    pub fn is_fatal(&self) -> bool {
        !self.fatal.is_empty()
    }

    /// The live state, indexed by identity.
    pub fn into_cluster(self) -> Cluster {
        Cluster::new(self.objects, self.sources)
    }

    fn append(&mut self, other: DumpLoad) {
        let base = self.sources.len();
        self.sources.extend(other.sources);
        self.objects.extend(other.objects.into_iter().map(|mut o| {
            o.source += base;
            o
        }));
        self.problems.extend(other.problems);
        self.fatal.extend(other.fatal);
    }
}

/// Loads the dumps given with `--cluster` with the default [`DumpOptions`].
pub fn load_dumps(paths: &[PathBuf]) -> DumpLoad {
    load_dumps_with(paths, &DumpOptions::default())
}

/// Loads the dumps given with `--cluster`: files and folders, in the order given.
pub fn load_dumps_with(paths: &[PathBuf], opts: &DumpOptions) -> DumpLoad {
    let mut out = DumpLoad::default();
    for path in paths {
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.fatal.push(DumpProblem::new(
                    &shown,
                    None,
                    None,
                    format!("cannot read the cluster dump: {e}; check the --cluster path"),
                ));
                continue;
            }
        };
        let files = if meta.is_dir() {
            let (files, errors) = dump_files_in(path);
            out.fatal.extend(errors);
            if files.is_empty() {
                out.fatal.push(DumpProblem::new(
                    &shown,
                    None,
                    None,
                    "this folder holds no *.json, *.yaml or *.yml file; \
                     point --cluster at the output of `kubectl get -o json|yaml`",
                ));
            }
            files
        } else {
            vec![path.clone()]
        };
        // Files are independent: read them in parallel, merge them in order.
        let loads: Vec<DumpLoad> = files
            .par_iter()
            .map(|f| load_dump_file(f, opts.max_file_size))
            .collect();
        for l in loads {
            out.append(l);
        }
    }
    out
}

/// The dump files of a folder, recursively, sorted; walk errors are fatal problems.
fn dump_files_in(dir: &Path) -> (Vec<PathBuf>, Vec<DumpProblem>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(true)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                if e.file_type().is_some_and(|t| t.is_file())
                    && is_manifest_name(&e.file_name().to_string_lossy())
                {
                    files.push(e.into_path());
                }
            }
            Err(e) => {
                let path = match &e {
                    ignore::Error::WithPath { path, .. } => path.display().to_string(),
                    _ => dir.display().to_string(),
                };
                errors.push(DumpProblem::new(
                    &path,
                    None,
                    None,
                    format!("cannot read part of the cluster dump folder: {e}"),
                ));
            }
        }
    }
    (files, errors)
}

/// Reads one dump file; every problem is reported against it.
fn load_dump_file(path: &Path, limit: u64) -> DumpLoad {
    let shown = path.display().to_string();
    match read_limited(path, limit) {
        Ok(bytes) => {
            let mut l = parse_dump(&shown, bytes);
            // Entries were skipped and none was a Kubernetes object: this is not a dump, and
            // reading it as an empty cluster would report every object missing.
            if l.objects.is_empty() && l.fatal.is_empty() && !l.problems.is_empty() {
                let skipped = std::mem::take(&mut l.problems);
                let first = &skipped[0];
                l.fatal.push(DumpProblem::new(
                    &shown,
                    first.line,
                    first.col,
                    format!(
                        "no Kubernetes object in this dump ({} entr{} skipped, the first: {}); \
                         point --cluster at the output of `kubectl get -o json|yaml`",
                        skipped.len(),
                        if skipped.len() == 1 { "y" } else { "ies" },
                        first.message
                    ),
                ));
            }
            l
        }
        Err(e) => DumpLoad {
            sources: vec![shown.clone()],
            fatal: vec![file_error(&shown, &e)],
            ..DumpLoad::default()
        },
    }
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| FileError::Io(e.to_string()))?;
    let size = file
        .metadata()
        .map_err(|e| FileError::Io(e.to_string()))?
        .len();
    if size > limit {
        return Err(FileError::TooLarge { size, limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

fn file_error(path: &str, e: &FileError) -> DumpProblem {
    let (line, col) = match e {
        FileError::Binary { line } => (Some(*line), None),
        FileError::InvalidUtf8 { line, col } => (Some(*line), Some(*col)),
        _ => (None, None),
    };
    let message = match e {
        FileError::TooLarge { size, limit } => format!(
            "the cluster dump is {size} bytes, above the {limit}-byte limit; \
             split it into several files (a folder of dumps is accepted)"
        ),
        other => other.to_string(),
    };
    DumpProblem::new(path, line, col, message)
}

/// Parses the bytes of one dump file. `label` names it in problems and in
/// [`DumpLoad::sources`] (objects get source 0). JSON or YAML is chosen by content: text that
/// starts with `{` or `[` is read as JSON (falling back to YAML unless `label` ends with
/// `.json`), anything else as YAML.
pub fn parse_dump(label: &str, bytes: Vec<u8>) -> DumpLoad {
    let mut out = DumpLoad {
        sources: vec![label.to_string()],
        ..DumpLoad::default()
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) if !t.as_bytes().contains(&0) => t,
        Ok(t) => {
            let e = bytes_to_text(t.into_bytes()).err();
            let e = e.unwrap_or(FileError::Binary { line: 1 });
            out.fatal.push(file_error(label, &e));
            return out;
        }
        Err(e) => {
            let e = bytes_to_text(e.into_bytes()).err();
            let e = e.unwrap_or(FileError::InvalidUtf8 { line: 1, col: 1 });
            out.fatal.push(file_error(label, &e));
            return out;
        }
    };
    let text = Arc::new(text);
    let bom = text.starts_with('\u{feff}');
    let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = body.trim_start().as_bytes().first().copied();
    let says_json = label.to_ascii_lowercase().ends_with(".json");
    if matches!(first, Some(b'{' | b'[')) || (says_json && first.is_some()) {
        let json = parse_json_dump(label, &text, bom);
        if json.fatal.is_empty() || says_json {
            return json;
        }
        // Flow-style YAML (`{a: b}`) starts like JSON; give YAML a chance before failing.
        let yaml = parse_yaml_dump(label, &text);
        return if yaml.fatal.is_empty() { yaml } else { json };
    }
    parse_yaml_dump(label, &text)
}

// ---------------------------------------------------------------------------------------------
// JSON

/// One item of a JSON dump, indexed without being parsed.
#[derive(Debug, Clone)]
pub struct IndexedItem<'a> {
    /// `apiVersion` (from the list for typed lists whose items omit it); empty if absent.
    pub api_version: Cow<'a, str>,
    /// `kind` (from the list for typed lists); empty if absent.
    pub kind: Cow<'a, str>,
    /// `metadata.namespace`, empty if absent.
    pub namespace: Cow<'a, str>,
    /// `metadata.name`, empty if absent.
    pub name: Cow<'a, str>,
    /// Whether `apiVersion` and `kind` were taken from the enclosing typed list; they must then
    /// be added to the object.
    pub inherited: bool,
    /// Whether the item is itself a `List` (not supported inside a list).
    pub is_list: bool,
    /// The item's JSON text.
    pub raw: &'a RawValue,
    /// Byte offset of the item in the indexed text.
    pub offset: usize,
}

/// A JSON value of a dump that is neither a Kubernetes object nor a List.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAnObject {
    /// Byte offset of the value in the indexed text.
    pub offset: usize,
}

/// The borrowed index of a JSON dump (phase 1).
#[derive(Debug, Default)]
pub struct JsonIndex<'a> {
    /// Items of every List, and every top-level object, in file order.
    pub items: Vec<IndexedItem<'a>>,
    /// Top-level values that are not objects, or `List`s whose `items` is not an array.
    pub rejected: Vec<NotAnObject>,
    /// Number of top-level JSON values read (an empty `List` counts: it is a valid dump).
    pub values: usize,
}

/// A JSON syntax error, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonSyntaxError {
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub col: u32,
    /// What serde_json found (a syntax description; never the content).
    pub message: String,
}

/// Phase 1 of JSON loading: indexes the items of every JSON value in `text` (one or several
/// values, each a List or an object) without building them. Items are `&RawValue`s borrowed
/// from `text`; their identity fields are borrowed too when they have no escapes.
///
/// On a syntax error the items indexed before it are returned with the error.
pub fn index_json(text: &str) -> (JsonIndex<'_>, Option<JsonSyntaxError>) {
    let mut index = JsonIndex::default();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Top<'_>>();
    let mut tops: Vec<(usize, Top<'_>)> = Vec::new();
    let mut error = None;
    loop {
        let before = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(top)) => {
                let offset = before + leading_ws(&text[before..]);
                tops.push((offset, top));
            }
            Some(Err(e)) => {
                error = Some(syntax_error(&e));
                break;
            }
        }
    }
    index.values = tops.len();
    for (offset, top) in tops {
        let (head, items) = match top {
            Top::Other => {
                index.rejected.push(NotAnObject { offset });
                continue;
            }
            Top::Object { head, items } => (head, items),
        };
        let list_like = head.kind.as_deref().is_none_or(|k| k.ends_with("List"));
        match items {
            Some(ItemsField::NotArray) if list_like => {
                index.rejected.push(NotAnObject { offset });
            }
            Some(items) if list_like => index_list(text, &head, &items, &mut index),
            _ => {
                // A single object: its text is the value's extent.
                match object_slice(text, offset) {
                    Some(raw) => index.items.push(indexed(head, false, raw, offset)),
                    None => index.rejected.push(NotAnObject { offset }),
                }
            }
        }
    }
    (index, error)
}

/// The text of the JSON value starting at `offset`: parses one value from there.
fn object_slice(text: &str, offset: usize) -> Option<&RawValue> {
    let rest = text.get(offset..)?;
    let mut de = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
    de.next()?.ok()
}

/// Indexes the items of a List in parallel. Items of a typed list (`DeploymentList`) that
/// omit `kind` and `apiVersion` get them from the list.
fn index_list<'a>(
    text: &'a str,
    list: &Head<'a>,
    items: &ItemsField<'a>,
    index: &mut JsonIndex<'a>,
) {
    let list_api = list.api_version.as_deref();
    let item_kind = list
        .kind
        .as_deref()
        .filter(|k| *k != "List")
        .and_then(|k| k.strip_suffix("List"));
    let entries: Vec<IndexedItem<'a>> = items
        .par_iter()
        .map(|raw| {
            let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            let (head, has_items) = match serde_json::from_str::<Top<'a>>(raw.get()) {
                Ok(Top::Object { head, items }) => (head, items.is_some()),
                _ => (Head::default(), false),
            };
            let mut item = indexed(head, has_items, raw, offset);
            if item.kind.is_empty() {
                if let Some(k) = item_kind {
                    item.kind = Cow::Owned(k.to_string());
                    item.inherited = true;
                    if item.api_version.is_empty() {
                        if let Some(api) = list_api {
                            item.api_version = Cow::Owned(api.to_string());
                        }
                    }
                }
            }
            item
        })
        .collect();
    index.items.extend(entries);
}

fn indexed<'a>(
    head: Head<'a>,
    has_items: bool,
    raw: &'a RawValue,
    offset: usize,
) -> IndexedItem<'a> {
    let kind = head.kind.unwrap_or_default();
    let is_list = has_items && (kind.is_empty() || kind.ends_with("List"));
    IndexedItem {
        api_version: head.api_version.unwrap_or_default(),
        kind,
        namespace: head.namespace.unwrap_or_default(),
        name: head.name.unwrap_or_default(),
        inherited: false,
        is_list,
        raw,
        offset,
    }
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t', '\n', '\r']).len()
}

fn syntax_error(e: &serde_json::Error) -> JsonSyntaxError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Eof => "the JSON ends too early; the file looks truncated".to_string(),
        Category::Syntax => {
            // serde_json's syntax messages describe the grammar, never the content; drop the
            // position it appends, we report our own.
            let m = e.to_string();
            let m = m.split(" at line ").next().unwrap_or("").to_string();
            format!("invalid JSON: {m}")
        }
        Category::Io | Category::Data => "invalid JSON".to_string(),
    };
    JsonSyntaxError {
        line: u32::try_from(e.line()).unwrap_or(u32::MAX),
        col: u32::try_from(e.column()).unwrap_or(u32::MAX),
        message,
    }
}

/// Lines of a text, computed once when a problem needs one.
struct Lines<'a> {
    text: &'a str,
    starts: Option<Vec<usize>>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { text, starts: None }
    }

    fn line(&mut self, offset: usize) -> u32 {
        let text = self.text;
        let starts = self.starts.get_or_insert_with(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let i = starts.partition_point(|&s| s <= offset);
        u32::try_from(i.max(1)).unwrap_or(u32::MAX)
    }

    /// Line and column (in characters) of a byte offset.
    fn line_col(&mut self, offset: usize) -> (u32, u32) {
        let line = self.line(offset);
        let start = self
            .starts
            .as_ref()
            .and_then(|s| s.get(line as usize - 1))
            .copied()
            .unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.chars().count());
        (line, u32::try_from(col + 1).unwrap_or(u32::MAX))
    }
}

fn parse_json_dump(label: &str, text: &Arc<String>, bom: bool) -> DumpLoad {
    let mut out = DumpLoad {
        sources: vec![label.to_string()],
        ..DumpLoad::default()
    };
    let body = if bom {
        text.get('\u{feff}'.len_utf8()..).unwrap_or("")
    } else {
        text.as_str()
    };
    let (index, error) = index_json(body);
    let mut lines = Lines::new(body);
    for r in &index.rejected {
        out.problems.push(DumpProblem::new(
            label,
            Some(lines.line(r.offset)),
            None,
            "not a Kubernetes object or List (expected `kubectl get -o json` output); skipped",
        ));
    }
    let found = index.values;
    // Phase 2: check and build the objects in parallel.
    let built: Vec<Result<LiveObject, ItemFailure>> = index
        .items
        .par_iter()
        .map(|item| build_json_item(item, text))
        .collect();
    for b in built {
        match b {
            Ok(o) => out.objects.push(o),
            Err(ItemFailure::Skipped(offset, msg)) => {
                out.problems
                    .push(DumpProblem::new(label, Some(lines.line(offset)), None, msg));
            }
            Err(ItemFailure::Unreadable(offset, e)) => {
                // The error's position is relative to the item's text.
                let (line, col) = lines.line_col(offset);
                let (line, col) = if e.line <= 1 {
                    (line, col + e.col.saturating_sub(1))
                } else {
                    (line + e.line - 1, e.col)
                };
                out.fatal.push(DumpProblem::new(
                    label,
                    Some(line),
                    Some(col),
                    format!(
                        "{}; this object cannot be read, so the live state would be \
                         incomplete",
                        e.message
                    ),
                ));
            }
        }
    }
    if let Some(e) = error {
        let col = if bom && e.line == 1 { e.col + 1 } else { e.col };
        out.fatal.push(DumpProblem::new(
            label,
            Some(e.line),
            Some(col),
            format!(
                "{}; the cluster dump cannot be read completely, regenerate it with \
                 `kubectl get -o json`",
                e.message
            ),
        ));
    } else if found == 0 {
        out.fatal.push(empty_dump(label));
    }
    out
}

fn empty_dump(label: &str) -> DumpProblem {
    DumpProblem::new(
        label,
        None,
        None,
        "the cluster dump holds no objects (is the file empty? did the kubectl command fail?)",
    )
}

/// Why an indexed item did not become an object.
enum ItemFailure {
    /// Not a Kubernetes object: skipped, the rest of the dump is fine.
    Skipped(usize, String),
    /// A Kubernetes object that cannot be parsed (nesting beyond serde_json's limit).
    Unreadable(usize, JsonSyntaxError),
}

/// Phase 2 for one item: checks that it parses and reads its head, without building the
/// rest. The object keeps the byte range of its JSON in `text` and is parsed on first use.
fn build_json_item(item: &IndexedItem<'_>, text: &Arc<String>) -> Result<LiveObject, ItemFailure> {
    if item.is_list {
        return Err(ItemFailure::Skipped(item.offset, nested_list_message()));
    }
    check_identity(&item.api_version, &item.kind, &item.name)
        .map_err(|m| ItemFailure::Skipped(item.offset, m))?;
    let key = ObjectKey::new(&item.api_version, &item.kind, &item.namespace, &item.name);
    let json = item.raw.get();
    let start = (json.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    let range = start..start.saturating_add(json.len());
    let in_text = text
        .get(range.clone())
        .is_some_and(|t| t.as_ptr() == json.as_ptr());
    if in_text {
        if let Ok(ItemHead(fields)) = serde_json::from_str::<ItemHead>(json) {
            return Ok(LiveObject::from_json(
                key,
                item.api_version.to_string(),
                0,
                Arc::clone(text),
                range,
                item.inherited,
                fields.head(),
            ));
        }
    }
    // The check failed (or met something it leaves to the full parser): parse the object
    // now, which gives the error, or the object when the check was only cautious.
    let mut obj: Value = serde_json::from_str(json)
        .map_err(|e| ItemFailure::Unreadable(item.offset, syntax_error(&e)))?;
    if item.inherited {
        add_list_identity(&mut obj, item);
    }
    Ok(LiveObject::new(key, item.api_version.to_string(), obj, 0))
}

/// Adds the `apiVersion` and `kind` a typed list gives its items.
fn add_list_identity(obj: &mut Value, item: &IndexedItem<'_>) {
    if let Value::Object(m) = obj {
        m.insert(
            "apiVersion".into(),
            Value::String(item.api_version.to_string()),
        );
        m.insert("kind".into(), Value::String(item.kind.to_string()));
    }
}

fn nested_list_message() -> String {
    "a List inside a List is not supported; dump each list to its own file".to_string()
}

/// Checks that an item has the identity of a Kubernetes object.
fn check_identity(api_version: &str, kind: &str, name: &str) -> Result<(), String> {
    let missing: Vec<&str> = [
        ("apiVersion", api_version),
        ("kind", kind),
        ("metadata.name", name),
    ]
    .iter()
    .filter(|(_, v)| v.is_empty())
    .map(|(f, _)| *f)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "not a Kubernetes object (no {}); skipped",
            missing.join(", ")
        ))
    }
}

/// The parts of a JSON value that phase 1 reads; everything else is skipped unparsed.
enum Top<'a> {
    /// A JSON object.
    Object {
        head: Head<'a>,
        items: Option<ItemsField<'a>>,
    },
    /// Any other JSON value.
    Other,
}

#[derive(Default)]
struct Head<'a> {
    api_version: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    namespace: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

enum ItemsField<'a> {
    Array(Vec<&'a RawValue>),
    /// `items: null`, as some tools write an empty list.
    Null,
    NotArray,
}

impl<'a> ItemsField<'a> {
    fn par_iter(&self) -> rayon::slice::Iter<'_, &'a RawValue> {
        match self {
            ItemsField::Array(v) => v.par_iter(),
            _ => [].par_iter(),
        }
    }
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TopVisitor)
    }
}

struct TopVisitor;

/// Accepts any JSON value without failing on its type (a wrong type must become a problem
/// that does not quote the content, not a serde error that does).
macro_rules! other_scalars {
    ($out:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($out)
        }
    };
}

impl<'de> Visitor<'de> for TopVisitor {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    other_scalars!(Top::Other);

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut head = Head::default();
        let mut items = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "apiVersion" => head.api_version = map.next_value::<MaybeStr<'de>>()?.0,
                "kind" => head.kind = map.next_value::<MaybeStr<'de>>()?.0,
                "metadata" => {
                    let meta = map.next_value::<Meta<'de>>()?;
                    head.namespace = meta.namespace;
                    head.name = meta.name;
                }
                "items" => items = Some(map.next_value::<ItemsField<'de>>()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Top::Object { head, items })
    }
}

/// A string, or `None` for any other JSON value.
struct MaybeStr<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MaybeStr(None))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(MaybeStr(Some(Cow::Owned(s.to_string()))))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MaybeStr(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `metadata.namespace` and `metadata.name`; anything that is not a mapping gives neither.
#[derive(Default)]
struct Meta<'a> {
    namespace: Option<Cow<'a, str>>,
    name: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for Meta<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Meta<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            other_scalars!(Meta::default());
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut meta = Meta::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "namespace" => meta.namespace = map.next_value::<MaybeStr<'de>>()?.0,
                        "name" => meta.name = map.next_value::<MaybeStr<'de>>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(meta)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for ItemsField<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemsField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ItemsField::NotArray)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ItemsField::NotArray)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ItemsField::NotArray)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ItemsField::NotArray)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(ItemsField::NotArray)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ItemsField::Null)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ItemsField::NotArray)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(raw) = seq.next_element::<&'de RawValue>()? {
                    items.push(raw);
                }
                Ok(ItemsField::Array(items))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// JSON, phase 2: the head of an item, and a check that the rest parses

/// The key serde_json reserves, as the first key of an object, for its own raw values; a
/// [`Value`] parses such an object differently, so the check leaves it to the full parser.
const RESERVED_KEY: &str = "$serde_json::private::RawValue";

/// The [`LiveHead`] fields of an item's `metadata`, read while the rest of the item is checked
/// to parse exactly as a [`Value`] would (same grammar, same nesting limit, same numbers and
/// strings) but not built.
struct ItemHead(MetaFields);

/// `metadata.labels`, `.annotations`, `.ownerReferences` and `.uid`, as they are.
#[derive(Default)]
struct MetaFields {
    labels: Option<Value>,
    annotations: Option<Value>,
    owners: Option<Value>,
    uid: Option<Value>,
}

impl MetaFields {
    fn head(&self) -> LiveHead {
        LiveHead::from_fields(
            self.labels.as_ref(),
            self.annotations.as_ref(),
            self.owners.as_ref(),
            self.uid.as_ref(),
        )
    }
}

/// A checked JSON value, not built.
struct Checked;

/// Whether an object key is [`RESERVED_KEY`] (read without allocating).
struct IsReserved(bool);

/// A key of an item's top level.
enum HeadKey {
    Metadata,
    Reserved,
    Other,
}

/// A key of an item's `metadata`.
enum MetaKey {
    Labels,
    Annotations,
    OwnerReferences,
    Uid,
    Reserved,
    Other,
}

fn reserved<E: de::Error>() -> E {
    E::custom("reserved key")
}

impl<'de> Deserialize<'de> for ItemHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemHead;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = MetaFields::default();
                let mut first = true;
                while let Some(key) = map.next_key::<HeadKey>()? {
                    match key {
                        HeadKey::Reserved if first => return Err(reserved()),
                        // As in a `Value`, the last `metadata` wins.
                        HeadKey::Metadata => fields = map.next_value::<MetaHead>()?.0,
                        HeadKey::Reserved | HeadKey::Other => {
                            map.next_value::<Checked>()?;
                        }
                    }
                    first = false;
                }
                Ok(ItemHead(fields))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for HeadKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = HeadKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(match s {
                    "metadata" => HeadKey::Metadata,
                    RESERVED_KEY => HeadKey::Reserved,
                    _ => HeadKey::Other,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for MetaKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MetaKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(match s {
                    "labels" => MetaKey::Labels,
                    "annotations" => MetaKey::Annotations,
                    "ownerReferences" => MetaKey::OwnerReferences,
                    "uid" => MetaKey::Uid,
                    RESERVED_KEY => MetaKey::Reserved,
                    _ => MetaKey::Other,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The [`MetaFields`] of `metadata` (none when it is not an object).
struct MetaHead(MetaFields);

impl<'de> Deserialize<'de> for MetaHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MetaHead;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<Checked>()?.is_some() {}
                Ok(MetaHead(MetaFields::default()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut fields = MetaFields::default();
                let mut first = true;
                while let Some(key) = map.next_key::<MetaKey>()? {
                    // As in a `Value`, the last of duplicate keys wins.
                    match key {
                        MetaKey::Reserved if first => return Err(reserved()),
                        MetaKey::Labels => fields.labels = Some(map.next_value()?),
                        MetaKey::Annotations => fields.annotations = Some(map.next_value()?),
                        MetaKey::OwnerReferences => fields.owners = Some(map.next_value()?),
                        MetaKey::Uid => fields.uid = Some(map.next_value()?),
                        MetaKey::Reserved | MetaKey::Other => {
                            map.next_value::<Checked>()?;
                        }
                    }
                    first = false;
                }
                Ok(MetaHead(fields))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for IsReserved {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IsReserved;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(IsReserved(s == RESERVED_KEY))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Checked;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Checked)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<Checked>()?.is_some() {}
                Ok(Checked)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut first = true;
                while let Some(IsReserved(r)) = map.next_key::<IsReserved>()? {
                    if first && r {
                        return Err(reserved());
                    }
                    first = false;
                    map.next_value::<Checked>()?;
                }
                Ok(Checked)
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// YAML

fn parse_yaml_dump(label: &str, text: &str) -> DumpLoad {
    let mut out = DumpLoad {
        sources: vec![label.to_string()],
        ..DumpLoad::default()
    };
    // A kubectl YAML List is one document, so the node budget (against alias bombs) grows with
    // the file: without aliases a node takes several bytes of text.
    let limits = Limits {
        max_nodes: Limits::default().max_nodes.max(text.len() / 4),
        ..Limits::default()
    };
    let (docs, error) = parse_stream_with(text, limits);
    let mut found = 0usize;
    for doc in &docs {
        let Some(root) = &doc.root else { continue };
        found += 1;
        let line = Some(root.span.start.line);
        match yaml_list_items(root) {
            YamlShape::List(items) => {
                let (api, item_kind) = list_identity(root);
                for item in items {
                    push_yaml_object(
                        &mut out,
                        label,
                        item,
                        Some((api.as_deref(), item_kind.as_deref())),
                    );
                }
            }
            YamlShape::Object => push_yaml_object(&mut out, label, root, None),
            YamlShape::BadItems | YamlShape::NotObject => out.problems.push(DumpProblem::new(
                label,
                line,
                None,
                "not a Kubernetes object or List (expected `kubectl get -o yaml` output); \
                 skipped",
            )),
        }
    }
    if let Some(e) = error {
        out.fatal.push(DumpProblem::new(
            label,
            Some(e.at.line),
            Some(e.at.col),
            format!(
                "{}; the cluster dump cannot be read completely, regenerate it with \
                 `kubectl get -o yaml`",
                e.message
            ),
        ));
    } else if found == 0 {
        out.fatal.push(empty_dump(label));
    }
    out
}

enum YamlShape<'a> {
    List(&'a [Node]),
    Object,
    BadItems,
    NotObject,
}

fn yaml_list_items(root: &Node) -> YamlShape<'_> {
    if root.entries().is_none() {
        return YamlShape::NotObject;
    }
    let kind = root.get("kind").and_then(Node::as_str);
    let Some(items) = root.get("items") else {
        return YamlShape::Object;
    };
    if !kind.is_none_or(|k| k.ends_with("List")) {
        return YamlShape::Object;
    }
    match &items.value {
        super::yaml::NodeValue::Seq(items) => YamlShape::List(items),
        super::yaml::NodeValue::Null => YamlShape::List(&[]),
        _ => YamlShape::BadItems,
    }
}

/// The `apiVersion` and item kind a typed list (`DeploymentList`) gives items that omit them.
fn list_identity(root: &Node) -> (Option<String>, Option<String>) {
    let api = root
        .get("apiVersion")
        .and_then(Node::as_str)
        .map(str::to_string);
    let kind = root
        .get("kind")
        .and_then(Node::as_str)
        .filter(|k| *k != "List")
        .and_then(|k| k.strip_suffix("List"))
        .map(str::to_string);
    (api, kind)
}

fn push_yaml_object(
    out: &mut DumpLoad,
    label: &str,
    node: &Node,
    list: Option<(Option<&str>, Option<&str>)>,
) {
    let line = Some(node.span.start.line);
    let col = Some(node.span.start.col);
    let mut obj = node.to_json();
    let Value::Object(map) = &mut obj else {
        out.problems.push(DumpProblem::new(
            label,
            line,
            col,
            "a list item is not a Kubernetes object; skipped",
        ));
        return;
    };
    let str_of = |m: &serde_json::Map<String, Value>, k: &str| {
        m.get(k).and_then(Value::as_str).unwrap_or("").to_string()
    };
    let kind_here = str_of(map, "kind");
    if list.is_some()
        && map.contains_key("items")
        && (kind_here.is_empty() || kind_here.ends_with("List"))
    {
        out.problems
            .push(DumpProblem::new(label, line, col, nested_list_message()));
        return;
    }
    if let Some((api, Some(kind))) = list {
        if str_of(map, "kind").is_empty() {
            map.insert("kind".into(), Value::String(kind.to_string()));
            if str_of(map, "apiVersion").is_empty() {
                if let Some(api) = api {
                    map.insert("apiVersion".into(), Value::String(api.to_string()));
                }
            }
        }
    }
    let api_version = str_of(map, "apiVersion");
    let kind = str_of(map, "kind");
    let meta = map.get("metadata");
    let meta_field = |f: &str| {
        meta.and_then(|m| m.get(f))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (namespace, name) = (meta_field("namespace"), meta_field("name"));
    if let Err(m) = check_identity(&api_version, &kind, &name) {
        out.problems.push(DumpProblem::new(label, line, col, m));
        return;
    }
    out.objects.push(LiveObject::new(
        ObjectKey::new(&api_version, &kind, &namespace, &name),
        api_version,
        obj,
        0,
    ));
}
