//! What in a configuration value looks like a credential: a PEM private key, an AWS access key
//! id, a URL with a password, a line of an embedded file that sets a credential-like key.

use super::names::{is_literal_value, is_sensitive_name};

/// What in a value looks like a credential, if anything (the description, never the value).
pub fn secret_content(value: &str) -> Option<&'static str> {
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----") {
        return Some("a PEM private key");
    }
    let b = value.as_bytes();
    if b.windows(20).any(|w| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    }) {
        return Some("an AWS access key id (its secret key is usually next to it)");
    }
    if url_with_password(value) {
        return Some("a URL with an embedded password");
    }
    None
}

/// Whether the text holds `scheme://user:password@host` with a literal password.
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let rest = &value[i + 3..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rsplit_once('@') {
            Some((userinfo, _)) => userinfo
                .split_once(':')
                .is_some_and(|(_, pw)| is_literal_value(pw)),
            None => false,
        }
    })
}

/// The first line of an embedded file (`.properties`, `.env`, YAML, INI) that assigns a literal
/// to a credential-like key: (0-based line index, the key).
pub fn sensitive_line(value: &str) -> Option<(usize, String)> {
    value.lines().enumerate().find_map(|(i, line)| {
        let t = line.trim().trim_start_matches("export ");
        if t.starts_with('#') || t.starts_with(';') || t.starts_with("//") {
            return None;
        }
        let sep = t.find(['=', ':'])?;
        let (k, v) = (t[..sep].trim(), t[sep + 1..].trim());
        let v = v.trim_matches(|c| c == '"' || c == '\'');
        (!k.is_empty()
            && !k.contains(' ')
            && is_sensitive_name(k)
            && is_literal_value(v)
            && !v.starts_with('|')
            && !v.starts_with('>'))
        .then(|| (i, k.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents() {
        assert!(secret_content("-----BEGIN RSA PRIVATE KEY-----\nabc").is_some());
        assert!(secret_content("-----BEGIN CERTIFICATE-----\nabc").is_none());
        assert!(secret_content("id=AKIAABCDEFGHIJKLMNOP").is_some());
        assert!(secret_content("postgres://app:pw123@db:5432/app").is_some());
        assert!(secret_content("postgres://app@db:5432/app").is_none());
        assert!(secret_content("postgres://app:${DB_PASSWORD}@db/app").is_none());
        assert!(secret_content("http://example.com:8080/x").is_none());
        assert_eq!(
            sensitive_line("a=1\n# password=x\nspring.datasource.password = hunter2\n"),
            Some((2, "spring.datasource.password".to_string()))
        );
        assert_eq!(sensitive_line("password: ${DB_PASSWORD}\n"), None);
    }
}
