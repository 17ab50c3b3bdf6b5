//! Reading one file: bounded in size, never from a FIFO or a device, decoded as UTF-8 (a
//! UTF-8 byte-order mark dropped, UTF-16 and binary named as such, invalid UTF-8 located at
//! its first bad byte), and given the format its name and content decide.

use std::path::Path;
use std::sync::Arc;

use super::discover::{display_path, io_reason};
use super::{ErrorKind, FileError, Format, SourceFile, Span, detect};

/// Reads `path` (shown relative to `cwd`) as a source file of at most `max_bytes`;
/// `format` is its format by name, `None` for a file named on the command line whose name
/// says nothing (its content decides).
pub fn read(
    path: &Path,
    format: Option<Format>,
    cwd: &Path,
    max_bytes: u64,
) -> Result<Arc<SourceFile>, FileError> {
    let display = display_path(path, cwd);
    let bytes = read_bytes(path, &display, max_bytes)?;
    from_bytes(path, display, &bytes, format)
}

/// The bytes of a regular file of at most `max_bytes`, or an error naming `display`: a
/// missing or unreadable path and anything that is not a regular file (a FIFO, a device,
/// `/dev/zero`) are `io` errors, a larger file a `limit` error.
pub fn read_bytes(path: &Path, display: &str, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| FileError {
        kind: ErrorKind::Io,
        message: format!("cannot read {display}: {}", io_reason(&e)),
        path: display.to_string(),
        location: None,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(FileError {
            kind: ErrorKind::Io,
            message: format!("{display} is not a regular file"),
            path: display.to_string(),
            location: None,
        });
    }
    if meta.len() > max_bytes {
        return Err(too_large(display.to_string(), meta.len(), max_bytes));
    }
    // Read at most one byte past the limit: the file may have grown since `metadata`.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(max_bytes + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large(
            display.to_string(),
            bytes.len() as u64,
            max_bytes,
        ));
    }
    Ok(bytes)
}

/// The text of a file plumbline is told to read (a config, a baseline) of at most
/// `max_bytes`, as UTF-8; `what` names it in the error (`the baseline`).
pub fn read_text(path: &Path, what: &str, max_bytes: u64) -> Result<String, String> {
    let display = format!("{what} {}", path.display());
    let bytes = read_bytes(path, &display, max_bytes).map_err(|e| match e.kind {
        ErrorKind::Limit => format!("{display} is larger than {max_bytes} bytes: refused"),
        _ => e.message,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{display} is not valid UTF-8 (byte 0x{:02X} at offset {})",
            e.as_bytes()[e.utf8_error().valid_up_to()],
            e.utf8_error().valid_up_to()
        )
    })
}

/// Whether `path` is a regular file (not a directory, FIFO or device).
pub fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The error of a file over the size limit.
pub fn too_large(display: String, size: u64, max_bytes: u64) -> FileError {
    FileError {
        kind: ErrorKind::Limit,
        message: format!(
            "{display} is {size} bytes, over the limit of {max_bytes} bytes for one file \
             (`--max-file-size`); it was not checked"
        ),
        path: display,
        location: None,
    }
}

/// Decodes and detects one file's contents (read from disk, or given in memory).
pub fn from_bytes(
    path: &Path,
    display: String,
    bytes: &[u8],
    format: Option<Format>,
) -> Result<Arc<SourceFile>, FileError> {
    let text = decode(bytes).map_err(|e| {
        // Invalid UTF-8 is a byte at a place: located in the file as far as it can be shown
        // (the rest is shown with replacement characters).
        let location = e.offset.map(|offset| {
            let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
            let text = String::from_utf8_lossy(body).into_owned();
            let format = match format {
                Some(f) => detect::refine(path, f, &text),
                None => detect::for_explicit_file(path, &text),
            };
            let file = SourceFile::new(path.to_path_buf(), display.clone(), format, text);
            let end = file.clamp(offset + '\u{FFFD}'.len_utf8());
            (Arc::new(file), Span::new(offset, end))
        });
        FileError {
            kind: ErrorKind::Parse,
            message: format!("{display} {}", e.message),
            path: display.clone(),
            location,
        }
    })?;
    let format = match format {
        Some(f) => detect::refine(path, f, &text),
        None => detect::for_explicit_file(path, &text),
    };
    Ok(Arc::new(SourceFile::new(
        path.to_path_buf(),
        display,
        format,
        text,
    )))
}

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Why a file is not UTF-8 text, and the byte offset (after any UTF-8 byte-order mark) of
/// the first invalid byte when one byte is to blame.
#[derive(Debug, PartialEq, Eq)]
struct DecodeError {
    message: String,
    offset: Option<usize>,
}

