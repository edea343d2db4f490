//! What a test or the command line configures: API users, the RouterOS version emulated
//! (legacy login, `!empty`), identity, board and the monitor interval.

use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) users: Vec<(String, String)>,
    pub(crate) legacy_login: bool,
    pub(crate) empty_replies: bool,
    pub(crate) identity: String,
    pub(crate) version: String,
    pub(crate) board_name: String,
    pub(crate) monitor_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            legacy_login: false,
            empty_replies: true,
            identity: "MikroTik".to_owned(),
            version: "7.18.2 (stable)".to_owned(),
            board_name: "CCR2004-16G-2S+".to_owned(),
            monitor_interval: Duration::from_secs(1),
        }
    }
}
