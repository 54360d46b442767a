//! Model: Kubernetes objects, their identities, and typed Argo CD resources.
//!
//! Desired objects ([`object::Manifest`]) keep their located YAML tree so every field can be
//! traced to a file and line; live objects ([`object::LiveObject`]) are plain JSON, kept as the
//! dump's text and parsed on first use when they come from a JSON dump. Argo CD's
//! `Application`, `ApplicationSet`, `AppProject` and `argocd-cm` settings are parsed into typed
//! models ([`argocd`], [`settings`]). [`sensitive`] is the one policy of which values are
//! secret, for every output and every engine that gets objects.

pub mod argocd;
pub mod cluster;
pub mod key;
pub mod live;
pub mod object;
pub mod repo;
pub mod sensitive;
pub mod settings;
