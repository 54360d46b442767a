//! The function library, by family: Go's built-ins ([`builtins`]), Sprig's strings,
//! lists, dicts, math, encoding, hashes/random/dates ([`crypto`]), keys and certificates
//! ([`pki`]), password derivation and AES ([`cipher`]), semver, and Helm's own ([`helm`]).
//! [`lookup`] resolves a name to a function.

pub mod builtins;
pub mod cipher;
pub mod crypto;
pub mod dicts;
pub mod encoding;
pub mod goregex;
pub mod helm;
pub mod lists;
pub mod math;
pub mod pki;
pub mod semver;
pub mod strings;

use super::value::Value;

/// Error from a function.
#[derive(Debug, Clone)]
pub enum FnErr {
    /// Reported by Go as `error calling NAME: …`.
    Call(String),
    /// Argument conversion error, reported without the `error calling` prefix.
    Arg(String),
    /// A resource limit was hit.
    Limit(String),
}

/// Largest string a function builds (like [`crate::Limits::max_value`] for every result).
pub const MAX_RESULT_BYTES: u64 = 64 << 20;

/// Result of a function.
pub type FnResult = Result<Value, FnErr>;

/// A template function.
pub type Func = fn(&mut FnCtx, &[Value]) -> FnResult;

/// What a function can see and report besides its arguments.
pub struct FnCtx<'a> {
    /// The name it was called by.
    pub name: &'a str,
    /// Random numbers (seeded).
    pub rng: &'a mut Rng,
    /// Set when the output does not depend only on the inputs.
    pub nondet: bool,
    /// Work units used (elements produced, bytes generated).
    pub work: u64,
}

impl FnCtx<'_> {
    /// Charges work; errors when a single call would produce more than the limit allows.
    pub fn charge(&mut self, n: u64) -> Result<(), FnErr> {
        self.work = self.work.saturating_add(n);
        if self.work > 20_000_000 {
            return Err(FnErr::Limit(format!("{}: result too large", self.name)));
        }
        Ok(())
    }

    /// Errors when the result this call is about to build would hold more than
    /// [`MAX_RESULT_BYTES`] (checked before allocating it).
    pub fn reserve(&self, bytes: u64) -> Result<(), FnErr> {
        if bytes > MAX_RESULT_BYTES {
            return Err(FnErr::Limit(format!(
                "{}: result too large (more than {} MiB)",
                self.name,
                MAX_RESULT_BYTES >> 20
            )));
        }
        Ok(())
    }

    /// A cryptographic generator for this call (keys, serial numbers, IVs), seeded from the
    /// render's generator so that a fixed seed reproduces its output; marks the call
    /// non-deterministic.
    pub fn crypto_rng(&mut self) -> rand_chacha::ChaCha20Rng {
        use rand_chacha::rand_core::SeedableRng as _;
        self.nondet = true;
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_exact_mut(8) {
            chunk.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        rand_chacha::ChaCha20Rng::from_seed(seed)
    }
}

/// Small deterministic PRNG (splitmix64): reproducible with a seed, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// New generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// Checks the argument count like Go's reflection-based call does.
pub fn arity(name: &str, args: &[Value], want: usize) -> Result<(), FnErr> {
    if args.len() != want {
        return Err(FnErr::Arg(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// Checks a minimum argument count (variadic functions).
pub fn arity_min(name: &str, args: &[Value], min: usize) -> Result<(), FnErr> {
    if args.len() < min {
        return Err(FnErr::Arg(format!(
            "wrong number of args for {name}: want at least {min} got {}",
            args.len()
        )));
    }
    Ok(())
}

/// A `string` parameter: Go refuses other types.
pub fn s_arg(v: &Value) -> Result<&str, FnErr> {
    match v {
        Value::Str(s) => Ok(s),
        Value::Object(o) => match &**o {
            super::value::Object::Bytes {
                text, slice: false, ..
            } => Ok(text),
            _ => Err(FnErr::Arg(format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            ))),
        },
        Value::Nil => Err(FnErr::Arg("invalid value; expected string".into())),
        other => Err(FnErr::Arg(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        ))),
    }
}

/// An `int` parameter: Go refuses other types (no float → int conversion).
pub fn i_arg(v: &Value) -> Result<i64, FnErr> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        Value::Nil => Err(FnErr::Arg("invalid value; expected int".into())),
        other => Err(FnErr::Arg(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        ))),
    }
}

