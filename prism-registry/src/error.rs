use std::fmt;
use std::path::PathBuf;

/// A mistake in a registry, located to the line and column of the offending YAML node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RegistryError {
    /// The file, as given to the loader (relative paths stay relative).
    pub file: PathBuf,
    /// 1-based line, 0 when the mistake is about the file as a whole.
    pub line: usize,
    /// 1-based column, 0 when unknown.
    pub column: usize,
    /// Which class of mistake it is.
    pub kind: ErrorKind,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// The classes of registry mistakes; every one is a compile error of `compliance_matrix!()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file or directory cannot be read, or is not UTF-8.
    Io,
    /// A file in the registry directory that would not be read: a subdirectory or a name not
    /// ending in `.yaml`/`.yml`.
    UnexpectedFile,
    /// Not YAML (also: a duplicate key, a second document).
    Syntax,
    /// A field of a closed section (`plugin`, `instance`, `docker`, `native`, a ready condition)
    /// that is not one of its fields.
    UnknownField,
    /// An unknown field (kept as metadata elsewhere) within a small edit distance of a known one.
    MisspeltField,
    /// A required field is missing.
    MissingField,
    /// A field has the wrong YAML type (`status: true`, `ports: 5432`).
    WrongType,
    /// A field has the right type and a value it cannot take (`port: 0`, an empty command,
    /// `status: done`).
    InvalidValue,
    /// A claimed interface that has no proto.
    UnknownInterface,
    /// A key of the grouped `interfaces:` form that is not a data model.
    UnknownModel,
    /// An interface listed under another model than its own.
    WrongModel,
    /// An interface claimed twice by one backend.
    DuplicateInterface,
    /// An implemented interface whose suite calls an interface the backend does not implement.
    MissingRequirement,
    /// A backend name that is not a snake_case identifier.
    BadName,
    /// A backend name the generated code uses itself (`std`, `prism_suite`, ...).
    ReservedName,
    /// Two files declare the same backend.
    DuplicateBackend,
    /// No `plugin:`, or one that names no way to start the plugin.
    NoPlugin,
    /// No `implements:` and no `interfaces:`.
    NoInterfaces,
}

impl RegistryError {
    pub(crate) fn new(
        file: impl Into<PathBuf>,
        (line, column): (usize, usize),
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> Self {
        RegistryError {
            file: file.into(),
            line,
            column,
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
