//! Repository URLs compared the way a checkout's content is identified.
//!
//! Argo CD normalises a URL before comparing (`util/git: NormalizeGitURL`): lower case, spaces
//! and a `.git` suffix removed, and `user@host:org/repo` read as `ssh://user@host/org/repo`.
//! A clone holds the same files whatever protocol it was made with, so [`repo_key`] also drops
//! the scheme, the user, the port and trailing slashes: `git@github.com:Org/Repo.git`,
//! `https://github.com/org/repo/` and `ssh://git@github.com:22/org/repo` all become
//! `github.com/org/repo`.

/// The identity of a repository URL (see the module documentation); empty for an empty URL.
pub fn repo_key(url: &str) -> String {
    let mut u = url.trim().to_ascii_lowercase();
    let has_scheme = u.contains("://");
    if !has_scheme && is_scp_like(&u) {
        // `git@host:org/repo`: the first `:` separates host and path.
        u = u.replacen(':', "/", 1);
    }
    let rest = match u.split_once("://") {
        Some((_, r)) => r.to_string(),
        None => u,
    };
    // Query and fragment never name a different repository.
    let rest = rest.split(['?', '#']).next().unwrap_or("").to_string();
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a.to_string(), p.to_string()),
        None => (rest, String::new()),
    };
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    let mut path = path.trim_end_matches('/').to_string();
    if let Some(p) = path.strip_suffix(".git") {
        path = p.trim_end_matches('/').to_string();
    }
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if path.is_empty() {
        host.to_string()
    } else {
        format!("{host}/{}", path.join("/"))
    }
}

/// `user@host:path` without a scheme (Argo CD's `IsSSHURL` pattern `^(ssh://)?([^/:]*?)@[^@]+$`).
fn is_scp_like(u: &str) -> bool {
    let Some((user, rest)) = u.split_once('@') else {
        return false;
    };
    !user.contains(['/', ':']) && !rest.is_empty() && !rest.contains('@')
}

/// Whether a `repoURL` names an OCI registry: `oci://…`, or a Helm chart repository written
/// without a scheme (`registry-1.docker.io/bitnamicharts`, how Argo CD spells OCI Helm
/// repositories with `enableOCI`).
pub fn is_oci(url: &str) -> bool {
    let u = url.trim();
    u.starts_with("oci://") || (!u.contains("://") && !u.is_empty() && !is_scp_like(u))
}

/// `oci://host/path` for an OCI `repoURL` written with or without the scheme.
pub fn oci_reference(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    if u.starts_with("oci://") {
        u.to_string()
    } else {
        format!("oci://{u}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_repository_whatever_the_spelling() {
        let key = "github.com/org/repo";
        for u in [
            "https://github.com/org/repo",
            "https://github.com/org/repo.git",
            "https://github.com/org/repo/",
            "https://github.com/Org/Repo.git/",
            "  HTTPS://GITHUB.COM/org/repo  ",
            "git@github.com:org/repo.git",
            "git@github.com:org/repo",
            "ssh://git@github.com/org/repo.git",
            "ssh://git@github.com:22/org/repo",
            "https://user:token@github.com/org/repo",
            "http://github.com/org/repo",
            "git://github.com/org/repo",
        ] {
            assert_eq!(repo_key(u), key, "{u}");
        }
        assert_ne!(repo_key("https://github.com/org/repo2"), key);
        assert_ne!(repo_key("https://gitlab.com/org/repo"), key);
        assert_eq!(
            repo_key("https://gitlab.com/group/sub/repo.git"),
            "gitlab.com/group/sub/repo"
        );
        assert_eq!(repo_key(""), "");
    }

    #[test]
    fn oci_urls() {
        assert!(is_oci("oci://ghcr.io/org/charts"));
        assert!(is_oci("registry-1.docker.io/bitnamicharts"));
        assert!(!is_oci("https://charts.bitnami.com/bitnami"));
        assert!(!is_oci("git@github.com:org/repo.git"));
        assert!(!is_oci(""));
        assert_eq!(
            oci_reference("registry-1.docker.io/bitnamicharts/"),
            "oci://registry-1.docker.io/bitnamicharts"
        );
        assert_eq!(oci_reference("oci://ghcr.io/x"), "oci://ghcr.io/x");
    }
}
