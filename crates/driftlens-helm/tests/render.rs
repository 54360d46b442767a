//! API-level tests of the Helm renderer: source maps, non-deterministic functions and
//! seeds, values precedence, and resource limits against hostile charts.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use driftlens_helm::{format_like_helm_template, render_chart, HelmOptions, RenderError};

fn chart(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/charts")
        .join(name)
}

fn opts() -> HelmOptions {
    HelmOptions {
        release_name: "r".into(),
        ..HelmOptions::default()
    }
}

#[test]
fn source_map_points_rendered_fields_at_template_lines() {
    let r = render_chart(&chart("basic"), &opts()).expect("renders");
    let dep = r
        .docs
        .iter()
        .find(|d| d.kind == "Deployment")
        .expect("deployment");
    assert_eq!(dep.source, "basic/templates/deployment.yaml");
    let at = |needle: &str| {
        let off = dep
            .text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in output"));
        dep.locate(off).expect("mapped")
    };
    // Literal template text.
    let kind = at("kind: Deployment");
    assert_eq!(
        (kind.file.as_str(), kind.line, kind.col),
        ("basic/templates/deployment.yaml", 2, 1)
    );
    // An action's output, with the values path it printed.
    let replicas = at("replicas: 2");
    assert_eq!(replicas.line, 9);
    let value = at("2\n  selector");
    assert_eq!(
        (value.line, value.values_path.as_deref()),
        (9, Some("replicaCount"))
    );
    // Text after several actions on earlier lines still maps to its own line.
    let policy = at("imagePullPolicy");
    assert_eq!(policy.line, 21);
    // `template` output maps into the helper file that produced it.
    let r2 = render_chart(&chart("basic"), &opts()).expect("renders");
    let dep2 = r2
        .docs
        .iter()
        .find(|d| d.kind == "Deployment")
        .expect("deployment");
    let off = dep2.text.find("app: basic").expect("selector") + "app: ".len();
    let loc = dep2.locate(off).expect("mapped");
    assert_eq!(loc.file, "basic/templates/_helpers.tpl");
    let call = loc.via.as_ref().expect("call site");
    assert_eq!(
        (call.file.as_ref(), call.line, call.name.as_ref()),
        ("basic/templates/deployment.yaml", 12, "basic.name")
    );
    // So does `include … | nindent`, with the call site; the label values printed by `toYaml`
    // of `.Values.labels` inside the helper name their keys.
    let off = dep2
        .text
        .find("app.kubernetes.io/instance")
        .expect("labels");
    let loc = dep2.locate(off).expect("mapped");
    assert_eq!(
        (loc.file.as_str(), loc.line),
        ("basic/templates/_helpers.tpl", 16)
    );
    let call = loc.via.as_ref().expect("call site");
    assert_eq!((call.line, call.name.as_ref()), (7, "basic.labels"));
    let off = dep2.text.find("tier: frontend").expect("values label");
    let loc = dep2.locate(off).expect("mapped");
    assert_eq!(
        (loc.file.as_str(), loc.line, loc.values_path.as_deref()),
        ("basic/templates/_helpers.tpl", 19, Some("labels.tier"))
    );
    // A result changed by a function that does not keep lines maps to the call.
    let off = dep2.text.find("checksum/config: ").expect("checksum") + "checksum/config: ".len();
    let loc = dep2.locate(off).expect("mapped");
    assert_eq!(
        (loc.file.as_str(), loc.line),
        ("basic/templates/deployment.yaml", 16)
    );
    assert!(loc.via.is_none());
}

#[test]
fn hooks_come_last_and_are_flagged() {
    let r = render_chart(&chart("basic"), &opts()).expect("renders");
    let first_hook = r.docs.iter().position(|d| d.is_hook).expect("hooks");
    assert!(r.docs[first_hook..].iter().all(|d| d.is_hook));
    assert_eq!(r.docs.iter().filter(|d| d.is_hook).count(), 2);
}

