//! Cluster dump loading: every accepted shape, and the problems for everything else.

use std::path::PathBuf;

use driftlens::load::dump::{load_dumps, load_dumps_with, parse_dump, DumpLoad, DumpOptions};
use driftlens::model::key::ObjectKey;
use serde_json::json;

mod common;
use common::{dump_fixture as fixture, dump_messages};

fn load(rels: &[&str]) -> DumpLoad {
    let paths: Vec<PathBuf> = rels.iter().map(|r| fixture(r)).collect();
    load_dumps(&paths)
}

fn keys(l: &DumpLoad) -> Vec<String> {
    l.objects.iter().map(|o| o.key.to_string()).collect()
}

fn assert_clean(l: &DumpLoad) {
    assert!(
        l.problems.is_empty() && l.fatal.is_empty(),
        "{}",
        dump_messages(l)
    );
}

#[test]
fn kubectl_json_list() {
    let l = load(&["list.json"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        [
            "apps/Deployment:shop/web",
            "/Service:shop/web",
            "/Secret:shop/db",
            "/Namespace:shop"
        ]
    );
    let d = &l.objects[0];
    assert_eq!(d.api_version, "apps/v1");
    assert_eq!(d.obj()["spec"]["replicas"], json!(3));
    assert_eq!(d.source, 0);
    assert_eq!(l.sources, [fixture("list.json").display().to_string()]);
}

#[test]
fn typed_list_items_inherit_kind_and_api_version() {
    let l = load(&["typed-list.json"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        ["apps/Deployment:shop/web", "apps/Deployment:shop/api"]
    );
    for o in &l.objects {
        assert_eq!(o.obj()["kind"], json!("Deployment"));
        assert_eq!(o.obj()["apiVersion"], json!("apps/v1"));
    }
}

#[test]
fn single_json_object_and_concatenated_json() {
    let l = load(&["single.json"]);
    assert_clean(&l);
    assert_eq!(keys(&l), ["/Service:shop/web"]);
    let l = load(&["concatenated.json"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        [
            "apps/Deployment:shop/web",
            "/Service:shop/web",
            "/Secret:shop/db"
        ]
    );
}

#[test]
fn an_empty_list_is_a_valid_dump() {
    let l = load(&["empty-list.json"]);
    assert_clean(&l);
    assert!(l.objects.is_empty());
}

#[test]
fn kubectl_yaml_list_uses_kubernetes_scalars() {
    let l = load(&["list.yaml"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        [
            "apps/Deployment:shop/web",
            "/ConfigMap:shop/web-config",
            "rbac.authorization.k8s.io/ClusterRole:reader"
        ]
    );
    assert_eq!(
        l.objects[1].obj()["data"],
        json!({"enabled": "true", "mode": "0755"})
    );
    assert_eq!(l.objects[0].obj()["spec"]["replicas"], json!(3));
}

#[test]
fn multi_document_and_single_yaml() {
    let l = load(&["multi.yaml"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        [
            "apps/Deployment:shop/web",
            "/Service:shop/web",
            "/Secret:shop/db"
        ]
    );
    let l = load(&["single.yaml"]);
    assert_clean(&l);
    assert_eq!(keys(&l), ["/ConfigMap:shop/flags"]);
    assert_eq!(l.objects[0].obj()["data"]["level"], json!("3"));
}

#[test]
fn folders_are_walked_recursively_in_sorted_order() {
    let l = load(&["folder"]);
    assert_clean(&l);
    assert_eq!(
        keys(&l),
        [
            "/Service:shop/web",
            "apps/Deployment:shop/web",
            "/Service:shop/web",
            "/Secret:shop/db",
            "/ConfigMap:shop/flags"
        ]
    );
    let names: Vec<String> = l
        .sources
        .iter()
        .map(|s| s.rsplit('/').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["a-service.json", "b-workloads.yaml", "c-flags.yml"]);
    assert_eq!(l.objects[0].source, 0);
    assert_eq!(l.objects[4].source, 2);
}

#[test]
fn repeated_cluster_flags_index_sources_and_last_wins() {
    let l = load(&["multi.yaml", "list.json"]);
    assert_clean(&l);
    assert_eq!(l.sources.len(), 2);
    let cluster = l.into_cluster();
    let web = cluster
        .get(&ObjectKey::new("apps/v1", "Deployment", "shop", "web"))
        .expect("web");
    // list.json (replicas 3) is read after multi.yaml (replicas 2).
    assert_eq!(web.obj()["spec"]["replicas"], json!(3));
    assert_eq!(web.source, 1);
}

#[test]
fn unreadable_paths_are_fatal() {
    let l = load(&["does-not-exist.json"]);
    assert!(l.is_fatal());
    assert!(l.objects.is_empty());
    let msg = dump_messages(&l);
    assert!(msg.contains("does-not-exist.json"), "{msg}");
    assert!(msg.contains("--cluster"), "{msg}");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
    let l = load_dumps(&[dir.path().to_path_buf()]);
    assert!(l.is_fatal());
    assert!(
        dump_messages(&l).contains("no *.json"),
        "{}",
        dump_messages(&l)
    );
}

#[test]
fn truncated_json_is_fatal_with_line_and_column() {
    let l = load(&["bad/truncated.json"]);
    assert!(l.is_fatal());
    let f = &l.fatal[0];
    assert!(f.line.is_some_and(|l| l > 1), "{f}");
    assert!(f.col.is_some(), "{f}");
    assert!(f.message.contains("truncated"), "{f}");
}

#[test]
fn garbage_after_a_valid_object_is_fatal_but_keeps_the_object() {
    let l = load(&["bad/garbage-after.json"]);
    assert!(l.is_fatal());
    assert_eq!(keys(&l), ["/Service:shop/web"]);
    assert_eq!(l.fatal[0].line, Some(2));
}

#[test]
fn yaml_syntax_errors_are_fatal_with_a_line() {
    let l = load(&["bad/syntax.yaml"]);
    assert!(l.is_fatal());
    assert!(l.fatal[0].line.is_some_and(|n| n >= 5), "{}", l.fatal[0]);
}

#[test]
fn empty_files_are_fatal() {
    let l = load(&["bad/empty.json"]);
    assert!(l.is_fatal());
    assert!(dump_messages(&l).contains("no objects"));
}

/// A file whose entries are all skipped is not a dump of an empty cluster (that would report
/// every object of the checkout missing): it is fatal, with the first reason and its line.
#[test]
fn files_with_no_kubernetes_object_are_fatal() {
    for f in [
        "bad/not-object.json",
        "bad/scalar.yaml",
        "bad/items-not-array.json",
    ] {
        let l = load(&[f]);
        assert!(l.is_fatal(), "{f}: {}", dump_messages(&l));
        assert!(l.objects.is_empty(), "{f}");
        assert_eq!(l.fatal.len(), 1, "{f}");
        let m = &l.fatal[0].message;
        assert!(
            m.contains("no Kubernetes object") && m.contains("not a Kubernetes object or List"),
            "{f}: {}",
            l.fatal[0]
        );
        assert_eq!(l.fatal[0].line, Some(1), "{f}");
    }
}

#[test]
fn items_without_identity_are_skipped_with_their_line() {
    let l = load(&["bad/skipped-items.json"]);
    assert!(!l.is_fatal(), "{}", dump_messages(&l));
    assert_eq!(keys(&l), ["/Service:shop/web"]);
    let msgs: Vec<String> = l.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(l.problems.len(), 4, "{msgs:#?}");
    assert!(msgs[0].contains("no metadata.name"), "{msgs:#?}");
    assert!(
        msgs[1].contains("no apiVersion, kind, metadata.name"),
        "{msgs:#?}"
    );
    assert!(msgs[2].contains("List inside a List"), "{msgs:#?}");
    assert!(msgs[3].contains("no apiVersion"), "{msgs:#?}");
    let lines: Vec<u32> = l.problems.iter().filter_map(|p| p.line).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
}

#[test]
fn messages_never_quote_dump_content() {
    let l = load(&[
        "bad/skipped-items.json",
        "bad/items-not-array.json",
        "bad/truncated.json",
        "list.json",
    ]);
    let msg = dump_messages(&l);
    for secret in [
        "c3VwZXItc2VjcmV0LXZhbHVl",
        "c2VjcmV0LWluLWFuLWl0ZW0td2l0aG91dC1uYW1l",
        "s3cr3t-in-items",
        "just a string",
    ] {
        assert!(!msg.contains(secret), "{msg}");
    }
}

#[test]
fn binary_and_non_utf8_dumps_are_fatal_with_a_line() {
    let l = parse_dump("x.json", b"{\"a\": 1,\n\"b\": \"\0\"}".to_vec());
    assert!(l.is_fatal());
    assert_eq!(l.fatal[0].line, Some(2));
    assert!(l.fatal[0].message.contains("binary"));
    let l = parse_dump("x.yaml", b"kind: A\nname: \xff\xfe\n".to_vec());
    assert!(l.is_fatal());
    assert_eq!((l.fatal[0].line, l.fatal[0].col), (Some(2), Some(7)));
}

#[test]
fn bom_and_crlf_are_accepted() {
    let json =
        "\u{feff}{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}";
    let l = parse_dump("a.json", json.as_bytes().to_vec());
    assert_clean(&l);
    let yaml = "\u{feff}apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: b\r\n";
    let l = parse_dump("b.yaml", yaml.as_bytes().to_vec());
    assert_clean(&l);
    assert_eq!(keys(&l), ["/ConfigMap:b"]);
}

#[test]
fn flow_yaml_that_looks_like_json_falls_back_to_yaml() {
    let l = parse_dump(
        "flow.yaml",
        b"{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n".to_vec(),
    );
    assert_clean(&l);
    assert_eq!(keys(&l), ["/ConfigMap:c"]);
    // A `.json` file is held to JSON.
    let l = parse_dump(
        "flow.json",
        b"{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n".to_vec(),
    );
    assert!(l.is_fatal());
    assert_eq!((l.fatal[0].line, l.fatal[0].col), (Some(1), Some(2)));
}

#[test]
fn escaped_identity_strings_are_decoded() {
    let l = parse_dump(
        "e.json",
        br#"{"kind":"List","items":[{"apiVersion":"v1","kind":"Config\u004dap","metadata":{"name":"a\"b","namespace":"n"}}]}"#
            .to_vec(),
    );
    assert_clean(&l);
    assert_eq!(keys(&l), ["/ConfigMap:n/a\"b"]);
}

#[test]
fn size_limit_is_fatal() {
    let l = load_dumps_with(&[fixture("list.json")], &DumpOptions { max_file_size: 100 });
    assert!(l.is_fatal());
    assert!(dump_messages(&l).contains("limit"), "{}", dump_messages(&l));
}

#[test]
fn the_json_index_borrows_from_the_text() {
    use std::borrow::Cow;
    let text = std::fs::read_to_string(fixture("list.json")).expect("fixture");
    let (index, err) = driftlens::load::dump::index_json(&text);
    assert!(err.is_none());
    assert_eq!(index.values, 1);
    assert_eq!(index.items.len(), 4);
    let web = &index.items[0];
    assert!(matches!(web.kind, Cow::Borrowed("Deployment")));
    assert!(matches!(web.name, Cow::Borrowed("web")));
    assert!(matches!(web.namespace, Cow::Borrowed("shop")));
    // The raw item is a slice of the text, at the recorded offset.
    assert!(text[web.offset..].starts_with(web.raw.get()));
    assert!(web.raw.get().contains("\"replicas\": 3"));
}
