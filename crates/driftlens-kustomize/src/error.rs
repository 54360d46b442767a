//! Build errors: kustomize's own message text (what `kustomize build` prints after
//! `Error: `), what kind of failure it is, and where in the checkout it points.

use std::fmt;

/// What kind of failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// kustomize itself would fail with this message.
    Build,
    /// Something this engine does not run (exec/container functions, remote resources
    /// without a mapping, Helm without a renderer): the unit is not analysed.
    NotAnalysed,
    /// A budget was exceeded (hostile or pathological input).
    Budget,
}

/// A place in the checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Absolute path of the file.
    pub path: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
}

/// A build error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// kustomize's message.
    pub message: String,
    /// Kind.
    pub kind: ErrorKind,
    /// Where, when known (the innermost kustomization entry or file at fault).
    pub at: Option<Location>,
}

impl Error {
    /// A build error with kustomize's text.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            kind: ErrorKind::Build,
            at: None,
        }
    }

    /// A "not analysed" error.
    pub fn not_analysed(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            kind: ErrorKind::NotAnalysed,
            at: None,
        }
    }

    /// A budget error.
    pub fn budget(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            kind: ErrorKind::Budget,
            at: None,
        }
    }

    /// kyaml `errors.WrapPrefixf`: `prefix: message`.
    pub fn prefix(mut self, p: impl fmt::Display) -> Error {
        self.message = format!("{p}: {}", self.message);
        self
    }

    /// Sets the location unless a more precise one is already set.
    pub fn at_if_unset(mut self, path: &str, line: u32) -> Error {
        if self.at.is_none() {
            self.at = Some(Location {
                path: path.to_string(),
                line,
            });
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias.
pub type Result<T> = std::result::Result<T, Error>;