#[test]
fn random_functions_are_recorded_and_seedable() {
    let seeded = |seed| HelmOptions {
        seed: Some(seed),
        ..opts()
    };
    let a = render_chart(&chart("random"), &seeded(1)).expect("renders");
    let b = render_chart(&chart("random"), &seeded(1)).expect("renders");
    let c = render_chart(&chart("random"), &seeded(2)).expect("renders");
    // The CA's validity starts at the render's clock, as in Helm; its key and serial come
    // from the seed.
    let (a_text, a_ca) = split_ca(&format_like_helm_template(&a));
    let (b_text, b_ca) = split_ca(&format_like_helm_template(&b));
    let (c_text, c_ca) = split_ca(&format_like_helm_template(&c));
    assert_eq!(a_text, b_text);
    assert_eq!(a_ca, b_ca);
    assert_ne!(a_text, c_text);
    assert_ne!(a_ca, c_ca);
    let used: Vec<(String, String, usize)> = a
        .nondeterministic
        .iter()
        .map(|u| (u.function.clone(), u.file.clone(), u.line))
        .collect();
    let file = "random/templates/secret.yaml".to_string();
    for (f, line) in [
        ("randAlpha", 4),
        ("randAlphaNum", 6),
        ("uuidv4", 7),
        ("genCA", 8),
    ] {
        assert!(
            used.contains(&(f.to_string(), file.clone(), line)),
            "{f} missing from {used:?}"
        );
    }
    assert!(!used.iter().any(|u| u.0 == "sha256sum"));
    let text = format_like_helm_template(&a);
    assert!(text.contains("password: \"") && text.contains("ca.crt: "));
}

/// The output without its `ca.crt` line, and that certificate's serial and public key.
fn split_ca(text: &str) -> (String, (Vec<u8>, Vec<u8>)) {
    let mut rest = String::new();
    let mut ca = None;
    for line in text.lines() {
        match line.trim_start().strip_prefix("ca.crt: ") {
            Some(b64) => ca = Some(certificate(b64)),
            None => {
                rest.push_str(line);
                rest.push('\n');
            }
        }
    }
    let ca = ca.expect("a ca.crt line");
    let tbs = ca.tbs_certificate();
    (
        rest,
        (
            tbs.serial_number().as_bytes().to_vec(),
            tbs.subject_public_key_info()
                .subject_public_key
                .raw_bytes()
                .to_vec(),
        ),
    )
}

/// Standard base64 of a PEM text, as `b64enc` writes it.
fn unb64(b64: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .expect("base64")
}

/// The DER bytes of the one PEM block of `pem`.
fn pem_der(pem: &[u8], label: &str) -> Vec<u8> {
    use base64::Engine as _;
    let text = std::str::from_utf8(pem).expect("PEM is text");
    let begin = format!("-----BEGIN {label}-----\n");
    let end = format!("-----END {label}-----\n");
    assert!(
        text.starts_with(&begin) && text.ends_with(&end),
        "not one {label} block"
    );
    let body: String = text[begin.len()..text.len() - end.len()].lines().collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body")
}

fn certificate(b64: &str) -> x509_cert::Certificate {
    use x509_cert::der::Decode as _;
    x509_cert::Certificate::from_der(&pem_der(&unb64(b64), "CERTIFICATE")).expect("X.509")
}

/// Checks that `cert` carries a valid SHA256-with-RSA signature by `issuer`'s key.
fn signed_by(cert: &x509_cert::Certificate, issuer: &x509_cert::Certificate) -> bool {
    use rsa::pkcs8::DecodePublicKey as _;
    use rsa::signature::Verifier as _;
    use x509_cert::der::Encode as _;
    assert_eq!(
        cert.signature_algorithm().oid.to_string(),
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption"
    );
    let spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .expect("spki");
    let key = rsa::PublicKey::from_public_key_der(&spki).expect("RSA public key");
    let verifier = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key);
    let Ok(signature) = rsa::pkcs1v15::Signature::try_from(cert.signature().raw_bytes()) else {
        return false;
    };
    let tbs = cert.tbs_certificate().to_der().expect("tbs");
    verifier.verify(&tbs, &signature).is_ok()
}

