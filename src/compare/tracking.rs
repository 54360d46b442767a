//! Resource tracking as Argo CD does it (semantics §1.4): how an Application marks the objects
//! it owns, and how a live object is recognised as owned.

use serde_json::{Map, Value};

use crate::model::key::ObjectKey;
use crate::model::object::Annotated;
use crate::model::settings::{ArgoSettings, TrackingMethod};

/// The tracking annotation.
pub const TRACKING_ID: &str = "argocd.argoproj.io/tracking-id";
/// The installation id annotation.
pub const INSTALLATION_ID: &str = "argocd.argoproj.io/installation-id";

/// A parsed `argocd.argoproj.io/tracking-id` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingId {
    /// Instance name of the owning Application.
    pub instance: String,
    /// Group of the object.
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace (the destination namespace for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl TrackingId {
    /// Parses `<instance>:<group>/<kind>:<namespace>/<name>`: split on the first two `:` (the
    /// name may contain colons); the other two parts need exactly one `/`.
    pub fn parse(value: &str) -> Option<TrackingId> {
        let mut parts = value.splitn(3, ':');
        let instance = parts.next()?;
        let gk = parts.next()?;
        let nsn = parts.next()?;
        if gk.matches('/').count() != 1 || nsn.matches('/').count() != 1 {
            return None;
        }
        let (group, kind) = gk.split_once('/')?;
        let (namespace, name) = nsn.split_once('/')?;
        Some(TrackingId {
            instance: instance.to_string(),
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// The annotation value.
    pub fn render(&self) -> String {
        format!(
            "{}:{}/{}:{}/{}",
            self.instance, self.group, self.kind, self.namespace, self.name
        )
    }
}

/// The instance name of an Application: its name, or `<namespace>_<name>` when it lives
/// outside the Argo CD control-plane namespace.
pub fn instance_name(app_name: &str, app_namespace: &str, control_plane_namespace: &str) -> String {
    if app_namespace.is_empty() || app_namespace == control_plane_namespace {
        app_name.to_string()
    } else {
        format!("{app_namespace}_{app_name}")
    }
}

/// Truncates a label value to 63 characters and strips trailing non-alphanumerics, as Argo CD
/// does for the informational label of `annotation+label` tracking.
pub fn truncate_label(v: &str) -> String {
    if v.len() <= 63 {
        return v.to_string();
    }
    let cut: String = v.chars().take(63).collect();
    cut.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

fn is_crd(key: &ObjectKey) -> bool {
    key.group == "apiextensions.k8s.io" && key.kind == "CustomResourceDefinition"
}

fn meta_map<'a>(obj: &'a mut Value, field: &str) -> Option<&'a mut Map<String, Value>> {
    let meta = obj
        .as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let m = meta.as_object_mut()?;
    let f = m.entry(field).or_insert_with(|| Value::Object(Map::new()));
    if f.is_null() {
        *f = Value::Object(Map::new());
    }
    f.as_object_mut()
}

/// Writes the tracking metadata Argo CD adds to every rendered object except CRDs.
/// `namespace` is the object's namespace after defaulting, or the destination namespace for
/// cluster-scoped objects.
pub fn inject(
    obj: &mut Value,
    key: &ObjectKey,
    tracking_namespace: &str,
    instance: &str,
    settings: &ArgoSettings,
) {
    if is_crd(key) {
        return;
    }
    let id = TrackingId {
        instance: instance.to_string(),
        group: key.group.clone(),
        kind: key.kind.clone(),
        namespace: tracking_namespace.to_string(),
        name: key.name.clone(),
    };
    match settings.tracking_method {
        TrackingMethod::Annotation | TrackingMethod::AnnotationAndLabel => {
            if let Some(a) = meta_map(obj, "annotations") {
                a.insert(TRACKING_ID.into(), Value::String(id.render()));
                if let Some(inst) = &settings.installation_id {
                    a.insert(INSTALLATION_ID.into(), Value::String(inst.clone()));
                }
            }
            if settings.tracking_method == TrackingMethod::AnnotationAndLabel {
                if let Some(l) = meta_map(obj, "labels") {
                    l.insert(
                        settings.instance_label_key.clone(),
                        Value::String(truncate_label(instance)),
                    );
                }
            }
        }
        TrackingMethod::Label => {
            if let Some(l) = meta_map(obj, "labels") {
                l.insert(
                    settings.instance_label_key.clone(),
                    Value::String(instance.to_string()),
                );
            }
            if let Some(inst) = &settings.installation_id {
                if let Some(a) = meta_map(obj, "annotations") {
                    a.insert(INSTALLATION_ID.into(), Value::String(inst.clone()));
                }
            }
        }
    }
}

/// The instance name a live object is tracked by, if any.
pub fn owner_instance<M: Annotated + ?Sized>(obj: &M, settings: &ArgoSettings) -> Option<String> {
    if let Some(inst) = &settings.installation_id {
        if obj.annotation(INSTALLATION_ID) != Some(inst.as_str()) {
            return None;
        }
    }
    match settings.tracking_method {
        TrackingMethod::Label => obj.label(&settings.instance_label_key).map(str::to_string),
        TrackingMethod::Annotation | TrackingMethod::AnnotationAndLabel => obj
            .annotation(TRACKING_ID)
            .and_then(TrackingId::parse)
            .map(|t| t.instance),
    }
}

/// Whether a live object's tracking id names this very object (semantics §1.4,
/// `isSelfReferencedObj`). Always true with label tracking or without a tracking id.
pub fn is_self_referenced<M: Annotated + ?Sized>(
    live: &M,
    expected: &ObjectKey,
    tracking_namespace: &str,
    settings: &ArgoSettings,
) -> bool {
    if settings.tracking_method == TrackingMethod::Label {
        return true;
    }
    let Some(id) = live.annotation(TRACKING_ID).and_then(TrackingId::parse) else {
        return true;
    };
    id.group == expected.group
        && id.kind == expected.kind
        && id.name == expected.name
        && (id.namespace == tracking_namespace || id.namespace.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::{annotation, label};
    use serde_json::json;

    #[test]
    fn parse_and_render() {
        let t = TrackingId::parse("shop:apps/Deployment:shop/web").expect("parses");
        assert_eq!(t.group, "apps");
        assert_eq!(t.render(), "shop:apps/Deployment:shop/web");
        let core = TrackingId::parse("shop:/ConfigMap:shop/a:b").expect("colon in name");
        assert_eq!(core.name, "a:b");
        assert!(TrackingId::parse("shop:apps/Deployment").is_none());
        assert!(TrackingId::parse("shop:a/b/c:ns/n").is_none());
    }

    #[test]
    fn inject_by_method() {
        let key = ObjectKey::new("apps/v1", "Deployment", "shop", "web");
        let mut s = ArgoSettings::default();
        let mut obj = json!({"metadata": {"name": "web"}});
        inject(&mut obj, &key, "shop", "shop", &s);
        assert_eq!(
            annotation(&obj, TRACKING_ID),
            Some("shop:apps/Deployment:shop/web")
        );
        assert_eq!(owner_instance(&obj, &s).as_deref(), Some("shop"));
        s.tracking_method = TrackingMethod::Label;
        let mut obj = json!({"metadata": {"name": "web", "labels": null}});
        inject(&mut obj, &key, "shop", "shop", &s);
        assert_eq!(label(&obj, "app.kubernetes.io/instance"), Some("shop"));
        let crd = ObjectKey::new(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            "x",
        );
        let mut obj = json!({"metadata": {"name": "x"}});
        inject(&mut obj, &crd, "shop", "shop", &ArgoSettings::default());
        assert_eq!(obj, json!({"metadata": {"name": "x"}}));
        assert_eq!(truncate_label(&"a".repeat(70)).len(), 63);
        assert_eq!(instance_name("web", "team-a", "argocd"), "team-a_web");
        assert_eq!(instance_name("web", "argocd", "argocd"), "web");
    }

    #[test]
    fn self_reference() {
        let s = ArgoSettings::default();
        let key = ObjectKey::new("v1", "ConfigMap", "shop", "a");
        let copied = json!({"metadata": {"annotations": {TRACKING_ID: "shop:/ConfigMap:shop/b"}}});
        assert!(!is_self_referenced(&copied, &key, "shop", &s));
        let own = json!({"metadata": {"annotations": {TRACKING_ID: "other:/ConfigMap:shop/a"}}});
        assert!(is_self_referenced(&own, &key, "shop", &s));
    }
}
