//! Whether a variable or key name looks like it holds a credential, and whether a value is a
//! literal worth hiding (the credential rules and the masking policy share these).

/// Words that mark a credential wherever they appear in a name.
const MARKERS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "PRIVATEKEY",
    "ACCESSKEY",
    "CLIENTSECRET",
    "CONNECTIONSTRING",
];

/// Words that, before `KEY`, make it a credential (`API_KEY`, `SIGNING_KEY`, …).
const KEY_PREFIXES: &[&str] = &[
    "API",
    "ACCESS",
    "SECRET",
    "PRIVATE",
    "ENCRYPTION",
    "SIGNING",
    "MASTER",
    "CLIENT",
    "AUTH",
    "LICENSE",
    "HMAC",
    "SSH",
    "ADMIN",
    "SESSION",
    "JWT",
    "WEBHOOK",
];

/// Last words that make the name about a credential rather than one (`PASSWORD_FILE`,
/// `TOKEN_URL`, `SECRET_NAME`, …).
const NOT_VALUES: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "URL",
    "URI",
    "HOST",
    "PORT",
    "NAME",
    "USER",
    "USERNAME",
    "ID",
    "ENDPOINT",
    "HEADER",
    "REF",
    "TYPE",
    "LENGTH",
    "TTL",
    "EXPIRY",
    "EXPIRATION",
    "TIMEOUT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "REGION",
    "LOCATION",
    "KEY_ID",
    "MOUNT",
    "VERSION",
    "FIELD",
    "PARAM",
    "PROVIDER",
    "POLICY",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "MODE",
    "REQUIRED",
    "LIFETIME",
    "DURATION",
    "REFRESH",
    "ALGORITHM",
    "FORMAT",
    "PREFIX",
];

/// Whether `name` (an environment variable or a config key, any case, with `_`, `-` or `.`
/// separators) looks like it names a credential.
pub fn is_sensitive_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    if NOT_VALUES.contains(last) {
        return false;
    }
    let joined: String = words.concat();
    if MARKERS.iter().any(|m| joined.contains(m)) {
        return true;
    }
    // `PWD` alone is the working directory in shells; only as a suffix (`DB_PWD`).
    if words.len() > 1 && (*last == "PWD" || *last == "PASS") {
        return true;
    }
    words
        .windows(2)
        .any(|w| w[1] == "KEY" && KEY_PREFIXES.contains(&w[0]))
}

/// Whether a literal value is worth reporting: not empty, not a reference or template, not a
/// boolean or number.
pub fn is_literal_value(value: &str) -> bool {
    let v = value.trim();
    !(v.is_empty()
        || v.contains("$(")
        || v.contains("${")
        || v.contains("{{")
        || v.starts_with('$')
        || v.starts_with('<')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "none" | "changeme" | "-"
        )
        || v.parse::<f64>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "DB_PASSWORD",
            "password",
            "API_KEY",
            "aws.secret-access-key",
            "GITHUB_TOKEN",
            "spring.datasource.password",
            "SMTP_PASS",
            "client_secret",
            "STRIPE_APIKEY",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in [
            "PASSWORD_FILE",
            "TOKEN_URL",
            "SECRET_NAME",
            "PWD",
            "CACHE_KEY",
            "AWS_ACCESS_KEY_ID",
            "DB_HOST",
            "LOG_LEVEL",
            "KEY",
        ] {
            assert!(!is_sensitive_name(n), "{n}");
        }
        assert!(is_literal_value("hunter2supersecret"));
        assert!(!is_literal_value("$(DB_PASS)"));
        assert!(!is_literal_value("true"));
        assert!(!is_literal_value(""));
    }
}
