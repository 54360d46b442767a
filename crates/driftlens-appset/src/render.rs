//! `Replace`: one string rendered against one parameter set, in either template mode.
//!
//! - **fasttemplate** (`goTemplate` false): a string without `{{…}}` on one line is left
//!   alone; otherwise every `{{tag}}` whose trimmed text names a string parameter is replaced
//!   verbatim, and any other tag is kept as written.
//! - **Go templates** (`goTemplate: true`): the string is parsed as a template named `base`
//!   with Sprig's functions (minus `env`, `expandenv`, `getHostByName`) and the controller's
//!   own (`normalize`, `slugify`, `toYaml`, `fromYaml`, `fromYamlArray`), the
//!   `goTemplateOptions` applied, and executed with the parameters as its dot.
//!
//! Parsed templates are cached per text; the work of all executions of one ApplicationSet
//! shares one budget.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use driftlens_gotmpl::funcs::{arity, arity_min, FnErr, Func};
use driftlens_gotmpl::value::Map;
use driftlens_gotmpl::{Dialect, ErrorKind, ExecState, Limits, MissingKey, TemplateSet, Value};

use crate::names;

/// Which options a rendering uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Options {
    /// The ApplicationSet's `goTemplateOptions`.
    Spec,
    /// The ApplicationSet's options with `missingkey=error` forced: a matrix child's `values`
    /// are pre-resolved this way.
    MissingKeyError,
}

/// A parsed template, or why it does not parse.
type Parsed = Rc<Result<TemplateSet, String>>;

/// Renders strings for one ApplicationSet.
pub struct Renderer {
    go: bool,
    options: Vec<String>,
    cache: RefCell<HashMap<(Options, String), Parsed>>,
    options_error: Option<String>,
    state: RefCell<ExecState>,
    nondeterministic: RefCell<BTreeSet<String>>,
}

/// Go's builtins, Sprig's generic functions without `env`, `expandenv` and `getHostByName`,
/// and the controller's additions: every function an ApplicationSet template may call.
pub const FUNCTIONS: &[&str] = &[
    // text/template
    "and",
    "or",
    "not",
    "len",
    "index",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "call",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    // sprig v3.3.0 GenericFuncMap
    "hello",
    "ago",
    "date",
    "date_in_zone",
    "date_modify",
    "dateInZone",
    "dateModify",
    "duration",
    "durationRound",
    "htmlDate",
    "htmlDateInZone",
    "must_date_modify",
    "mustDateModify",
    "mustToDate",
    "now",
    "toDate",
    "unixEpoch",
    "abbrev",
    "abbrevboth",
    "trunc",
    "trim",
    "upper",
    "lower",
    "title",
    "untitle",
    "substr",
    "repeat",
    "trimall",
    "trimAll",
    "trimSuffix",
    "trimPrefix",
    "nospace",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "cat",
    "indent",
    "nindent",
    "replace",
    "plural",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "adler32sum",
    "toString",
    "atoi",
    "int64",
    "int",
    "float64",
    "seq",
    "toDecimal",
    "until",
    "untilStep",
    "add1",
    "add",
    "sub",
    "div",
    "mod",
    "mul",
    "randInt",
    "add1f",
    "addf",
    "subf",
    "divf",
    "mulf",
    "biggest",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "split",
    "splitList",
    "splitn",
    "toStrings",
    "join",
    "sortAlpha",
    "default",
    "empty",
    "coalesce",
    "all",
    "any",
    "compact",
    "mustCompact",
    "fromJson",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "mustFromJson",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "ternary",
    "deepCopy",
    "mustDeepCopy",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "base",
    "dir",
    "clean",
    "ext",
    "isAbs",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "b64enc",
    "b64dec",
    "b32enc",
    "b32dec",
    "tuple",
    "list",
    "dict",
    "get",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "mustMerge",
    "mustMergeOverwrite",
    "values",
    "append",
    "push",
    "mustAppend",
    "mustPush",
    "prepend",
    "mustPrepend",
    "first",
    "mustFirst",
    "rest",
    "mustRest",
    "last",
    "mustLast",
    "initial",
    "mustInitial",
    "reverse",
    "mustReverse",
    "uniq",
    "mustUniq",
    "without",
    "mustWithout",
    "has",
    "mustHas",
    "slice",
    "mustSlice",
    "concat",
    "dig",
    "chunk",
    "mustChunk",
    "bcrypt",
    "htpasswd",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "encryptAES",
    "decryptAES",
    "randBytes",
    "uuidv4",
    "semver",
    "semverCompare",
    "fail",
    "regexMatch",
    "mustRegexMatch",
    "regexFindAll",
    "mustRegexFindAll",
    "regexFind",
    "mustRegexFind",
    "regexReplaceAll",
    "mustRegexReplaceAll",
    "regexReplaceAllLiteral",
    "mustRegexReplaceAllLiteral",
    "regexSplit",
    "mustRegexSplit",
    "regexQuoteMeta",
    "urlParse",
    "urlJoin",
    // applicationset/utils
    "normalize",
    "slugify",
    "toYaml",
    "fromYaml",
    "fromYamlArray",
];

fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

fn text_arg(v: &Value) -> String {
    driftlens_gotmpl::funcs::strval(v)
}

fn function(name: &str) -> Option<Func> {
    Some(match name {
        "normalize" => |_, a| {
            arity("normalize", a, 1)?;
            Ok(Value::from(names::normalize(
                driftlens_gotmpl::funcs::s_arg(&a[0])?,
            )))
        },
        "slugify" => |_, a| {
            // Arguments are (maxLength, smartTruncate, name), the leading ones optional; Go
            // type-asserts each, so a wrong type panics inside the call.
            let conversion = |v: &Value, want: &str| {
                FnErr::Call(format!(
                    "interface conversion: interface {{}} is {}, not {want}",
                    v.type_name()
                ))
            };
            let Some(last) = a.last() else {
                return Ok(Value::from(String::new()));
            };
            let Value::Str(name) = last else {
                return Err(conversion(last, "string"));
            };
            let mut max = 50;
            let mut smart = true;
            if a.len() >= 2 {
                match &a[0] {
                    Value::Int(i) => max = *i,
                    other => return Err(conversion(other, "int")),
                }
            }
            if a.len() >= 3 {
                match &a[1] {
                    Value::Bool(b) => smart = *b,
                    other => return Err(conversion(other, "bool")),
                }
            }
            Ok(Value::from(names::slugify(name, max, smart)))
        },
        "toYaml" => |_, a| {
            arity("toYaml", a, 1)?;
            driftlens_gotmpl::yaml::to_yaml(&a[0])
                .map(Value::from)
                .map_err(|e| FnErr::Call(format!("error marshaling into JSON: {e}")))
        },
        "fromYaml" => |_, a| {
            arity("fromYaml", a, 1)?;
            match driftlens_gotmpl::yaml::load(&text_arg(&a[0])) {
                Ok(v @ Value::Map(_)) => Ok(v),
                Ok(Value::Nil) => Ok(Value::map(Map::new())),
                Ok(other) => Err(FnErr::Call(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    crate::params::json_kind(&other)
                ))),
                Err(e) => Err(FnErr::Call(e.0)),
            }
        },
        "fromYamlArray" => |_, a| {
            arity_min("fromYamlArray", a, 1)?;
            arity("fromYamlArray", a, 1)?;
            match driftlens_gotmpl::yaml::load(&text_arg(&a[0])) {
                Ok(v @ Value::List(_)) => Ok(v),
                Ok(Value::Nil) => Ok(Value::list(Vec::new())),
                Ok(other) => Err(FnErr::Call(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                    crate::params::json_kind(&other)
                ))),
                Err(e) => Err(FnErr::Call(e.0)),
            }
        },
        _ => return None,
    })
}

/// The ApplicationSet controller's template dialect.
pub const DIALECT: Dialect = Dialect {
    is_function,
    function,
};

/// Whether some line of `s` has `{{` followed by `}}` (the controller's `.*{{.*}}.*`).
fn is_templated(s: &str) -> bool {
    s.split('\n').any(|line| {
        line.find("{{")
            .is_some_and(|i| line[i + 2..].contains("}}"))
    })
}

/// Go's `%q` of a string (for fasttemplate's error).
fn go_quote(s: &str) -> String {
    driftlens_gotmpl::fmt::go_quote(s)
}

