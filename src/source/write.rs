//! The only files plumbline writes: the report (`--output`), a baseline, and `init`'s starter
//! config — each only when the user asked for it.
//!
//! A file is written to a temporary file beside it and renamed over it: a reader never sees
//! half a report, and when the path is a symbolic link the link itself is replaced rather than
//! the file it points to (a link planted in a checked repository cannot make plumbline write
//! outside it).

use std::io::Write;
use std::path::Path;

/// Writes `path` in full through `fill`, atomically (see the module doc).
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".plumbline-{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let mut w = std::io::BufWriter::new(file);
        fill(&mut w)?;
        w.flush()?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, |w| w.write_all(bytes))
}

/// Appends `bytes` to `path`, creating it: for files a CI runner hands plumbline to add to
/// (`$GITHUB_STEP_SUMMARY`), never for reports.
pub fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    f.write_all(bytes)
}

/// Whether `output` names one of the files a run checked (`checked`: display paths relative
/// to `cwd`): by its display path, or by being the same file on disk (a hard link, another
/// spelling). Writing a report there would overwrite the input it describes.
pub fn is_checked_input(output: &Path, checked: &[String], cwd: &Path) -> bool {
    let shown = super::discover::display_path(output, cwd);
    if checked.contains(&shown) {
        return true;
    }
    let Ok(out) = std::fs::metadata(output) else {
        return false;
    };
    checked
        .iter()
        .any(|c| std::fs::metadata(cwd.join(c)).is_ok_and(|m| same_file(&m, &out)))
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Whether anything (a file, a directory, a link) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The canonical form of a directory (`..` and symbolic links resolved), else the path made
/// absolute, else the path as given.
pub fn canonical(path: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "precious").unwrap();
        let link = dir.path().join("results.sarif");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        write(&link, b"report").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "report");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        // Nothing is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 2);
    }
}
