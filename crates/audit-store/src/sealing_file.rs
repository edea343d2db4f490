//! The sealing state on disk: the current epoch key, beside the database but outside it
//! (copying the database alone gives nothing), readable by its owner only, and replaced whole
//! (write the new file, fsync, rename, fsync the directory) when the key evolves, so that the
//! old key is gone from the file before any row of the new epoch is written.
//!
//! The file is five lines of text: a format line, the setup time, the epoch length, the
//! current epoch, and the current key in hex.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::seal::{EpochKey, Epochs, VerificationKey};

const FORMAT: &str = "pppoe-bot-audit-sealing1";

/// Why the sealing state could not be created, read or moved on.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    /// Setup found keys already there.
    #[error(
        "{path} already holds sealing keys: rows sealed with them could no longer be checked \
         with the old verification key; pass --force-new-keys only if that key is lost and the \
         log holds no seal yet"
    )]
    Exists {
        /// The sealing file.
        path: PathBuf,
    },
    /// No sealing state where it should be.
    #[error(
        "no sealing keys at {path}: run `pppoe-bot audit setup-keys --db {db}` once, and keep \
         the verification key it prints off this machine"
    )]
    Missing {
        /// The sealing file.
        path: PathBuf,
        /// The audit database it belongs to.
        db: String,
    },
    /// The file is not a sealing state.
    #[error("{path} is not a pppoe-bot sealing state: {reason}")]
    Corrupt {
        /// The sealing file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// No randomness for the secret.
    #[error("no random bytes for the audit secret: {0}")]
    Random(String),
}

/// `<db>.sealing`: where the sealing state of the audit database `db` lives.
pub fn sealing_path(db: &Path) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(".sealing");
    PathBuf::from(s)
}

/// The machine's side of the sealing: the epochs' layout and the current key.
#[derive(Debug, Clone)]
pub struct SealingState {
    path: PathBuf,
    epochs: Epochs,
    key: EpochKey,
}

impl SealingState {
    /// Draws a new secret, writes the state for epoch 0 to `path` and returns the verification
    /// key (to print once and keep off the machine). Refuses to replace existing keys unless
    /// `replace`.
    pub fn setup(
        path: &Path,
        start: i64,
        epoch_secs: u32,
        replace: bool,
    ) -> Result<VerificationKey, SealingError> {
        if path.exists() && !replace {
            return Err(SealingError::Exists {
                path: path.to_owned(),
            });
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| SealingError::Random(e.to_string()))?;
        let vk =
            VerificationKey::new(secret, start, epoch_secs).map_err(|e| SealingError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        let state = Self {
            path: path.to_owned(),
            epochs: vk.epochs(),
            key: EpochKey::initial(&vk),
        };
        state.write()?;
        Ok(vk)
    }

    /// Reads the state at `path`; `db` names the database in the error when there is none.
    pub fn load(path: &Path, db: &Path) -> Result<Self, SealingError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(SealingError::Missing {
                    path: path.to_owned(),
                    db: db.display().to_string(),
                });
            }
            Err(source) => {
                return Err(SealingError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let corrupt = |reason: &str| SealingError::Corrupt {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(FORMAT) {
            return Err(corrupt("the first line is not the format"));
        }
        let mut field = |name: &str| lines.next().ok_or_else(|| corrupt(name));
        let start = field("no setup time")?
            .parse()
            .map_err(|_| corrupt("the setup time is not a number"))?;
        let epoch_secs: u32 = field("no epoch length")?
            .parse()
            .map_err(|_| corrupt("the epoch length is not a number"))?;
        let epoch = field("no epoch")?
            .parse()
            .map_err(|_| corrupt("the epoch is not a number"))?;
        let mut key = [0u8; 32];
        hex::decode_to_slice(field("no key")?, &mut key)
            .map_err(|_| corrupt("the key is not 64 hex digits"))?;
        if epoch_secs == 0 {
            return Err(corrupt("the epoch length is 0"));
        }
        Ok(Self {
            path: path.to_owned(),
            epochs: Epochs { start, epoch_secs },
            key: EpochKey::from_parts(key, epoch),
        })
    }

    /// The current key.
    pub fn key(&self) -> &EpochKey {
        &self.key
    }

    /// The epochs' layout.
    pub fn epochs(&self) -> Epochs {
        self.epochs
    }

    /// Moves the key on to `epoch` and replaces the file (the old key is gone from disk when
    /// this returns). An earlier or equal epoch changes nothing.
    pub fn advance(&mut self, epoch: u64) -> Result<(), SealingError> {
        if epoch <= self.key.epoch() {
            return Ok(());
        }
        let mut next = self.key.clone();
        next.evolve_to(epoch);
        let previous = std::mem::replace(&mut self.key, next);
        if let Err(e) = self.write() {
            self.key = previous;
            return Err(e);
        }
        Ok(())
    }

    fn write(&self) -> Result<(), SealingError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SealingError::Io { path, source }
        };
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(".new");
        let tmp = PathBuf::from(tmp);
        let text = format!(
            "{FORMAT}\n{}\n{}\n{}\n{}\n",
            self.epochs.start,
            self.epochs.epoch_secs,
            self.key.epoch(),
            hex::encode(self.key.bytes())
        );
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io(&tmp))?;
        file.write_all(text.as_bytes()).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(io(&self.path))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself must be on disk before rows of the new epoch are.
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io(dir))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_writes_epoch_zero_privately_and_refuses_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let path = sealing_path(&db);
        let vk = SealingState::setup(&path, 1_733_000_000, 60, false).unwrap();
        let state = SealingState::load(&path, &db).unwrap();
        assert_eq!(state.key(), &vk.key_of(0));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = SealingState::setup(&path, 1_733_000_000, 60, false).unwrap_err();
        assert!(matches!(err, SealingError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("--force-new-keys"));
        let other = SealingState::setup(&path, 1_733_000_000, 60, true).unwrap();
        assert_ne!(other, vk, "a new secret");
    }

    #[test]
    fn advancing_overwrites_the_old_key_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let path = sealing_path(&db);
        let vk = SealingState::setup(&path, 1_733_000_000, 60, false).unwrap();
        let mut state = SealingState::load(&path, &db).unwrap();
        state.advance(3).unwrap();
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert!(!on_disk.contains(&hex::encode(vk.key_of(0).bytes())));
        assert!(!on_disk.contains(&hex::encode(vk.key_of(2).bytes())));
        assert!(on_disk.contains(&hex::encode(vk.key_of(3).bytes())));
        assert_eq!(SealingState::load(&path, &db).unwrap().key(), &vk.key_of(3));
        assert!(!dir.path().join("audit.db.sealing.new").exists());
        state.advance(1).unwrap();
        assert_eq!(state.key().epoch(), 3, "never backwards");
    }

    #[test]
    fn a_missing_or_damaged_state_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let path = sealing_path(&db);
        let err = SealingState::load(&path, &db).unwrap_err();
        assert!(
            err.to_string().contains("pppoe-bot audit setup-keys --db"),
            "{err}"
        );
        std::fs::write(&path, "hello\n").unwrap();
        let err = SealingState::load(&path, &db).unwrap_err();
        assert!(matches!(err, SealingError::Corrupt { .. }), "{err}");
    }
}