/// Sprig's `toString` / `strval`: strings as-is, others (nil too: `<nil>`) as `%v` prints them.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => super::fmt::sprint_value(other),
    }
}

/// The bytes of a `string` parameter: a file's bytes stay bytes (see [`Object::Bytes`]).
///
/// [`Object::Bytes`]: super::value::Object::Bytes
pub fn b_arg(v: &Value) -> Result<std::borrow::Cow<'_, [u8]>, FnErr> {
    match v {
        Value::Object(o) => match &**o {
            super::value::Object::Bytes {
                data, slice: false, ..
            } => Ok(std::borrow::Cow::Borrowed(data)),
            _ => s_arg(v).map(|s| std::borrow::Cow::Borrowed(s.as_bytes())),
        },
        Value::Nil => Ok(std::borrow::Cow::Borrowed(b"")),
        _ => s_arg(v).map(|s| std::borrow::Cow::Borrowed(s.as_bytes())),
    }
}

/// A value given where Go wants a `string`: strings as-is, nil as "", others `%v`.
pub fn str_or_empty(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        other => strval(other),
    }
}

/// spf13/cast `ToInt64`: numbers truncate, strings parse (0 on error), bools 1/0.
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => {
            if f.is_finite() {
                *f as i64
            } else {
                i64::MIN
            }
        }
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => parse_int_cast(s).unwrap_or(0),
        _ => 0,
    }
}

