//! Name helpers the controller applies to parameters: `normalize` (`SanitizeName`) and
//! `slugify` (`SanitizeName`, then gosimple/slug).

/// `SanitizeName`: lower case, every character outside `[-a-z0-9.]` becomes `-`, cut to 253
/// bytes, `-` and `.` trimmed at both ends. The `nameNormalized`, `basenameNormalized` and
/// `filenameNormalized` parameters and the `normalize` template function.
pub fn normalize(name: &str) -> String {
    let lower = name.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    // Every character is now ASCII: cutting at 253 bytes is cutting at 253 characters.
    out.truncate(253);
    out.trim_matches(['-', '.']).to_string()
}

/// `slugify [maxLength=50] [smartTruncate=true] NAME`: the normalized name made a URL slug
/// (gosimple/slug `Make` on text that is already `[-a-z0-9.]`): `.` becomes `-`, runs of `-`
/// collapse, `-` and `_` are trimmed, and the result is cut to `max_len` — at the last `-`
/// before the limit when `smart`.
pub fn slugify(name: &str, max_len: i64, smart: bool) -> String {
    let mut slug = normalize(name);
    if !smart && max_len >= 0 && slug.len() as i64 >= max_len {
        slug.truncate(max_len as usize);
    }
    let mut out = String::with_capacity(slug.len());
    for c in slug.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        };
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    let mut out = out.trim_matches(['-', '_']).to_string();
    if max_len > 0 && smart && out.len() as i64 > max_len {
        let max = max_len as usize;
        let cut = out.as_bytes()[..=max].iter().rposition(|&b| b == b'-');
        out.truncate(cut.unwrap_or(max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_like_the_controller() {
        assert_eq!(normalize("-.--CLUSTER/name  -./.-"), "cluster-name");
        assert_eq!(normalize("production_01/west"), "production-01-west");
        assert_eq!(normalize("app_3"), "app-3");
        assert_eq!(normalize(&"a".repeat(300)).len(), 253);
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature", 50, true),
            "feat-a-really-long-pull-request-name-to-test-argo");
        assert_eq!(slugify("feat/a_really+long_pull_request_name_to_test_argo_slugification_and_branch_name_shortening_feature", 50, false),
            "feat-a-really-long-pull-request-name-to-test-argo");
        assert_eq!(slugify("feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature", 50, true), "feat");
        assert_eq!(slugify("feat/areallylongpullrequestnametotestargoslugificationandbranchnameshorteningfeature", 50, false),
            "feat-areallylongpullrequestnametotestargoslugifica");
        assert_eq!(slugify("Some.Name", 50, true), "some-name");
    }
}
