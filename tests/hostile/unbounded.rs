//! Class 5: costs that grow faster than the input. Each case used to take minutes or
//! gigabytes; here it must finish within the harness's CPU-time and memory bounds.

use std::fmt::Write as _;

use crate::harness::{p, run, write};

/// A ConfigMap and a Secret with 100,000 keys each: looking up every key's line went through a
/// linear search per key (quadratic).
#[test]
fn objects_with_very_many_keys_are_linear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let mut cm = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
    let mut secret =
        String::from("apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\nstringData:\n");
    for i in 0..100_000 {
        let _ = writeln!(cm, "  key{i}: value{i}");
        let _ = writeln!(secret, "  pw{i}: s3cret-{i:08}");
    }
    write(&repo, "cm.yaml", &cm);
    write(&repo, "secret.yaml", &secret);
    let o = run(&["scan", p(&repo), "--fail-on", "never", "--format", "human"]);
    o.expect(0);
    assert!(!o.stdout.contains("s3cret-00012345"), "a value was printed");
}

/// A chart that renders two Applications of itself: every generation doubles them.
#[test]
fn app_of_apps_cycles_stop_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: loop\nversion: 1.0.0\n",
    );
    let app = |name: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  \
             namespace: argocd\nspec:\n  project: default\n  destination:\n    namespace: x\n    \
             server: https://kubernetes.default.svc\n  source:\n    repoURL: https://example.com/r.git\n    \
             path: chart\n"
        )
    };
    write(
        &repo,
        "chart/templates/apps.yaml",
        &format!(
            "{{{{- range $i := list \"a\" \"b\" }}}}\n---\n{}{{{{- end }}}}\n",
            app("{{ $.Release.Name }}-{{ $i }}")
        ),
    );
    write(&repo, "apps/root.yaml", &app("root"));
    let o = run(&["scan", p(&repo), "--fail-on", "never", "--format", "json"]);
    o.expect(0);
    assert!(o.stdout.contains("app-of-apps cycle"), "{}", o.stdout);
}

/// Subcharts whose archives are each under Helm's cap but together far over it: the archives
/// of one chart share the 100 MiB decompressed-size budget.
#[test]
fn subchart_archives_share_the_decompressed_size_cap() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: top\nversion: 1.0.0\n",
    );
    write(
        &repo,
        "chart/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    );
    // One archive of 40 MiB (mostly one file of zeros), compressed once, copied four times.
    let mut tar = tar::Builder::new(Vec::new());
    let chart_yaml = b"apiVersion: v2\nname: sub\nversion: 1.0.0\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(chart_yaml.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "sub/Chart.yaml", &chart_yaml[..])
        .expect("tar");
    let blob = vec![0u8; 40 << 20];
    let mut header = tar::Header::new_gnu();
    header.set_size(blob.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "sub/files/blob", &blob[..])
        .expect("tar");
    let tar = tar.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).expect("gzip");
    let tgz = gz.finish().expect("gzip");
    for i in 0..4 {
        std::fs::create_dir_all(repo.join("chart/charts")).expect("mkdir");
        std::fs::write(repo.join(format!("chart/charts/sub{i}-1.0.0.tgz")), &tgz).expect("tgz");
    }
    let o = run(&["render", p(&repo.join("chart"))]);
    o.expect(1);
    assert!(
        o.stderr.contains("maximum decompressed size"),
        "{}",
        o.stderr
    );
}