/// cast's string → int parsing (base prefixes allowed, also integral floats? no).
pub fn parse_int_cast(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, b) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = if let Some(h) = b.strip_prefix("0x").or_else(|| b.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = b.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(bb) = b.strip_prefix("0b") {
        i64::from_str_radix(bb, 2).ok()?
    } else if b.len() > 1 && b.starts_with('0') {
        i64::from_str_radix(&b[1..], 8).ok()?
    } else {
        b.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// spf13/cast `ToFloat64`.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => s.trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Resolves a function by name.
pub fn lookup(name: &str) -> Option<Func> {
    builtins::lookup(name)
        .or_else(|| strings::lookup(name))
        .or_else(|| lists::lookup(name))
        .or_else(|| dicts::lookup(name))
        .or_else(|| math::lookup(name))
        .or_else(|| encoding::lookup(name))
        .or_else(|| crypto::lookup(name))
        .or_else(|| pki::lookup(name))
        .or_else(|| cipher::lookup(name))
        .or_else(|| semver::lookup(name))
        .or_else(|| helm::lookup(name))
}

#[cfg(test)]
mod no_panic_tests {
    use super::*;
    use crate::value::Value;

    /// Every function name the library resolves.
    const NAMES: &[&str] = &[
        "abbrev",
        "abbrevboth",
        "add",
        "add1",
        "add1f",
        "addf",
        "adler32sum",
        "ago",
        "all",
        "any",
        "append",
        "atoi",
        "b32dec",
        "b32enc",
        "b64dec",
        "b64enc",
        "base",
        "bcrypt",
        "biggest",
        "buildCustomCert",
        "call",
        "camelcase",
        "cat",
        "ceil",
        "chunk",
        "clean",
        "coalesce",
        "compact",
        "concat",
        "contains",
        "date",
        "dateInZone",
        "dateModify",
        "date_in_zone",
        "date_modify",
        "deepCopy",
        "decryptAES",
        "deepEqual",
        "default",
        "derivePassword",
        "dict",
        "dig",
        "dir",
        "div",
        "divf",
        "dsa",
        "duration",
        "durationRound",
        "ecdsa",
        "ed25519",
        "empty",
        "encryptAES",
        "eq",
        "ext",
        "first",
        "float64",
        "floor",
        "fromJson",
        "fromJsonArray",
        "fromYaml",
        "fromYamlArray",
        "ge",
        "genCA",
        "genCAWithKey",
        "genPrivateKey",
        "genSelfSignedCert",
        "genSelfSignedCertWithKey",
        "genSignedCert",
        "genSignedCertWithKey",
        "get",
        "getHostByName",
        "gt",
        "has",
        "hasKey",
        "hasPrefix",
        "hasSuffix",
        "hello",
        "html",
        "htmlDate",
        "htmlDateInZone",
        "htpasswd",
        "indent",
        "index",
        "initial",
        "initials",
        "int",
        "int64",
        "isAbs",
        "join",
        "js",
        "kebabcase",
        "keys",
        "kindIs",
        "kindOf",
        "last",
        "le",
        "len",
        "list",
        "lookup",
        "lower",
        "lt",
        "max",
        "maxf",
        "merge",
        "mergeOverwrite",
        "min",
        "minf",
        "mod",
        "mul",
        "mulf",
        "mustAppend",
        "mustChunk",
        "mustCompact",
        "mustDateModify",
        "mustDeepCopy",
        "mustFirst",
        "mustFromJson",
        "mustHas",
        "mustInitial",
        "mustLast",
        "mustMerge",
        "mustMergeOverwrite",
        "mustPrepend",
        "mustPush",
        "mustRegexFind",
        "mustRegexFindAll",
        "mustRegexMatch",
        "mustRegexReplaceAll",
        "mustRegexReplaceAllLiteral",
        "mustRegexSplit",
        "mustRest",
        "mustReverse",
        "mustSlice",
        "mustToDate",
        "mustToJson",
        "mustToPrettyJson",
        "mustToRawJson",
        "mustToYaml",
        "mustUniq",
        "mustWithout",
        "must_date_modify",
        "ne",
        "nindent",
        "nospace",
        "not",
        "now",
        "omit",
        "osBase",
        "osClean",
        "osDir",
        "osExt",
        "osIsAbs",
        "pick",
        "pluck",
        "plural",
        "prepend",
        "print",
        "printf",
        "println",
        "push",
        "quote",
        "randAlpha",
        "randAlphaNum",
        "randAscii",
        "randBytes",
        "randInt",
        "randNumeric",
        "regexFind",
        "regexFindAll",
        "regexMatch",
        "regexQuoteMeta",
        "regexReplaceAll",
        "regexReplaceAllLiteral",
        "regexSplit",
        "repeat",
        "replace",
        "rest",
        "reverse",
        "round",
        "rsa",
        "semver",
        "semverCompare",
        "seq",
        "set",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "shuffle",
        "slice",
        "snakecase",
        "sortAlpha",
        "split",
        "splitList",
        "splitn",
        "squote",
        "sub",
        "subf",
        "substr",
        "swapcase",
        "ternary",
        "title",
        "toDate",
        "toDecimal",
        "toJson",
        "toPrettyJson",
        "toRawJson",
        "toString",
        "toStrings",
        "toToml",
        "toYaml",
        "toYamlPretty",
        "trim",
        "trimAll",
        "trimPrefix",
        "trimSuffix",
        "trimall",
        "trunc",
        "tuple",
        "typeIs",
        "typeIsLike",
        "typeOf",
        "uniq",
        "unixEpoch",
        "unset",
        "until",
        "untilStep",
        "untitle",
        "upper",
        "urlJoin",
        "urlParse",
        "urlquery",
        "uuidv4",
        "values",
        "without",
        "wrap",
        "wrapWith",
    ];

    #[test]
    fn every_function_survives_odd_arguments() {
        let samples = vec![
            Value::Nil,
            Value::Bool(true),
            Value::Int(-3),
            Value::Int64(1 << 40),
            Value::Float(-1.5),
            Value::Float(f64::NAN),
            Value::str(""),
            Value::str("a,b\n{{x}}"),
            Value::list(vec![Value::Nil, Value::Int(1)]),
            Value::map(Default::default()),
        ];
        let mut rng = Rng::new(0);
        let resolved = NAMES.iter().filter(|n| lookup(n).is_some()).count();
        assert!(resolved >= 200, "only {resolved} functions resolve");
        for name in NAMES {
            let Some(f) = lookup(name) else { continue };
            let len = samples.len();
            // Each distinct argument list once (key generation is slow).
            let mut seen = std::collections::HashSet::new();
            for n in 0..5 {
                for i in 0..len {
                    for j in 0..len {
                        let pick = [i, j, (i + j) % len, (i * 7 + j) % len, (j * 3 + 1) % len];
                        if !seen.insert(pick[..n].to_vec()) {
                            continue;
                        }
                        let args: Vec<Value> =
                            pick[..n].iter().map(|&k| samples[k].clone()).collect();
                        let mut c = FnCtx {
                            name,
                            rng: &mut rng,
                            nondet: false,
                            work: 0,
                        };
                        let _ = f(&mut c, &args);
                    }
                }
            }
        }
    }
}
