//! Glob matching of Argo CD's patterns (resource groups and kinds, repository URLs,
//! destinations), shared by drift comparison and the rules.

/// Glob matching without separators: `*` matches any run of characters, `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Glob matching as Argo CD does it with separators (gobwas/glob): `*` matches any run of
/// characters except `sep`, `**` any run at all, `?` one character other than `sep`.
pub fn glob_match_sep(pattern: &str, text: &str, sep: char) -> bool {
    fn go(p: &[char], t: &[char], sep: char) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') if p.get(1) == Some(&'*') => (0..=t.len()).any(|i| go(&p[2..], &t[i..], sep)),
            Some('*') => {
                let mut i = 0;
                loop {
                    if go(&p[1..], &t[i..], sep) {
                        return true;
                    }
                    if i == t.len() || t[i] == sep {
                        return false;
                    }
                    i += 1;
                }
            }
            Some('?') => !t.is_empty() && t[0] != sep && go(&p[1..], &t[1..], sep),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..], sep),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t, sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_with_and_without_separators() {
        assert!(glob_match("*", ""));
        assert!(glob_match("", ""));
        assert!(!glob_match("", "apps"));
        assert!(glob_match("apps", "apps"));
        assert!(glob_match("*.k8s.io", "networking.k8s.io"));
        assert!(glob_match("Deploy*", "Deployment"));
        assert!(!glob_match("Deploy?", "Deployment"));
        assert!(glob_match_sep(
            "https://git.example.com/team/*",
            "https://git.example.com/team/a",
            '/'
        ));
        assert!(!glob_match_sep(
            "https://git.example.com/*",
            "https://git.example.com/team/a",
            '/'
        ));
        assert!(glob_match_sep(
            "https://git.example.com/**",
            "https://git.example.com/team/a",
            '/'
        ));
        assert!(glob_match_sep("*", "", '/'));
    }
}