#[test]
fn chart_generated_certificates_form_a_valid_chain() {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::traits::PublicKeyParts as _;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};

    let o = HelmOptions {
        namespace: "infra".into(),
        ..opts()
    };
    let r = render_chart(&chart("certs"), &o).expect("renders");
    let secret = r.docs.iter().find(|d| d.kind == "Secret").expect("secret");
    let data = |key: &str| -> String {
        secret
            .text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(&format!("{key}: ")))
            .unwrap_or_else(|| panic!("{key} missing"))
            .to_string()
    };
    let ca = certificate(&data("ca.crt"));
    let leaf = certificate(&data("tls.crt"));

    // The CA signs itself and the leaf; a certificate it did not sign does not verify.
    assert!(signed_by(&ca, &ca), "CA self-signature");
    assert!(signed_by(&leaf, &ca), "leaf signed by the CA");
    assert!(!signed_by(&ca, &leaf));
    assert_eq!(
        leaf.tbs_certificate().issuer(),
        ca.tbs_certificate().subject()
    );
    let (_, ca_bc) = ca
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .expect("extensions")
        .expect("basic constraints");
    assert!(ca_bc.ca);
    let (_, leaf_bc) = leaf
        .tbs_certificate()
        .get_extension::<BasicConstraints>()
        .expect("extensions")
        .expect("basic constraints");
    assert!(!leaf_bc.ca);

    // Names and validity.
    let cn = |c: &x509_cert::Certificate| {
        c.tbs_certificate()
            .subject()
            .common_name()
            .expect("cn")
            .map(String::from)
    };
    assert_eq!(cn(&ca).as_deref(), Some("r-ca"));
    assert_eq!(cn(&leaf).as_deref(), Some("webhook.infra.svc"));
    let (_, san) = leaf
        .tbs_certificate()
        .get_extension::<SubjectAltName>()
        .expect("extensions")
        .expect("SAN");
    let dns: Vec<String> = san
        .0
        .iter()
        .filter_map(|n| match n {
            GeneralName::DnsName(d) => Some(d.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        dns,
        ["webhook.infra.svc", "webhook.infra.svc.cluster.local"]
    );
    assert!(san
        .0
        .iter()
        .any(|n| matches!(n, GeneralName::IpAddress(ip) if ip.as_bytes() == [127, 0, 0, 1])));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let validity = leaf.tbs_certificate().validity();
    assert!(validity.not_before.to_unix_duration() <= now);
    assert!(validity.not_after.to_unix_duration() > now + Duration::from_secs(364 * 86_400));

    // The key in the Secret is the leaf certificate's.
    let key_der = pem_der(&unb64(&data("tls.key")), "RSA PRIVATE KEY");
    let key = rsa::PrivateKey::from_pkcs1_der(&key_der).expect("PKCS #1 key");
    assert_eq!(key.size() * 8, 2048);
    let leaf_key = {
        use rsa::pkcs8::DecodePublicKey as _;
        use x509_cert::der::Encode as _;
        let spki = leaf
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .expect("spki");
        rsa::PublicKey::from_public_key_der(&spki).expect("leaf public key")
    };
    assert_eq!(&key.to_public_key(), &leaf_key);

    // Both calls are reported as non-deterministic.
    let used: Vec<&str> = r
        .nondeterministic
        .iter()
        .map(|u| u.function.as_str())
        .collect();
    assert!(
        used.contains(&"genCA") && used.contains(&"genSignedCert"),
        "{used:?}"
    );
}

#[test]
fn inline_values_override_value_files_and_sets_override_both() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("v.yaml");
    std::fs::write(&f, "replicaCount: 5\nimage:\n  tag: fromfile\n").expect("write");
    let o = HelmOptions {
        value_files: vec![f],
        values_yaml: Some("image:\n  tag: inline\n".into()),
        set: vec!["replicaCount=7".into()],
        ..opts()
    };
    let r = render_chart(&chart("basic"), &o).expect("renders");
    let dep = r
        .docs
        .iter()
        .find(|d| d.kind == "Deployment")
        .expect("deployment");
    assert!(dep.text.contains("replicas: 7"), "{}", dep.text);
    assert!(dep.text.contains("nginx:inline"), "{}", dep.text);
}

