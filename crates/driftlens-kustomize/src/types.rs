//! The kustomization file (`types.Kustomization`) and the option structs it holds, decoded
//! with kustomize's strictness (see [`crate::jsondec`]), plus `FixKustomization`,
//! `CheckEmpty` and `EnforceFields`.

use std::collections::BTreeMap;

use crate::jsondec::Decoder;
use crate::yaml::value::Value;

/// `kustomize.config.k8s.io/v1beta1`.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `kustomize.config.k8s.io/v1alpha1`.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// Group/version/kind (`resid.Gvk`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    /// API group.
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

/// `types.FieldSpec`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSpec {
    /// Which objects.
    pub gvk: Gvk,
    /// `/`-separated path.
    pub path: String,
    /// Create missing fields.
    pub create: bool,
}

/// `types.Selector` (`resid.ResId` inline plus label/annotation selectors).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// Group/version/kind patterns.
    pub gvk: Gvk,
    /// Name pattern.
    pub name: String,
    /// Namespace pattern.
    pub namespace: String,
    /// Annotation selector.
    pub annotation_selector: String,
    /// Label selector.
    pub label_selector: String,
}

/// `types.Patch`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Patch {
    /// File path.
    pub path: String,
    /// Inline patch.
    pub patch: String,
    /// Target selector.
    pub target: Option<Selector>,
    /// `allowNameChange`, `allowKindChange`.
    pub options: Option<BTreeMap<String, bool>>,
}

/// `types.Image`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Image {
    /// Image name (an unescaped regex).
    pub name: String,
    /// New name.
    pub new_name: String,
    /// Suffix appended to the tag.
    pub tag_suffix: String,
    /// New tag.
    pub new_tag: String,
    /// Digest.
    pub digest: String,
}

/// `types.Replica`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Replica {
    /// Object name.
    pub name: String,
    /// Replica count.
    pub count: i64,
}

/// `types.Label`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Label {
    /// The labels.
    pub pairs: BTreeMap<String, String>,
    /// Also selectors.
    pub include_selectors: bool,
    /// Also pod templates.
    pub include_templates: bool,
    /// Extra field specs (`fields`).
    pub field_specs: Vec<FieldSpec>,
}

/// `types.FieldOptions`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldOptions {
    /// Delimiter.
    pub delimiter: String,
    /// Index.
    pub index: i64,
    /// Encoding.
    pub encoding: String,
    /// Create missing target fields.
    pub create: bool,
}

/// `types.SourceSelector`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceSelector {
    /// Group/version/kind.
    pub gvk: Gvk,
    /// Name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// Field path.
    pub field_path: String,
    /// Options.
    pub options: Option<FieldOptions>,
}

/// `types.TargetSelector`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetSelector {
    /// Selected objects.
    pub select: Option<Selector>,
    /// Rejected objects.
    pub reject: Vec<Selector>,
    /// Field paths.
    pub field_paths: Vec<String>,
    /// Options.
    pub options: Option<FieldOptions>,
}

/// `types.ReplacementField`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplacementField {
    /// Source.
    pub source: Option<SourceSelector>,
    /// Targets.
    pub targets: Vec<TargetSelector>,
    /// File with replacements.
    pub path: String,
}

/// `types.Var`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Var {
    /// Name.
    pub name: String,
    /// Object reference: apiVersion.
    pub api_version: String,
    /// Object reference: group/version/kind.
    pub gvk: Gvk,
    /// Object reference: name.
    pub obj_name: String,
    /// Object reference: namespace.
    pub obj_namespace: String,
    /// Field path.
    pub field_path: String,
}

/// `types.GeneratorOptions`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeneratorOptions {
    /// Labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// No hash suffix.
    pub disable_name_suffix_hash: bool,
    /// `immutable: true`.
    pub immutable: bool,
}

/// `types.GeneratorArgs` (+ `type` for secrets).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GeneratorArgs {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// create|merge|replace.
    pub behavior: String,
    /// `literals`.
    pub literals: Vec<String>,
    /// `files`.
    pub files: Vec<String>,
    /// `envs` (plus the legacy `env`).
    pub envs: Vec<String>,
    /// Legacy `env`.
    pub env: String,
    /// Options.
    pub options: Option<GeneratorOptions>,
    /// Secret type.
    pub secret_type: String,
}

