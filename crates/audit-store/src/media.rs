//! Evidence files on disk: each kept once, as `<sha256>.<ext>` in the media directory.
//!
//! A file is written atomically (a temporary file in the same directory, mode 0600, synced,
//! renamed over the final name, then the directory synced), so the name never shows a partial
//! file, and it is durable before its record is written. The name is the SHA-256 of the bytes,
//! checked here: `sha256sum` in the directory recomputes it. Blocking: call it from
//! `tokio::task::spawn_blocking`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use pppoe_core::ticket::{EvidenceFile, TicketError};
use sha2::{Digest as _, Sha256};

/// Attempts at a temporary name not taken yet.
const TEMP_ATTEMPTS: usize = 8;

/// The file name's extension for a MIME type (its parameters ignored, any case): `jpg`,
/// `png`, `webp`, `pdf`, else `bin`.
pub(crate) fn extension(mime: &str) -> &'static str {
    let essence = mime.split(';').next().unwrap_or_default().trim();
    if essence.eq_ignore_ascii_case("image/jpeg") {
        "jpg"
    } else if essence.eq_ignore_ascii_case("image/png") {
        "png"
    } else if essence.eq_ignore_ascii_case("image/webp") {
        "webp"
    } else if essence.eq_ignore_ascii_case("application/pdf") {
        "pdf"
    } else {
        "bin"
    }
}

/// The name of `file` in the media directory.
pub(crate) fn file_name(file: &EvidenceFile) -> String {
    format!("{}.{}", file.sha256, extension(&file.mime))
}

/// Checks `bytes` against `file` (SHA-256 and size) and keeps them as
/// `<dir>/<sha256>.<ext>`, creating `dir` if missing; returns the file's path. A file already
/// there with the same size is kept as it is (its name is its hash: the same content).
/// Nothing is written when the check fails.
pub(crate) fn keep(dir: &Path, file: &EvidenceFile, bytes: &[u8]) -> Result<PathBuf, TicketError> {
    check(file, bytes)?;
    let path = dir.join(file_name(file));
    write_atomically(dir, &path, bytes).map_err(|e| {
        TicketError::Store(format!("cannot keep evidence file {}: {e}", path.display()))
    })?;
    Ok(path)
}

/// Whether `bytes` are what `file` says: its SHA-256 (lower-case hex) and its size.
fn check(file: &EvidenceFile, bytes: &[u8]) -> Result<(), TicketError> {
    let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if size != file.size {
        return Err(TicketError::Store(format!(
            "evidence file {} has {size} bytes, not the {} its record says",
            file.sha256, file.size
        )));
    }
    let computed = hex::encode(Sha256::digest(bytes));
    if computed != file.sha256 {
        return Err(TicketError::Store(format!(
            "evidence file's SHA-256 is {computed}, not the {:?} its record says",
            file.sha256
        )));
    }
    Ok(())
}

/// Writes `bytes` to `path` (in `dir`) through a synced temporary file and a rename, then
/// syncs `dir`; keeps a file already at `path` with the same size.
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    create_dir(dir)?;
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == u64::try_from(bytes.len()).unwrap_or(0) => {
            return Ok(());
        }
        Ok(_) => {
            tracing::warn!(path = %path.display(), "an evidence file of another size is replaced")
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let (temp_path, mut temp) = create_temp(dir, path)?;
    let written = temp
        .write_all(bytes)
        .and_then(|()| temp.sync_all())
        .and_then(|()| {
            drop(temp);
            fs::rename(&temp_path, path)
        });
    if let Err(e) = written {
        if let Err(removing) = fs::remove_file(&temp_path) {
            tracing::warn!(path = %temp_path.display(), error = %removing, "cannot remove a temporary evidence file");
        }
        return Err(e);
    }
    sync_dir(dir)
}

/// Creates `dir` (and its parents) if missing, mode 0700 on unix, and makes a new directory's
/// entry durable.
fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => sync_dir(Path::new(".")),
    }
}

/// A new temporary file beside `path` (mode 0600 on unix), and its path.
fn create_temp(dir: &Path, path: &Path) -> io::Result<(PathBuf, File)> {
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut last = io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name");
    for _ in 0..TEMP_ATTEMPTS {
        let mut random = [0_u8; 8];
        getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
        let temp_path = dir.join(format!(".{base}.{}.tmp", hex::encode(random)));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&temp_path) {
            Ok(file) => return Ok((temp_path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// Makes `dir`'s entries durable (a rename or a new entry); nothing to do off unix.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_follow_the_mime_type() {
        for (mime, ext) in [
            ("image/jpeg", "jpg"),
            ("IMAGE/JPEG", "jpg"),
            ("image/png", "png"),
            ("image/webp; codecs=x", "webp"),
            ("application/pdf", "pdf"),
            ("video/mp4", "bin"),
            ("", "bin"),
        ] {
            assert_eq!(extension(mime), ext, "{mime}");
        }
    }

    #[test]
    fn a_wrong_size_or_hash_is_refused() {
        let bytes = b"abc";
        let good = EvidenceFile {
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            size: 3,
            mime: "image/png".into(),
        };
        assert_eq!(check(&good, bytes), Ok(()));
        let upper = EvidenceFile {
            sha256: good.sha256.to_uppercase(),
            ..good.clone()
        };
        assert!(check(&upper, bytes).is_err());
        let short = EvidenceFile { size: 2, ..good };
        assert!(check(&short, bytes).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_file_of_another_size_under_the_name_is_replaced() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("a").join("media");
        let file = EvidenceFile {
            sha256: hex::encode(Sha256::digest(b"photo")),
            size: 5,
            mime: "image/jpeg".into(),
        };
        let path = keep(&media, &file, b"photo").unwrap();
        assert_eq!(path, media.join(format!("{}.jpg", file.sha256)));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&media), mode(&path)), (0o700, 0o600));
        fs::write(&path, b"ph").unwrap();
        keep(&media, &file, b"photo").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"photo");
        // No temporary file is left.
        assert_eq!(fs::read_dir(&media).unwrap().count(), 1);
    }
}
