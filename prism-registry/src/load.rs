//! Finding and reading registry files: which files a directory holds, and the checks across files.

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, RegistryError};
use crate::model::{Backend, Registry, Source};
use crate::parse;

/// Finds `registry/backends` in `start` or the nearest ancestor that has one.
pub fn locate(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("registry").join("backends"))
        .find(|candidate| candidate.is_dir())
}

/// The checkout a registry belongs to, which a process plugin's relative paths and `build` step
/// are resolved against: the nearest ancestor of `registry_dir` holding `Cargo.lock` or `.git`,
/// else `registry_dir` itself.
pub fn project_root(registry_dir: &Path) -> PathBuf {
    registry_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists() || d.join(".git").exists())
        .unwrap_or(registry_dir)
        .to_path_buf()
}

/// The registry files of `dir`, sorted: every entry whose name ends in `.yaml` or `.yml` (any
/// case). Entries whose name starts with `.` (editor swap files, `.gitkeep`) are skipped. Anything
/// else, a subdirectory included, is an [`ErrorKind::UnexpectedFile`]: a file that would not be
/// read is never skipped in silence.
pub fn registry_files(dir: &Path) -> Result<Vec<PathBuf>, Vec<RegistryError>> {
    let io = |e: std::io::Error| {
        vec![RegistryError::new(
            dir,
            (0, 0),
            ErrorKind::Io,
            format!("cannot read the registry directory: {e}"),
        )]
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            errors.push(unexpected(&path, "its name is not UTF-8".to_owned()));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            errors.push(unexpected(
                &path,
                "is a directory; registry files are read from the registry directory itself, not from subdirectories: move its files up, or the directory out".to_owned(),
            ));
            continue;
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("yaml" | "yml") => files.push(path),
            _ => errors.push(unexpected(
                &path,
                "is not a registry file: the directory holds one `<backend>.yaml` per backend; name it `.yaml` to have it read, or move it out".to_owned(),
            )),
        }
    }
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.file.cmp(&b.file));
        return Err(errors);
    }
    files.sort();
    Ok(files)
}

fn unexpected(path: &Path, why: String) -> RegistryError {
    RegistryError::new(path, (0, 0), ErrorKind::UnexpectedFile, why)
}

/// Loads every registry file of `dir` ([`registry_files`]), reporting every mistake of every file
/// at once.
pub fn load_dir(dir: &Path) -> Result<Registry, Vec<RegistryError>> {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for file in registry_files(dir)? {
        match read(&file) {
            Ok(text) => sources.push(Source { path: file, text }),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    load_sources(dir, sources)
}

/// Loads a registry from file texts already read (the bytes `compliance_matrix!()` embedded in
/// a test binary): the same checks as [`load_dir`], no file system access.
pub fn load_sources(dir: &Path, sources: Vec<Source>) -> Result<Registry, Vec<RegistryError>> {
    let mut backends: Vec<Backend> = Vec::new();
    let mut errors = Vec::new();
    for source in &sources {
        match parse::parse(&source.path, &source.text) {
            Ok(parsed) => {
                if let Some(first) = backends.iter().find(|b| b.name == parsed.backend.name) {
                    errors.push(RegistryError::new(
                        &source.path,
                        (parsed.name_at.line, parsed.name_at.column),
                        ErrorKind::DuplicateBackend,
                        format!(
                            "backend `{}` is already declared in {}; backend names must be unique",
                            parsed.backend.name,
                            // Both files are in one directory: the name is enough and reads the same everywhere.
                            first.file.file_name().unwrap_or_default().to_string_lossy()
                        ),
                    ));
                } else {
                    backends.push(parsed.backend);
                }
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    backends.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Registry {
        dir: dir.to_path_buf(),
        backends,
        sources,
    })
}

/// Loads one backend file.
pub fn load_file(file: &Path) -> Result<Backend, Vec<RegistryError>> {
    let text = read(file).map_err(|e| vec![e])?;
    parse_str(file, &text)
}

/// Parses the text of one backend file; `file` is only used in errors and [`Backend::file`].
pub fn parse_str(file: &Path, text: &str) -> Result<Backend, Vec<RegistryError>> {
    parse::parse(file, text).map(|p| p.backend)
}

fn read(file: &Path) -> Result<String, RegistryError> {
    std::fs::read_to_string(file)
        .map_err(|e| RegistryError::new(file, (0, 0), ErrorKind::Io, format!("cannot read: {e}")))
}

#[cfg(test)]
mod tests;