/// fasttemplate with the controller's tag function.
pub fn fasttemplate(tmpl: &str, params: &Map) -> Result<String, String> {
    if !is_templated(tmpl) {
        return Ok(tmpl.to_string());
    }
    // The template is parsed whole first: a `{{` without a later `}}` is an error.
    let mut out = String::with_capacity(tmpl.len());
    let mut rest = tmpl;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find("}}") else {
            return Err(format!(
                "invalid template: Cannot find end tag={} in the template={} starting from {}",
                go_quote("}}"),
                go_quote(tmpl),
                go_quote(after)
            ));
        };
        let tag = &after[..j];
        let trimmed = tag.trim();
        match params.get(trimmed) {
            Some(Value::Str(v)) if !trimmed.is_empty() => out.push_str(v),
            _ => {
                out.push_str("{{");
                out.push_str(tag);
                out.push_str("}}");
            }
        }
        rest = &after[j + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

impl Renderer {
    /// A renderer for an ApplicationSet's mode and options, with a template budget.
    pub fn new(go: bool, options: &[String], limits: Limits) -> Renderer {
        let options_error = options
            .iter()
            .find_map(|o| TemplateSet::new().option(o).err());
        Renderer {
            go,
            options: options.to_vec(),
            options_error,
            cache: RefCell::new(HashMap::new()),
            state: RefCell::new(ExecState::new(limits, 0)),
            nondeterministic: RefCell::new(BTreeSet::new()),
        }
    }

    /// Whether Go templates are used.
    pub fn go(&self) -> bool {
        self.go
    }

    /// Functions whose result is not reproducible that templates called (`now`, `rand*`, …).
    pub fn nondeterministic(&self) -> Vec<String> {
        self.nondeterministic.borrow().iter().cloned().collect()
    }

    /// Work units used so far.
    pub fn steps(&self) -> u64 {
        self.state.borrow().steps
    }

    fn template(&self, tmpl: &str, opts: Options) -> Parsed {
        let key = (opts, tmpl.to_string());
        if let Some(t) = self.cache.borrow().get(&key) {
            return t.clone();
        }
        let build = || -> Result<TemplateSet, String> {
            let mut set = TemplateSet::with_dialect(DIALECT);
            // Go's default; Helm sets `missingkey=zero`.
            set.set_missing_key(MissingKey::Invalid);
            let forced = ["missingkey=error".to_string()];
            let options: Vec<&String> = match opts {
                Options::Spec => self.options.iter().collect(),
                Options::MissingKeyError => self
                    .options
                    .iter()
                    .filter(|o| !o.starts_with("missingkey="))
                    .chain(forced.iter())
                    .collect(),
            };
            for o in options {
                set.option(o)?;
            }
            set.add("base", tmpl)
                .map_err(|e| format!("failed to parse template {tmpl}: {}", e.go_message()))?;
            Ok(set)
        };
        let t = Rc::new(build());
        let mut cache = self.cache.borrow_mut();
        if cache.len() > 50_000 {
            cache.clear();
        }
        cache.insert(key, t.clone());
        t
    }

    /// Renders `tmpl` with a parameter set: `params` for fasttemplate, `dot` (the same
    /// parameters as one map value, shared by every string of an Application) for Go
    /// templates.
    pub fn replace(
        &self,
        tmpl: &str,
        params: &Map,
        dot: &Value,
        opts: Options,
    ) -> Result<String, String> {
        if !self.go {
            return fasttemplate(tmpl, params);
        }
        if let Some(e) = &self.options_error {
            return Err(e.clone());
        }
        if !tmpl.contains("{{") {
            return Ok(tmpl.to_string());
        }
        let t = self.template(tmpl, opts);
        let set = match &*t {
            Ok(set) => set,
            Err(e) => return Err(e.clone()),
        };
        let mut state = self.state.borrow_mut();
        let before = state.nondet.len();
        let r = set.execute("base", dot.clone(), &mut state);
        for n in state.nondet.drain(before..) {
            self.nondeterministic.borrow_mut().insert(n.function);
        }
        match r {
            Ok((text, _)) => Ok(text),
            Err(e) => {
                let mut e = *e;
                if e.kind == ErrorKind::Fail {
                    e.msg = format!("error calling fail: {}", e.msg);
                }
                let limit = e.kind == ErrorKind::Limit;
                let msg = format!("failed to execute go template {tmpl}: {}", e.go_message());
                Err(if limit {
                    format!("{LIMIT_MARK}{msg}")
                } else {
                    msg
                })
            }
        }
    }
}

/// Prefix of an error message that comes from a resource limit (see [`is_limit`]).
pub const LIMIT_MARK: &str = "\u{0}limit:";

/// Whether an error message comes from a resource limit; returns the message without its
/// mark.
pub fn is_limit(msg: &str) -> Option<&str> {
    msg.strip_prefix(LIMIT_MARK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(j: serde_json::Value) -> Map {
        match Value::from_json(&j) {
            Value::Map(m) => m.borrow().clone(),
            _ => Map::new(),
        }
    }

    #[test]
    fn fasttemplate_keeps_what_it_does_not_know() {
        let p = map(serde_json::json!({"one": "two", "q": "\"quoted\"", "n": 1}));
        assert_eq!(fasttemplate("{{ one }}", &p).unwrap(), "two");
        assert_eq!(fasttemplate("}} {{", &p).unwrap(), "}} {{");
        assert_eq!(fasttemplate("{{ONE}}", &p).unwrap(), "{{ONE}}");
        assert_eq!(fasttemplate("{{ }}", &p).unwrap(), "{{ }}");
        assert_eq!(fasttemplate("{{n}}", &p).unwrap(), "{{n}}");
        assert_eq!(fasttemplate("a{{q}}b", &p).unwrap(), "a\"quoted\"b");
        assert_eq!(
            fasttemplate("{{one}} {{", &p).unwrap_err(),
            "invalid template: Cannot find end tag=\"}}\" in the template=\"{{one}} {{\" starting from \"\""
        );
        // `{{` and `}}` on different lines: not a template at all.
        assert_eq!(fasttemplate("{{\none}}", &p).unwrap(), "{{\none}}");
    }

    #[test]
    fn go_templates_with_the_controller_functions() {
        let r = Renderer::new(true, &[], Limits::default());
        let p = map(serde_json::json!({"name": "My_App.x", "v": "a: 1"}));
        let dot = Value::map(p.clone());
        let go = |t: &str| r.replace(t, &p, &dot, Options::Spec);
        assert_eq!(go("{{ normalize .name }}").unwrap(), "my-app.x");
        assert_eq!(go("{{ .name | slugify }}").unwrap(), "my-app-x");
        assert_eq!(go("--> {{ .missing }} <--").unwrap(), "--> <no value> <--");
        assert_eq!(go("{{ (fromYaml .v).a }}").unwrap(), "1");
        assert_eq!(
            go("{{env \"HOME\"}}").unwrap_err(),
            "failed to parse template {{env \"HOME\"}}: template: base:1: function \"env\" not defined"
        );
        assert_eq!(
            go("{{ include \"x\" . }}").unwrap_err(),
            "failed to parse template {{ include \"x\" . }}: template: base:1: function \"include\" not defined"
        );
        assert_eq!(
            go("{{ fail \"no\" }}").unwrap_err(),
            "failed to execute go template {{ fail \"no\" }}: template: base:1:3: executing \"base\" at <fail \"no\">: error calling fail: no"
        );
        let strict = Renderer::new(true, &["missingkey=error".to_string()], Limits::default());
        assert_eq!(
            strict.replace("--> {{.doesnotexist}} <--", &p, &dot, Options::Spec).unwrap_err(),
            "failed to execute go template --> {{.doesnotexist}} <--: template: base:1:6: executing \"base\" at <.doesnotexist>: map has no entry for key \"doesnotexist\""
        );
    }

    #[test]
    fn every_function_exists() {
        for name in FUNCTIONS {
            let builtin = matches!(*name, "and" | "or" | "call" | "fail");
            assert!(
                builtin
                    || function(name).is_some()
                    || driftlens_gotmpl::funcs::lookup(name).is_some(),
                "{name} has no implementation"
            );
        }
    }
}
