//! The credential rules outside Secrets (`env-var-literal-credential`,
//! `configmap-sensitive-data`) report *that* a value looks like a credential, never the value:
//! neither in messages nor in the source snippets of the human format.

use std::path::PathBuf;

use assert_cmd::Command;

#[test]
fn flagged_literals_never_appear_in_any_output() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/rules");
    for (rule, needles) in [
        (
            "env-var-literal-credential",
            &["fixture-pw-9d2c41", "sk_test_FIXTURE", "s3ss10n-s3cr3t"][..],
        ),
        (
            "configmap-sensitive-data",
            &[
                "fixture-pw-7b1e03",
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDFAKEFAKEFAKE",
            ][..],
        ),
    ] {
        let dir = root.join(rule).join("bad");
        let src: String = std::fs::read_dir(&dir)
            .expect("fixture")
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).expect("read"))
            .collect();
        for n in needles {
            assert!(src.contains(n), "{rule}: the fixture must hold `{n}`");
        }
        for format in ["human", "json", "sarif", "github"] {
            let out = Command::cargo_bin("driftlens")
                .expect("binary")
                .env("NO_COLOR", "1")
                .args(["scan", dir.to_str().expect("utf-8"), "--format", format])
                .args(["--fail-on", "never"])
                .output()
                .expect("runs");
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(all.contains(rule), "{format}: no {rule} finding:\n{all}");
            for n in needles {
                assert!(
                    !all.contains(n),
                    "{rule} {format}: output contains `{n}`:\n{all}"
                );
            }
        }
    }
}