/// `types.HelmGlobals`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelmGlobals {
    /// Chart home.
    pub chart_home: String,
    /// Config home.
    pub config_home: String,
}

/// `types.HelmChart`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelmChart {
    /// Chart name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Repository.
    pub repo: String,
    /// Release name.
    pub release_name: String,
    /// Namespace.
    pub namespace: String,
    /// More values files.
    pub additional_values_files: Vec<String>,
    /// Values file.
    pub values_file: String,
    /// Inline values.
    pub values_inline: Option<Value>,
    /// override|merge|replace.
    pub values_merge: String,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--no-hooks`.
    pub skip_hooks: bool,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--kube-version`.
    pub kube_version: String,
    /// `--name-template`.
    pub name_template: String,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--debug`.
    pub debug: bool,
}

/// `types.SortOptions`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SortOptions {
    /// legacy|fifo.
    pub order: String,
    /// Legacy options.
    pub legacy: Option<(Vec<String>, Vec<String>)>,
}

/// A kustomization file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kustomization {
    /// `kind`.
    pub kind: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `openapi`.
    pub openapi: BTreeMap<String, String>,
    /// `namePrefix`.
    pub name_prefix: String,
    /// `nameSuffix`.
    pub name_suffix: String,
    /// `namespace`.
    pub namespace: String,
    /// `commonLabels`.
    pub common_labels: BTreeMap<String, String>,
    /// `labels`.
    pub labels: Vec<Label>,
    /// `commonAnnotations`.
    pub common_annotations: BTreeMap<String, String>,
    /// `patchesStrategicMerge`.
    pub patches_strategic_merge: Vec<String>,
    /// `patchesJson6902`.
    pub patches_json6902: Vec<Patch>,
    /// `patches`.
    pub patches: Vec<Patch>,
    /// `images` (+ `imageTags`).
    pub images: Vec<Image>,
    /// `replacements`.
    pub replacements: Vec<ReplacementField>,
    /// `replicas`.
    pub replicas: Vec<Replica>,
    /// `vars`.
    pub vars: Vec<Var>,
    /// `sortOptions`.
    pub sort_options: Option<SortOptions>,
    /// `resources` (+ `bases`).
    pub resources: Vec<String>,
    /// `components`.
    pub components: Vec<String>,
    /// `crds`.
    pub crds: Vec<String>,
    /// `configMapGenerator`.
    pub config_map_generator: Vec<GeneratorArgs>,
    /// `secretGenerator`.
    pub secret_generator: Vec<GeneratorArgs>,
    /// `helmGlobals`.
    pub helm_globals: Option<HelmGlobals>,
    /// `helmCharts` (+ `helmChartInflationGenerator`).
    pub helm_charts: Vec<HelmChart>,
    /// `generatorOptions`.
    pub generator_options: Option<GeneratorOptions>,
    /// `configurations`.
    pub configurations: Vec<String>,
    /// `generators`.
    pub generators: Vec<String>,
    /// `transformers`.
    pub transformers: Vec<String>,
    /// `validators`.
    pub validators: Vec<String>,
    /// `buildMetadata`.
    pub build_metadata: Vec<String>,
    /// Deprecated fields used, in kustomize's warning order.
    pub deprecated: Vec<&'static str>,
}

const KUST_FIELDS: &[&str] = &[
    "kind",
    "apiVersion",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

fn gvk_field(d: &mut Decoder, name: &str, v: &Value, gvk: &mut Gvk) -> bool {
    match name {
        "group" => gvk.group = d.string(v),
        "version" => gvk.version = d.string(v),
        "kind" => gvk.kind = d.string(v),
        _ => return false,
    }
    true
}

/// Decodes a `types.FieldSpec`.
pub fn decode_field_spec(d: &mut Decoder, v: &Value) -> FieldSpec {
    let mut fs = FieldSpec::default();
    d.object(
        v,
        "FieldSpec",
        "types.FieldSpec",
        &["group", "version", "kind", "path", "create"],
        |d, name, v| {
            if !gvk_field(d, name, v, &mut fs.gvk) {
                match name {
                    "path" => fs.path = d.string(v),
                    "create" => fs.create = d.boolean(v),
                    _ => {}
                }
            }
        },
    );
    fs
}

/// Decodes a `types.Selector`.
pub fn decode_selector(d: &mut Decoder, v: &Value) -> Option<Selector> {
    if !d.present(v) {
        return None;
    }
    let mut s = Selector::default();
    d.object(
        v,
        "Selector",
        "types.Selector",
        &[
            "group",
            "version",
            "kind",
            "name",
            "namespace",
            "annotationSelector",
            "labelSelector",
        ],
        |d, name, v| {
            if !gvk_field(d, name, v, &mut s.gvk) {
                match name {
                    "name" => s.name = d.string(v),
                    "namespace" => s.namespace = d.string(v),
                    "annotationSelector" => s.annotation_selector = d.string(v),
                    "labelSelector" => s.label_selector = d.string(v),
                    _ => {}
                }
            }
        },
    );
    Some(s)
}

/// Decodes a `types.Patch`.
pub fn decode_patch(d: &mut Decoder, v: &Value) -> Patch {
    let mut p = Patch::default();
    d.object(
        v,
        "Patch",
        "types.Patch",
        &["path", "patch", "target", "options"],
        |d, name, v| match name {
            "path" => p.path = d.string(v),
            "patch" => p.patch = d.string(v),
            "target" => p.target = decode_selector(d, v),
            "options" => p.options = d.bool_map(v),
            _ => {}
        },
    );
    p
}

fn decode_image(d: &mut Decoder, v: &Value) -> Image {
    let mut i = Image::default();
    d.object(
        v,
        "Image",
        "types.Image",
        &["name", "newName", "tagSuffix", "newTag", "digest"],
        |d, name, v| match name {
            "name" => i.name = d.string(v),
            "newName" => i.new_name = d.string(v),
            "tagSuffix" => i.tag_suffix = d.string(v),
            "newTag" => i.new_tag = d.string(v),
            "digest" => i.digest = d.string(v),
            _ => {}
        },
    );
    i
}

/// Decodes a `types.GeneratorOptions`.
pub fn decode_gen_options(d: &mut Decoder, v: &Value) -> Option<GeneratorOptions> {
    if !d.present(v) {
        return None;
    }
    let mut o = GeneratorOptions::default();
    d.object(
        v,
        "GeneratorOptions",
        "types.GeneratorOptions",
        &[
            "labels",
            "annotations",
            "disableNameSuffixHash",
            "immutable",
        ],
        |d, name, v| match name {
            "labels" => o.labels = d.string_map(v),
            "annotations" => o.annotations = d.string_map(v),
            "disableNameSuffixHash" => o.disable_name_suffix_hash = d.boolean(v),
            "immutable" => o.immutable = d.boolean(v),
            _ => {}
        },
    );
    Some(o)
}

/// Decodes a `types.ConfigMapArgs` / `types.SecretArgs`.
pub fn decode_gen_args(d: &mut Decoder, v: &Value, secret: bool) -> GeneratorArgs {
    let mut g = GeneratorArgs::default();
    let (sname, tname): (&'static str, &str) = if secret {
        ("SecretArgs", "types.SecretArgs")
    } else {
        ("ConfigMapArgs", "types.ConfigMapArgs")
    };
    let names: &[&'static str] = if secret {
        &[
            "namespace",
            "name",
            "behavior",
            "literals",
            "files",
            "envs",
            "env",
            "options",
            "type",
        ]
    } else {
        &[
            "namespace",
            "name",
            "behavior",
            "literals",
            "files",
            "envs",
            "env",
            "options",
        ]
    };
    d.object(v, sname, tname, names, |d, name, v| match name {
        "namespace" => g.namespace = d.string(v),
        "name" => g.name = d.string(v),
        "behavior" => g.behavior = d.string(v),
        "literals" => g.literals = d.strings(v).unwrap_or_default(),
        "files" => g.files = d.strings(v).unwrap_or_default(),
        "envs" => g.envs = d.strings(v).unwrap_or_default(),
        "env" => g.env = d.string(v),
        "options" => g.options = decode_gen_options(d, v),
        "type" => g.secret_type = d.string(v),
        _ => {}
    });
    g
}

fn decode_field_options(d: &mut Decoder, v: &Value) -> Option<FieldOptions> {
    if !d.present(v) {
        return None;
    }
    let mut o = FieldOptions::default();
    d.object(
        v,
        "FieldOptions",
        "types.FieldOptions",
        &["delimiter", "index", "encoding", "create"],
        |d, name, v| match name {
            "delimiter" => o.delimiter = d.string(v),
            "index" => o.index = d.int(v, "int"),
            "encoding" => o.encoding = d.string(v),
            "create" => o.create = d.boolean(v),
            _ => {}
        },
    );
    Some(o)
}

/// Decodes a `types.ReplacementField` (or a bare `types.Replacement` when `with_path` is
/// false).
pub fn decode_replacement(d: &mut Decoder, v: &Value, with_path: bool) -> ReplacementField {
    let mut r = ReplacementField::default();
    let names: &[&'static str] = if with_path {
        &["source", "targets", "path"]
    } else {
        &["source", "targets"]
    };
    let (sname, tname) = if with_path {
        ("ReplacementField", "types.ReplacementField")
    } else {
        ("Replacement", "types.Replacement")
    };
    d.object(v, sname, tname, names, |d, name, v| match name {
        "path" => r.path = d.string(v),
        "source" if d.present(v) => {
            let mut s = SourceSelector::default();
            d.object(
                v,
                "SourceSelector",
                "types.SourceSelector",
                &[
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                    "fieldPath",
                    "options",
                ],
                |d, name, v| {
                    if !gvk_field(d, name, v, &mut s.gvk) {
                        match name {
                            "name" => s.name = d.string(v),
                            "namespace" => s.namespace = d.string(v),
                            "fieldPath" => s.field_path = d.string(v),
                            "options" => s.options = decode_field_options(d, v),
                            _ => {}
                        }
                    }
                },
            );
            r.source = Some(s);
        }
        "targets" => {
            r.targets = d
                .list(v, "[]*types.TargetSelector", |d, v| {
                    let mut t = TargetSelector::default();
                    d.object(
                        v,
                        "TargetSelector",
                        "types.TargetSelector",
                        &["select", "reject", "fieldPaths", "options"],
                        |d, name, v| match name {
                            "select" => t.select = decode_selector(d, v),
                            "reject" => {
                                t.reject = d
                                    .list(v, "[]*types.Selector", |d, v| {
                                        decode_selector(d, v).unwrap_or_default()
                                    })
                                    .unwrap_or_default()
                            }
                            "fieldPaths" => t.field_paths = d.strings(v).unwrap_or_default(),
                            "options" => t.options = decode_field_options(d, v),
                            _ => {}
                        },
                    );
                    t
                })
                .unwrap_or_default()
        }
        _ => {}
    });
    r
}

fn decode_var(d: &mut Decoder, v: &Value) -> Var {
    let mut var = Var::default();
    d.object(
        v,
        "Var",
        "types.Var",
        &["name", "objref", "fieldref"],
        |d, name, v| match name {
            "name" => var.name = d.string(v),
            "objref" => d.object(
                v,
                "Target",
                "types.Target",
                &[
                    "apiVersion",
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                ],
                |d, name, v| {
                    if !gvk_field(d, name, v, &mut var.gvk) {
                        match name {
                            "apiVersion" => var.api_version = d.string(v),
                            "name" => var.obj_name = d.string(v),
                            "namespace" => var.obj_namespace = d.string(v),
                            _ => {}
                        }
                    }
                },
            ),
            "fieldref" => d.object(
                v,
                "FieldSelector",
                "types.FieldSelector",
                &["fieldPath"],
                |d, _, v| var.field_path = d.string(v),
            ),
            _ => {}
        },
    );
    var
}

/// The JSON names of `types.HelmChart`'s fields.
pub const HELM_CHART_FIELDS: &[&str] = &[
    "name",
    "version",
    "repo",
    "releaseName",
    "namespace",
    "additionalValuesFiles",
    "valuesFile",
    "valuesInline",
    "valuesMerge",
    "includeCRDs",
    "skipHooks",
    "apiVersions",
    "kubeVersion",
    "nameTemplate",
    "skipTests",
    "debug",
];

/// Decodes one field of a `types.HelmChart` (`name` is one of [`HELM_CHART_FIELDS`]).
pub fn helm_chart_field(d: &mut Decoder, h: &mut HelmChart, name: &str, v: &Value) {
    match name {
        "name" => h.name = d.string(v),
        "version" => h.version = d.string(v),
        "repo" => h.repo = d.string(v),
        "releaseName" => h.release_name = d.string(v),
        "namespace" => h.namespace = d.string(v),
        "additionalValuesFiles" => h.additional_values_files = d.strings(v).unwrap_or_default(),
        "valuesFile" => h.values_file = d.string(v),
        "valuesInline" => match v {
            Value::Null => {}
            Value::Map(_) => h.values_inline = Some(v.clone()),
            other => {
                let k = crate::jsondec::json_kind(other);
                d.type_error(&k, "map[string]interface {}");
            }
        },
        "valuesMerge" => h.values_merge = d.string(v),
        "includeCRDs" => h.include_crds = d.boolean(v),
        "skipHooks" => h.skip_hooks = d.boolean(v),
        "apiVersions" => h.api_versions = d.strings(v).unwrap_or_default(),
        "kubeVersion" => h.kube_version = d.string(v),
        "nameTemplate" => h.name_template = d.string(v),
        "skipTests" => h.skip_tests = d.boolean(v),
        "debug" => h.debug = d.boolean(v),
        _ => {}
    }
}

fn decode_helm_chart(d: &mut Decoder, v: &Value) -> HelmChart {
    let mut h = HelmChart::default();
    d.object(
        v,
        "HelmChart",
        "types.HelmChart",
        HELM_CHART_FIELDS,
        |d, name, v| helm_chart_field(d, &mut h, name, v),
    );
    h
}

/// The legacy `helmChartInflationGenerator` entries become charts and globals.
fn decode_helm_args(d: &mut Decoder, v: &Value, k: &mut Kustomization, g: &mut HelmGlobals) {
    let mut c = HelmChart::default();
    d.object(
        v,
        "HelmChartArgs",
        "types.HelmChartArgs",
        &[
            "chartName",
            "chartVersion",
            "chartRepoUrl",
            "chartHome",
            "chartRepoName",
            "helmBin",
            "helmHome",
            "values",
            "valuesLocal",
            "valuesMerge",
            "releaseName",
            "releaseNamespace",
            "extraArgs",
        ],
        |d, name, v| match name {
            "chartName" => c.name = d.string(v),
            "chartVersion" => c.version = d.string(v),
            "chartRepoUrl" => c.repo = d.string(v),
            "chartHome" => {
                let s = d.string(v);
                if !s.is_empty() {
                    g.chart_home = s;
                }
            }
            "helmHome" => {
                let s = d.string(v);
                if !s.is_empty() {
                    g.config_home = s;
                }
            }
            "values" => c.values_file = d.string(v),
            "valuesLocal" => {
                if let Value::Map(_) = v {
                    c.values_inline = Some(v.clone());
                }
            }
            "valuesMerge" => c.values_merge = d.string(v),
            "releaseName" => c.release_name = d.string(v),
            "chartRepoName" | "helmBin" | "releaseNamespace" => {
                d.string(v);
            }
            "extraArgs" => {
                d.strings(v);
            }
            _ => {}
        },
    );
    k.helm_charts.push(c);
}

/// What went wrong reading a kustomization file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KustError(pub String);

impl Kustomization {
    /// `Kustomization.Unmarshal` + deprecation warnings + `FixKustomization` + `CheckEmpty`
    /// + `EnforceFields`. `root` is the directory for the enforce-fields message.
    pub fn parse(text: &str, root: &str) -> Result<Kustomization, KustError> {
        let json = yaml_to_json_prefixed(text)?;
        let mut d = Decoder::new();
        let mut k = Kustomization::default();
        let mut bases: Vec<String> = Vec::new();
        let mut image_tags: Vec<Image> = Vec::new();
        let mut helm_args_globals = HelmGlobals::default();
        let mut helm_args_charts: Vec<HelmChart> = Vec::new();
        let mut seen = Deprecations::default();
        d.object(
            &json,
            "Kustomization",
            "types.Kustomization",
            KUST_FIELDS,
            |d, name, v| match name {
                "kind" => k.kind = string_no_mark(d, v),
                "apiVersion" => k.api_version = string_no_mark(d, v),
                "metadata" if d.present(v) => {
                    d.object(
                        v,
                        "ObjectMeta",
                        "types.ObjectMeta",
                        &["name", "namespace", "labels", "annotations"],
                        |d, name, v| match name {
                            "name" | "namespace" => {
                                d.string(v);
                            }
                            _ => {
                                d.string_map(v);
                            }
                        },
                    );
                }
                "openapi" => k.openapi = d.string_map(v).unwrap_or_default(),
                "namePrefix" => k.name_prefix = d.string(v),
                "nameSuffix" => k.name_suffix = d.string(v),
                "namespace" => k.namespace = d.string(v),
                "commonLabels" => {
                    if let Some(m) = d.string_map(v) {
                        seen.common_labels = true;
                        k.common_labels = m;
                    }
                }
                "labels" => {
                    k.labels = d
                        .list(v, "[]types.Label", |d, v| {
                            let mut l = Label::default();
                            d.object(
                                v,
                                "Label",
                                "types.Label",
                                &["pairs", "includeSelectors", "includeTemplates", "fields"],
                                |d, name, v| match name {
                                    "pairs" => l.pairs = d.string_map(v).unwrap_or_default(),
                                    "includeSelectors" => l.include_selectors = d.boolean(v),
                                    "includeTemplates" => l.include_templates = d.boolean(v),
                                    "fields" => {
                                        l.field_specs = d
                                            .list(v, "[]types.FieldSpec", decode_field_spec)
                                            .unwrap_or_default()
                                    }
                                    _ => {}
                                },
                            );
                            l
                        })
                        .unwrap_or_default()
                }
                "commonAnnotations" => k.common_annotations = d.string_map(v).unwrap_or_default(),
                "patchesStrategicMerge" => {
                    if let Some(s) = d.strings(v) {
                        seen.psm = true;
                        k.patches_strategic_merge = s;
                    }
                }
                "patchesJson6902" => {
                    if let Some(p) = d.list(v, "[]types.Patch", decode_patch) {
                        seen.pj = true;
                        k.patches_json6902 = p;
                    }
                }
                "patches" => {
                    k.patches = d.list(v, "[]types.Patch", decode_patch).unwrap_or_default()
                }
                "images" => k.images = d.list(v, "[]types.Image", decode_image).unwrap_or_default(),
                "imageTags" => {
                    if let Some(i) = d.list(v, "[]types.Image", decode_image) {
                        seen.image_tags = true;
                        image_tags = i;
                    }
                }
                "replacements" => {
                    k.replacements = d
                        .list(v, "[]types.ReplacementField", |d, v| {
                            decode_replacement(d, v, true)
                        })
                        .unwrap_or_default()
                }
                "replicas" => {
                    k.replicas = d
                        .list(v, "[]types.Replica", |d, v| {
                            let mut r = Replica::default();
                            d.object(
                                v,
                                "Replica",
                                "types.Replica",
                                &["name", "count"],
                                |d, name, v| match name {
                                    "name" => r.name = d.string(v),
                                    "count" => r.count = d.int(v, "int64"),
                                    _ => {}
                                },
                            );
                            r
                        })
                        .unwrap_or_default()
                }
                "vars" => {
                    if let Some(vars) = d.list(v, "[]types.Var", decode_var) {
                        seen.vars = true;
                        k.vars = vars;
                    }
                }
                "sortOptions" if d.present(v) => {
                    let mut so = SortOptions::default();
                    d.object(
                        v,
                        "SortOptions",
                        "types.SortOptions",
                        &["order", "legacySortOptions"],
                        |d, name, v| match name {
                            "order" => so.order = d.string(v),
                            "legacySortOptions" if d.present(v) => {
                                let (mut first, mut last) = (Vec::new(), Vec::new());
                                d.object(
                                    v,
                                    "LegacySortOptions",
                                    "types.LegacySortOptions",
                                    &["orderFirst", "orderLast"],
                                    |d, name, v| match name {
                                        "orderFirst" => first = d.strings(v).unwrap_or_default(),
                                        _ => last = d.strings(v).unwrap_or_default(),
                                    },
                                );
                                so.legacy = Some((first, last));
                            }
                            _ => {}
                        },
                    );
                    k.sort_options = Some(so);
                }
                "resources" => {
                    if let Some(r) = d.strings(v) {
                        k.resources = r;
                    }
                }
                "components" => k.components = d.strings(v).unwrap_or_default(),
                "crds" => k.crds = d.strings(v).unwrap_or_default(),
                "bases" => {
                    if let Some(b) = d.strings(v) {
                        seen.bases = true;
                        bases = b;
                    }
                }
                "configMapGenerator" => {
                    k.config_map_generator = d
                        .list(v, "[]types.ConfigMapArgs", |d, v| {
                            decode_gen_args(d, v, false)
                        })
                        .unwrap_or_default()
                }
                "secretGenerator" => {
                    k.secret_generator = d
                        .list(v, "[]types.SecretArgs", |d, v| decode_gen_args(d, v, true))
                        .unwrap_or_default()
                }
                "helmGlobals" if d.present(v) => {
                    let mut g = HelmGlobals::default();
                    d.object(
                        v,
                        "HelmGlobals",
                        "types.HelmGlobals",
                        &["chartHome", "configHome"],
                        |d, name, v| match name {
                            "chartHome" => g.chart_home = d.string(v),
                            _ => g.config_home = d.string(v),
                        },
                    );
                    k.helm_globals = Some(g);
                }
                "helmCharts" => {
                    k.helm_charts = d
                        .list(v, "[]types.HelmChart", decode_helm_chart)
                        .unwrap_or_default()
                }
                "helmChartInflationGenerator" => {
                    let mut tmp = Kustomization::default();
                    d.list(v, "[]types.HelmChartArgs", |d, v| {
                        decode_helm_args(d, v, &mut tmp, &mut helm_args_globals)
                    });
                    helm_args_charts = tmp.helm_charts;
                }
                "generatorOptions" => k.generator_options = decode_gen_options(d, v),
                "configurations" => k.configurations = d.strings(v).unwrap_or_default(),
                "generators" => k.generators = d.strings(v).unwrap_or_default(),
                "transformers" => k.transformers = d.strings(v).unwrap_or_default(),
                "validators" => k.validators = d.strings(v).unwrap_or_default(),
                "buildMetadata" => k.build_metadata = d.strings(v).unwrap_or_default(),
                _ => {}
            },
        );
        if let Some(e) = d.error {
            return Err(KustError(format!("invalid Kustomization: {e}")));
        }
        // CheckDeprecatedFields, in kustomize's order.
        if seen.bases {
            k.deprecated.push("bases");
        }
        if seen.common_labels {
            k.deprecated.push("commonLabels");
        }
        if seen.image_tags {
            k.deprecated.push("imageTags");
        }
        if seen.pj {
            k.deprecated.push("patchesJson6902");
        }
        if seen.psm {
            k.deprecated.push("patchesStrategicMerge");
        }
        if seen.vars {
            k.deprecated.push("vars");
        }
        // FixKustomization.
        if k.kind.is_empty() {
            k.kind = "Kustomization".into();
        }
        if k.api_version.is_empty() {
            k.api_version = if k.kind == "Component" {
                COMPONENT_VERSION.into()
            } else {
                KUSTOMIZATION_VERSION.into()
            };
        }
        k.resources.extend(bases);
        k.images.extend(image_tags);
        for g in k
            .config_map_generator
            .iter_mut()
            .chain(k.secret_generator.iter_mut())
        {
            if !g.env.is_empty() {
                let e = std::mem::take(&mut g.env);
                g.envs.push(e);
            }
        }
        if k.helm_globals.is_none()
            && (!helm_args_globals.chart_home.is_empty()
                || !helm_args_globals.config_home.is_empty())
        {
            k.helm_globals = Some(helm_args_globals);
        }
        k.helm_charts.extend(helm_args_charts);
        // CheckEmpty.
        if !d.nonzero {
            return Err(KustError("kustomization.yaml is empty".into()));
        }
        // EnforceFields.
        let mut errs = Vec::new();
        if k.kind != "Kustomization" && k.kind != "Component" {
            errs.push("kind should be Kustomization or Component".to_string());
        }
        let required = if k.kind == "Component" {
            COMPONENT_VERSION
        } else {
            KUSTOMIZATION_VERSION
        };
        if k.api_version != required {
            errs.push(format!("apiVersion for {} should be {required}", k.kind));
        }
        if !errs.is_empty() {
            return Err(KustError(format!(
                "Failed to read kustomization file under {root}:\n{}",
                errs.join("\n")
            )));
        }
        Ok(k)
    }

    /// The warning lines kustomize prints to stderr for deprecated fields.
    pub fn deprecation_warnings(&self) -> Vec<String> {
        const FIX: &str = "Run 'kustomize edit fix' to update your Kustomization automatically.";
        self.deprecated
            .iter()
            .map(|f| match *f {
                "bases" => format!("# Warning: 'bases' is deprecated. Please use 'resources' instead. {FIX}"),
                "commonLabels" => format!("# Warning: 'commonLabels' is deprecated. Please use 'labels' instead. {FIX}"),
                "imageTags" => format!("# Warning: 'imageTags' is deprecated. Please use 'images' instead. {FIX}"),
                "patchesJson6902" => format!("# Warning: 'patchesJson6902' is deprecated. Please use 'patches' instead. {FIX}"),
                "patchesStrategicMerge" => format!("# Warning: 'patchesStrategicMerge' is deprecated. Please use 'patches' instead. {FIX}"),
                _ => format!("# Warning: 'vars' is deprecated. Please use 'replacements' instead. [EXPERIMENTAL] {FIX}"),
            })
            .collect()
    }
}

#[derive(Default)]
struct Deprecations {
    bases: bool,
    common_labels: bool,
    image_tags: bool,
    pj: bool,
    psm: bool,
    vars: bool,
}

/// `kind` and `apiVersion` do not count for the empty check.
fn string_no_mark(d: &mut Decoder, v: &Value) -> String {
    let before = d.nonzero;
    let s = d.string(v);
    d.nonzero = before;
    s
}

fn yaml_to_json_prefixed(text: &str) -> Result<Value, KustError> {
    crate::jsondec::yaml_to_json(text).map_err(|e| KustError(format!("invalid Kustomization: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        Kustomization::parse(s, "/r").unwrap_err().0
    }

    #[test]
    fn strict_like_kustomize() {
        assert_eq!(
            err("commonAnnotations: {a: y}\n"),
            "invalid Kustomization: json: cannot unmarshal bool into Go struct field Kustomization.commonAnnotations of type string"
        );
        assert_eq!(
            err("foo: 1\nresources: []\n"),
            "invalid Kustomization: json: unknown field \"foo\""
        );
        assert_eq!(
            err("images:\n- name: a\n  newTag: 1.0\n"),
            "invalid Kustomization: json: cannot unmarshal number into Go struct field Image.images.newTag of type string"
        );
        assert_eq!(err("kind: Kustomization\n"), "kustomization.yaml is empty");
        assert_eq!(
            err("apiVersion: v1\nresources: [a]\n"),
            "Failed to read kustomization file under /r:\napiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1"
        );
    }

    #[test]
    fn case_insensitive_and_fixes() {
        let k = Kustomization::parse(
            "NamePrefix: p-\nbases: [b]\nresources: [a]\nimageTags: [{name: x}]\n",
            "/r",
        )
        .unwrap();
        assert_eq!(k.name_prefix, "p-");
        assert_eq!(k.resources, vec!["a", "b"]);
        assert_eq!(k.images.len(), 1);
        assert_eq!(k.deprecated, vec!["bases", "imageTags"]);
        assert!(Kustomization::parse("resources: []\n", "/r").is_ok());
    }
}
