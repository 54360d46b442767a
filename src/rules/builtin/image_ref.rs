//! Shared helper of the image rules: splitting an image reference into name, tag and digest.
//! Not a rule.

/// An image reference as written in a pod spec.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Registry and repository.
    pub name: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:…`), if any.
    pub digest: Option<&'a str>,
}

/// Splits `registry:5000/repo/name:tag@sha256:…`. A `:` belongs to a tag only after the last
/// `/`, so a registry port is not a tag.
pub fn parse(image: &str) -> ImageRef<'_> {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => ImageRef {
            name: &rest[..slash + i],
            tag: Some(&rest[slash + i + 1..]),
            digest,
        },
        None => ImageRef {
            name: rest,
            tag: None,
            digest,
        },
    }
}

/// Whether an image string is a template or placeholder that is filled in later (Helm, Kustomize
/// `images:`, envsubst), which the image rules leave alone.
pub fn is_placeholder(image: &str) -> bool {
    image.trim().is_empty() || image.contains("{{") || image.contains("${") || image.contains("$(")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(
            parse("registry:5000/a/b"),
            ImageRef {
                name: "registry:5000/a/b",
                tag: None,
                digest: None
            }
        );
        let r = parse("ghcr.io/a/b:1.2@sha256:abc");
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("ghcr.io/a/b", Some("1.2"), Some("sha256:abc"))
        );
        assert_eq!(parse("nginx:latest").tag, Some("latest"));
        assert_eq!(parse("nginx@sha256:abc").tag, None);
    }
}
