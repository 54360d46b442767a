//! Model: Kubernetes objects, their identities, and typed Argo CD resources.
