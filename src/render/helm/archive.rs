//! Chart archives (`charts/<name>-<version>.tgz`), unpacked in memory as Helm 3.17's
//! `loader.LoadArchiveFiles` does: the first path component (the chart's directory) is cut,
//! directories and PAX headers are skipped, a UTF-8 byte-order mark is dropped, and an
//! archive that names an absolute path, a parent directory or a `Chart.yaml` outside its
//! directory is refused. Bounded: entries, bytes per file and bytes in all (Helm's own limits
//! are 5 MiB per file and 100 MiB per chart).

// `io::Read` over bytes already in memory (the archive was read through `Files`).
use std::io::Read as _;

/// Bounds on one archive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub entries: usize,
    pub file_bytes: u64,
    pub total_bytes: u64,
}

/// The files of an archive: names relative to the chart's directory, `/`-separated.
pub(crate) fn unpack(data: &[u8], bounds: Bounds) -> Result<Vec<(String, Vec<u8>)>, String> {
    if !data.starts_with(b"\x1f\x8b\x08") {
        return Err("is not a gzipped chart archive".into());
    }
    let gz = flate2::read::GzDecoder::new(data);
    // The tar reader sees at most the total plus headers; a gzip bomb ends there.
    let limited = gz.take(
        bounds
            .total_bytes
            .saturating_add(bounds.entries as u64 * 1024),
    );
    let mut archive = tar::Archive::new(limited);
    let entries = archive
        .entries()
        .map_err(|e| format!("cannot read the archive: {e}"))?;
    let mut out = Vec::new();
    let mut remaining = bounds.total_bytes;
    for (count, entry) in entries.enumerate() {
        if count >= bounds.entries {
            return Err(format!("has more than {} entries", bounds.entries));
        }
        let mut entry = entry.map_err(|e| format!("cannot read the archive: {e}"))?;
        // Directories and PAX headers are skipped; links, devices and FIFOs have no content
        // Helm would read.
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {}
            _ => continue,
        }
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = chart_path(&raw)?;
        let size = entry.size();
        if size > bounds.file_bytes {
            return Err(format!(
                "file {raw:?} is larger than {} bytes",
                bounds.file_bytes
            ));
        }
        if size > remaining {
            return Err(format!("unpacks to more than {} bytes", bounds.total_bytes));
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(size)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {raw:?} in the archive: {e}"))?;
        remaining -= bytes.len() as u64;
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        out.push((name, bytes));
    }
    if out.is_empty() {
        return Err("has no files".into());
    }
    Ok(out)
}

/// An entry's name inside the chart: the first component cut, `\` read as a separator when
/// the name has one, cleaned; names escaping the chart are refused as Helm refuses them.
fn chart_path(raw: &str) -> Result<String, String> {
    let delimiter = if raw.contains('\\') { '\\' } else { '/' };
    let mut parts = raw.split(delimiter);
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() && first == "Chart.yaml" {
        return Err("has its Chart.yaml outside the chart's directory".into());
    }
    let joined = rest.join("/");
    if joined.starts_with('/') {
        return Err("contains an absolute path".into());
    }
    let cleaned = clean(&joined);
    if cleaned == "." {
        return Err(format!("contains content outside its directory: {raw:?}"));
    }
    if cleaned.starts_with("..") {
        return Err("references a parent directory".into());
    }
    let b = cleaned.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return Err("contains a file named with a drive letter".into());
    }
    Ok(cleaned)
}

/// Go's `path.Clean` for relative paths.
fn clean(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tgz(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name as a hostile archive would.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        let tar = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    const B: Bounds = Bounds {
        entries: 100,
        file_bytes: 1000,
        total_bytes: 2000,
    };

    #[test]
    fn unpacks_and_cuts_the_chart_directory() {
        let data = tgz(&[
            ("mychart/Chart.yaml", b"name: x\n"),
            ("mychart/templates/a.yaml", b"\xEF\xBB\xBFa: 1\n"),
        ]);
        let files = unpack(&data, B).unwrap();
        assert_eq!(files[0].0, "Chart.yaml");
        assert_eq!(files[1], ("templates/a.yaml".into(), b"a: 1\n".to_vec()));
    }

    #[test]
    fn refuses_escapes_and_bombs() {
        for bad in ["x/../../etc/passwd", "Chart.yaml", "x//etc/passwd"] {
            let data = tgz(&[(bad, b"x")]);
            assert!(unpack(&data, B).is_err(), "{bad}");
        }
        let big = vec![b'a'; 1500];
        assert!(unpack(&tgz(&[("c/a", &big)]), B).is_err());
        let many: Vec<(String, Vec<u8>)> = (0..3)
            .map(|i| (format!("c/f{i}"), vec![b'a'; 900]))
            .collect();
        let refs: Vec<(&str, &[u8])> = many
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        assert!(unpack(&tgz(&refs), B).unwrap_err().contains("more than"));
        assert!(unpack(b"not gzip", B).is_err());
        assert!(unpack(b"\x1f\x8b\x08garbage", B).is_err());
    }
}
