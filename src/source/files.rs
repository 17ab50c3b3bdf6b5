//! Reading files on behalf of a later stage: the [`Files`] trait, and [`DiskFiles`], its one
//! implementation that touches the disk.
//!
//! Renderers (Kustomize, later Helm and Compose) must read files a kustomization or a chart
//! names, but `render/` may not do I/O. They read through [`Files`] instead, so their tests
//! use an in-memory tree and the disk is touched in this one place. The trait lives here,
//! not in `render/`, so that data keeps flowing one way (`source` → `render`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::{Format, SourceFile, detect};

/// Read access to a tree of files. Paths are as the caller builds them (absolute or
/// relative to the working directory); implementations never follow a path outside what
/// they are asked for, and answer an error rather than panic.
pub trait Files: Sync {
    /// The text of a regular file. Non-UTF-8, binary, oversized and non-regular files are
    /// an error whose message says why (`no such file or directory`, `is a directory`…).
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether `path` is a file (of any kind but a directory).
    fn exists(&self, path: &Path) -> bool;
    /// The entries of a directory, sorted by path.
    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String>;
    /// The bytes of a regular file that need not be text (a chart's `.Files`, a `.tgz` chart
    /// archive), within the same size limit as [`Files::read`]. By default, the text
    /// [`Files::read`] gives (trees in memory hold text).
    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        self.read(path).map(|f| f.text.clone().into_bytes())
    }
}

/// Files on disk, read with the same limits as checked files: regular files only (no FIFO,
/// socket or device is ever opened), at most `max_bytes`, UTF-8 text (a UTF-8 byte-order
/// mark is dropped).
#[derive(Debug, Clone)]
pub struct DiskFiles {
    pub max_bytes: u64,
    /// Paths are shown relative to this directory (usually the working directory).
    pub display_root: PathBuf,
}

impl DiskFiles {
    pub fn new(max_bytes: u64, display_root: impl Into<PathBuf>) -> Self {
        Self {
            max_bytes,
            display_root: display_root.into(),
        }
    }

    fn display(&self, path: &Path) -> String {
        super::discover::display_path(path, &self.display_root)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

impl Files for DiskFiles {
    fn read(&self, path: &Path) -> Result<Arc<SourceFile>, String> {
        let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
        if meta.is_dir() {
            return Err("is a directory".into());
        }
        if !meta.is_file() {
            return Err("is not a regular file".into());
        }
        if meta.len() > self.max_bytes {
            return Err(format!(
                "is larger than {} bytes ({} bytes); not read",
                self.max_bytes,
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| io_reason(&e))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(format!("is larger than {} bytes; not read", self.max_bytes));
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if body.contains(&0) {
            return Err("is a binary file (it contains NUL bytes)".into());
        }
        let text = String::from_utf8(body.to_vec()).map_err(|e| {
            format!(
                "is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            )
        })?;
        // Terraform and Bicep modules are read by their callers (a module call's local
        // path, a vendored module); everything else read here is Kustomize's.
        let format = match detect::by_name(path) {
            Some(
                f @ (Format::Kustomization
                | Format::Terraform
                | Format::TerraformVars
                | Format::Bicep),
            ) => f,
            _ => Format::Kubernetes,
        };
        Ok(Arc::new(SourceFile::new(
            path.to_path_buf(),
            self.display(path),
            format,
            text,
        )))
    }

    fn is_dir(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| m.is_dir())
    }

    fn exists(&self, path: &Path) -> bool {
        std::fs::metadata(path).is_ok_and(|m| !m.is_dir())
    }

    fn list(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io_reason(&e))? {
            out.push(entry.map_err(|e| io_reason(&e))?.path());
        }
        out.sort();
        Ok(out)
    }

    fn read_bytes(&self, path: &Path) -> Result<Vec<u8>, String> {
        use std::io::Read;
        let meta = std::fs::metadata(path).map_err(|e| io_reason(&e))?;
        if meta.is_dir() {
            return Err("is a directory".into());
        }
        if !meta.is_file() {
            return Err("is not a regular file".into());
        }
        if meta.len() > self.max_bytes {
            return Err(format!(
                "is larger than {} bytes ({} bytes); not read",
                self.max_bytes,
                meta.len()
            ));
        }
        // The file may grow between the check and the read: read one byte past the limit.
        let file = std::fs::File::open(path).map_err(|e| io_reason(&e))?;
        let mut bytes = Vec::new();
        file.take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io_reason(&e))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(format!("is larger than {} bytes; not read", self.max_bytes));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_and_refuses_what_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, "\u{feff}kind: A\n").unwrap();
        std::fs::write(dir.path().join("big"), "x".repeat(100)).unwrap();
        std::fs::write(dir.path().join("bin"), b"a\0b").unwrap();
        let files = DiskFiles::new(50, dir.path());
        let f = files.read(&p).unwrap();
        assert_eq!(f.text, "kind: A\n");
        assert_eq!(f.display_path, "a.yaml");
        assert!(
            files
                .read(&dir.path().join("big"))
                .unwrap_err()
                .contains("larger")
        );
        assert!(
            files
                .read(&dir.path().join("bin"))
                .unwrap_err()
                .contains("binary")
        );
        assert!(
            files
                .read(&dir.path().join("none"))
                .unwrap_err()
                .contains("no such")
        );
        assert!(files.read(dir.path()).unwrap_err().contains("directory"));
        assert!(files.is_dir(dir.path()));
        assert!(files.exists(&p));
        assert_eq!(files.list(dir.path()).unwrap().len(), 3);
        // Bytes: binary is fine, the size limit holds.
        assert_eq!(files.read_bytes(&dir.path().join("bin")).unwrap(), b"a\0b");
        assert!(
            files
                .read_bytes(&dir.path().join("big"))
                .unwrap_err()
                .contains("larger")
        );
        assert!(files.read_bytes(dir.path()).is_err());
    }
}