/// Decodes a file as UTF-8, dropping a UTF-8 byte-order mark. Spans stay byte offsets into
/// the text without the mark. UTF-16 is recognised by its byte-order mark, or without one by
/// the NUL byte every other byte that ASCII text has in it, and named as such rather than
/// called binary.
fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let whole_file = |message: String| DecodeError {
        message,
        offset: None,
    };
    let utf16 = |endian: &str, how: &str| {
        whole_file(format!(
            "is UTF-16 ({endian}, {how}); plumbline reads UTF-8: convert it, e.g. with \
             `iconv -f UTF-16{} -t UTF-8`",
            if endian == "little-endian" {
                "LE"
            } else {
                "BE"
            }
        ))
    };
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(utf16("little-endian", "with a byte-order mark"));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(utf16("big-endian", "with a byte-order mark"));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(match utf16_without_bom(bytes) {
            Some(endian) => utf16(endian, "without a byte-order mark"),
            None => whole_file("is a binary file (it contains NUL bytes)".into()),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(DecodeError {
            message: format!(
                "is not valid UTF-8 (byte 0x{:02X} is not part of a UTF-8 character)",
                bytes[e.valid_up_to()]
            ),
            offset: Some(e.valid_up_to()),
        }),
    }
}

/// `little-endian` or `big-endian` when `bytes` look like UTF-16 text without a byte-order
/// mark: in its first 4 KiB, nearly every byte at odd offsets (little-endian) or at even
/// offsets (big-endian) is NUL and nearly none of the others is, as in ASCII text encoded
/// as UTF-16. Other text (CJK) does not have that pattern and is called binary.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    let pairs = head.len() / 2;
    if pairs == 0 {
        return None;
    }
    let (mut even, mut odd) = (0, 0);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // At least 90% NUL on one side, at most 10% on the other.
    let mostly = |n: usize| n * 10 >= pairs * 9;
    let rarely = |n: usize| n * 10 <= pairs;
    if mostly(odd) && rarely(even) {
        Some("little-endian")
    } else if mostly(even) && rarely(odd) {
        Some("big-endian")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn decode_names_utf16_with_or_without_a_byte_order_mark() {
        let le = utf16("FROM x\n", false);
        let be = utf16("FROM x\n", true);
        for (bytes, endian) in [
            (
                [&[0xFF, 0xFE][..], &le].concat(),
                "little-endian, with a byte-order mark",
            ),
            (
                [&[0xFE, 0xFF][..], &be].concat(),
                "big-endian, with a byte-order mark",
            ),
            (le.clone(), "little-endian, without a byte-order mark"),
            (be.clone(), "big-endian, without a byte-order mark"),
        ] {
            let e = decode(&bytes).unwrap_err();
            assert!(e.message.contains(endian), "{}", e.message);
            assert!(!e.message.contains("binary"), "{}", e.message);
            assert_eq!(e.offset, None);
        }
        // A lone NUL in text, or bytes with no pattern, are binary.
        assert!(
            decode(b"FROM x\0\n")
                .unwrap_err()
                .message
                .contains("binary")
        );
        assert!(
            decode(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0")
                .unwrap_err()
                .message
                .contains("binary")
        );
        // UTF-16 of mostly non-ASCII text lacks the pattern: called binary, not UTF-16.
        let mixed = decode(&utf16("a漢b字", false)).unwrap_err();
        assert!(mixed.message.contains("binary"), "{}", mixed.message);
    }

    #[test]
    fn decode_locates_invalid_utf8_and_strips_a_utf8_bom() {
        assert_eq!(decode(b"\xEF\xBB\xBFFROM x").unwrap(), "FROM x");
        let e = decode(b"\xEF\xBB\xBFFROM \xFFx").unwrap_err();
        assert_eq!(e.offset, Some(5));
        assert!(e.message.contains("0xFF"), "{}", e.message);
    }

    #[test]
    fn invalid_utf8_is_a_located_error() {
        let path = Path::new("d/Dockerfile");
        let Err(e) = from_bytes(path, "d/Dockerfile".into(), b"FROM a\nRUN \xC3(\n", None) else {
            panic!("invalid UTF-8 accepted");
        };
        assert_eq!(e.kind, ErrorKind::Parse);
        let (file, span) = e.location.expect("located");
        let at = file.line_col(span.start);
        assert_eq!((at.line, at.column), (2, 5));
        assert_eq!(file.slice(span), "\u{FFFD}");
    }
}
