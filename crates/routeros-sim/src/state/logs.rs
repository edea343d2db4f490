//! The logs a test reads: the changes made through the API and the requests received, each
//! capped at the last [`LOG_CAP`] entries, so that a long run (a soak test, the demo) does not
//! grow without bound.

use std::collections::VecDeque;

/// Entries kept in each log.
pub(crate) const LOG_CAP: usize = 10_000;

/// One change made through the API (not by the test set-up methods).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteRecord {
    /// The command, e.g. `/ppp/secret/add`.
    pub command: String,
    /// Names of the items changed (for `add`, the new item's name); for the address list,
    /// whose entries have no name, their addresses.
    pub targets: Vec<String>,
}

/// One request sentence as received (passwords redacted), for tests that check what a
/// client sent (e.g. that a look-up used a query instead of printing everything).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The command word.
    pub command: String,
    /// The other words, `=password=` and `=response=` values replaced by `***`.
    pub words: Vec<String>,
}

/// The write and request logs.
#[derive(Debug, Default)]
pub(crate) struct Logs {
    pub(crate) writes: VecDeque<WriteRecord>,
    /// Writes logged since the last clear, the ones dropped by the cap included.
    pub(crate) writes_total: usize,
    pub(crate) requests: VecDeque<RequestRecord>,
}

impl Logs {
    /// Logs a change; returns the number of writes logged so far.
    pub(crate) fn write(&mut self, record: WriteRecord) -> usize {
        push_capped(&mut self.writes, record);
        self.writes_total += 1;
        self.writes_total
    }

    pub(crate) fn request(&mut self, record: RequestRecord) {
        push_capped(&mut self.requests, record);
    }

    /// How many logged writes of `command` touched an item called `name`.
    pub(crate) fn writes_to(&self, command: &str, name: &str) -> usize {
        self.writes
            .iter()
            .filter(|w| w.command == command && w.targets.iter().any(|t| t == name))
            .count()
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}

fn push_capped<T>(log: &mut VecDeque<T>, entry: T) {
    if log.len() >= LOG_CAP {
        log.pop_front();
    }
    log.push_back(entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_logs_keep_the_last_entries() {
        let mut logs = Logs::default();
        for i in 0..LOG_CAP + 5 {
            let total = logs.write(WriteRecord {
                command: "/ppp/secret/add".to_owned(),
                targets: vec![format!("u{i}")],
            });
            assert_eq!(total, i + 1);
            logs.request(RequestRecord {
                command: "/x".to_owned(),
                words: Vec::new(),
            });
        }
        assert_eq!((logs.writes.len(), logs.requests.len()), (LOG_CAP, LOG_CAP));
        assert_eq!(logs.writes[0].targets, ["u5"]);
        assert_eq!(logs.writes_to("/ppp/secret/add", "u4"), 0);
        assert_eq!(logs.writes_to("/ppp/secret/add", "u5"), 1);
        logs.clear();
        assert_eq!((logs.writes.len(), logs.writes_total), (0, 0));
    }
}
