//! Secrets on disk are for the bot's user only: a WhatsApp session that others can read is
//! refused, a router password file that others can read is warned about. (Files the bot
//! creates itself are 0600 anyway: `main` sets the umask.)

use std::path::{Path, PathBuf};

/// Fails, naming the files and the `chmod` to run, when the WhatsApp session (or its `-wal`
/// or `-shm`) exists and its group or others have any permission on it: it holds the device's
/// noise, identity and adv-secret keys, which are all anyone needs to act as the bot's linked
/// device. Called before the WhatsApp adapter opens (or locks) anything.
pub(crate) fn check_session_private(session: &Path) -> anyhow::Result<()> {
    let mut exposed = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = session.as_os_str().to_owned();
        path.push(suffix);
        let path = PathBuf::from(path);
        if let Some(mode) = mode_of(&path)?
            && mode & 0o077 != 0
        {
            exposed.push((path, mode));
        }
    }
    let Some((first, mode)) = exposed.first() else {
        return Ok(());
    };
    let paths: Vec<String> = exposed.iter().map(|(p, _)| shell_word(p)).collect();
    anyhow::bail!(
        "the WhatsApp session file {} has mode {mode:04o}: its group or others have access to it, \
         and it holds the keys of the bot's linked device. Refusing to start; run `chmod 600 {}` \
         (as the bot's user) and start again",
        first.display(),
        paths.join(" ")
    )
}

/// Warns once when a router's password file is readable by others than the bot's user.
pub(crate) fn warn_if_password_file_exposed(router: &str, file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        // A file we cannot read is reported when the password is read.
        let Ok(meta) = std::fs::metadata(file) else {
            return;
        };
        let ours = meta.uid() == rustix::process::geteuid().as_raw();
        if let Some(advice) = password_file_advice(meta.mode() & 0o7777, ours, file) {
            tracing::warn!(router, "{advice}");
        }
    }
    #[cfg(not(unix))]
    let _ = (router, file);
}

/// What to say about a password file with this mode, owned by the bot's user or not.
fn password_file_advice(mode: u32, ours: bool, file: &Path) -> Option<String> {
    let path = shell_word(file);
    if ours && mode & 0o077 != 0 {
        Some(format!(
            "password_file {} has mode {mode:04o}: others than the bot's user can read the \
             router password; run `chmod 600 {path}`",
            file.display()
        ))
    } else if !ours && mode & 0o007 != 0 {
        // Owned by someone else (root), the bot reads it through its group: keep that.
        Some(format!(
            "password_file {} has mode {mode:04o}: every user can read the router password; \
             run `chmod o-rwx {path}`",
            file.display()
        ))
    } else {
        None
    }
}

/// The permission bits of `path`, `None` if it does not exist.
fn mode_of(path: &Path) -> anyhow::Result<Option<u32>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(permission_bits(&meta))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot stat {}", path.display()))),
    }
}

#[cfg(unix)]
fn permission_bits(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permission_bits(_: &std::fs::Metadata) -> u32 {
    0o600
}

/// `path` as one word for a POSIX shell (single-quoted unless plainly safe), so the command
/// in a message can be pasted as it is.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,=".contains(c));
    if plain {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_session_only_its_owner_can_read_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("wa.db");
        check_session_private(&session).unwrap(); // not there yet: `pair` creates it
        std::fs::write(&session, "").unwrap();
        std::fs::set_permissions(&session, std::fs::Permissions::from_mode(0o600)).unwrap();
        check_session_private(&session).unwrap();
        std::fs::set_permissions(&session, std::fs::Permissions::from_mode(0o400)).unwrap();
        check_session_private(&session).unwrap();
    }

    #[test]
    fn a_session_others_can_use_is_refused_with_the_chmod() {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("wa.db");
        let wal = dir.path().join("wa.db-wal");
        std::fs::write(&session, "").unwrap();
        std::fs::write(&wal, "").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o600)).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o620] {
            std::fs::set_permissions(&session, std::fs::Permissions::from_mode(mode)).unwrap();
            let e = format!("{:#}", check_session_private(&session).unwrap_err());
            assert!(
                e.contains(&format!("chmod 600 {}`", session.display())),
                "{e}"
            );
            assert!(e.contains(&format!("mode {mode:04o}")), "{e}");
        }
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = format!("{:#}", check_session_private(&session).unwrap_err());
        assert!(
            e.contains(&format!(
                "chmod 600 {} {}`",
                session.display(),
                wal.display()
            )),
            "{e}"
        );
    }

    #[test]
    fn password_file_advice_keeps_a_group_the_bot_reads_through() {
        let f = Path::new("/etc/pppoe-bot/pw");
        let advice = |mode, ours| password_file_advice(mode, ours, f);
        assert_eq!(advice(0o600, true), None);
        assert_eq!(advice(0o400, true), None);
        assert!(
            advice(0o640, true)
                .unwrap()
                .contains("chmod 600 /etc/pppoe-bot/pw`")
        );
        assert!(advice(0o644, true).unwrap().contains("mode 0644"));
        // root:pppoe-bot 0640 is the operator guide's layout: fine.
        assert_eq!(advice(0o640, false), None);
        assert!(
            advice(0o644, false)
                .unwrap()
                .contains("chmod o-rwx /etc/pppoe-bot/pw`")
        );
    }

    #[test]
    fn paths_are_quoted_for_the_shell_when_needed() {
        assert_eq!(shell_word(Path::new("/var/lib/x.db")), "/var/lib/x.db");
        assert_eq!(shell_word(Path::new("/a b/x.db")), "'/a b/x.db'");
        assert_eq!(shell_word(Path::new("/it's")), r"'/it'\''s'");
    }
}