fn write_chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: hostile\nversion: 0.1.0\n",
    )
    .expect("write");
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn expect_error_quickly(files: &[(&str, &str)], needle: &str) {
    let dir = write_chart(files);
    let start = Instant::now();
    let r = render_chart(dir.path(), &opts());
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
    match r {
        Err(e) => assert!(e.to_string().contains(needle), "unexpected error: {e}"),
        Ok(_) => panic!("hostile chart rendered"),
    }
}

#[test]
fn recursive_include_ends_with_helms_error() {
    expect_error_quickly(
        &[(
            "templates/x.yaml",
            "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}a: {{ include \"loop\" . }}\n",
        )],
        "rendering template has a nested reference name: loop",
    );
}

#[test]
fn mutual_template_recursion_is_bounded() {
    expect_error_quickly(
        &[("templates/x.yaml", "{{ define \"a\" }}{{ template \"b\" . }}{{ end }}{{ define \"b\" }}{{ template \"a\" . }}{{ end }}{{ template \"a\" . }}\n")],
        "exceeded maximum template depth",
    );
}

#[test]
fn huge_loops_hit_the_work_budget() {
    expect_error_quickly(
        &[(
            "templates/x.yaml",
            "{{ range until 100000000 }}x{{ end }}\n",
        )],
        "result too large",
    );
    expect_error_quickly(
        &[(
            "templates/x.yaml",
            "{{ range $i := 100000000 }}{{ $i }}{{ end }}\n",
        )],
        "work limit exceeded",
    );
    expect_error_quickly(
        &[("templates/x.yaml", "{{ repeat 1000000000 \"x\" }}\n")],
        "result too large",
    );
}

#[test]
fn deep_nesting_is_a_parse_error_not_a_crash() {
    let deep = format!(
        "{}{}",
        "{{ if true }}".repeat(100_000),
        "{{ end }}".repeat(100_000)
    );
    expect_error_quickly(&[("templates/x.yaml", deep.as_str())], "nested too deeply");
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(100_000), ")".repeat(100_000));
    expect_error_quickly(
        &[("templates/x.yaml", parens.as_str())],
        "nested too deeply",
    );
}

#[test]
fn template_errors_carry_positions() {
    let dir = write_chart(&[("templates/x.yaml", "a: 1\nb: {{ .Values.nope.deeper }}\n")]);
    match render_chart(dir.path(), &opts()) {
        Err(e @ RenderError::Template(..)) => {
            assert_eq!(
                e.position(),
                Some(("hostile/templates/x.yaml".to_string(), 2, 13))
            );
        }
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn schema_violations_are_reported_like_helm() {
    // Helm lists violations in map order, which varies run to run: compare as a set.
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/helm-golden/error-schema/stderr"),
    )
    .expect("golden");
    let err = match render_chart(&chart("schema"), &opts()) {
        Err(e @ RenderError::Schema(_)) => driftlens_helm::helm_error_text(&e),
        other => panic!("expected a schema error, got {other:?}"),
    };
    let mut want: Vec<&str> = golden.lines().collect();
    let mut got: Vec<&str> = err.lines().collect();
    want.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn values_paths_follow_pipelines() {
    let r = render_chart(&chart("basic"), &opts()).expect("renders");
    let cm = r
        .docs
        .iter()
        .find(|d| d.kind == "ConfigMap")
        .expect("configmap");
    let path_at = |needle: &str| {
        let off = cm
            .text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not in output"));
        cm.locate(off).and_then(|l| l.values_path)
    };
    // `{{ .Values.big | quote }}`
    assert_eq!(path_at("\"1e+06\"").as_deref(), Some("big"));
    // `{{- toYaml .Values.annotations | nindent 4 }}`
    assert_eq!(path_at("{}").as_deref(), Some("annotations"));
}
