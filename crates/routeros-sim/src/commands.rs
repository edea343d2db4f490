//! Commands after login: each request becomes either a finished reply or a job that streams
//! (`print`, `listen`, `monitor-traffic`). Changes are made here, synchronously and in the
//! order requests arrive; only the streaming of replies happens later.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use routeros_api::proto::{QueryWord, Reply, Request, matches};
use routeros_api::value::{self, ItemId};

use crate::model::{Item, Plain};
use crate::state::{Change, Db, SimError, SimState, Table};
use crate::wire::Out;

/// What to do with a request.
#[derive(Debug)]
pub(crate) enum Plan {
    /// The complete reply.
    Reply(Out),
    /// Replies to stream.
    Job(Job),
}

/// A command whose replies are produced over time.
#[derive(Debug)]
pub(crate) enum Job {
    Print(PrintJob),
    Monitor(MonitorJob),
}

impl Job {
    /// Runs until cancelled (`listen`, `print =follow=`, `monitor-traffic` without `once`).
    pub(crate) fn is_endless(&self) -> bool {
        match self {
            Self::Print(p) => p.follow.is_some(),
            Self::Monitor(m) => !m.once,
        }
    }
}

/// `print` / `getall` / `listen`: items snapshotted when the request arrived.
#[derive(Debug)]
pub(crate) struct PrintJob {
    pub(crate) items: Vec<Arc<dyn Item>>,
    pub(crate) queries: Vec<QueryWord>,
    pub(crate) proplist: Option<Vec<String>>,
    pub(crate) count_only: bool,
    /// Answer an empty result with `!empty` (RouterOS 7.18+).
    pub(crate) empty_reply: bool,
    /// After the items, report changes of this menu until cancelled.
    pub(crate) follow: Option<(Table, broadcast::Receiver<Change>)>,
    /// The menu printed, whose rows are counted ([`SimState::rows_sent`]); `None` for the
    /// menus that are not tables (`/interface`, `/system/...`).
    pub(crate) menu: Option<Table>,
    pub(crate) now: i64,
}

/// `/interface/monitor-traffic`.
#[derive(Debug)]
pub(crate) struct MonitorJob {
    /// The subscriber (session name) behind the interface.
    pub(crate) name: String,
    pub(crate) interface: String,
    pub(crate) once: bool,
    pub(crate) interval: Duration,
}

/// Menus that exist: a command under one of them that we do not know is "no such command",
/// anything else "no such command prefix".
const MENUS: &[&str] = &[
    "",
    "/ppp",
    "/ppp/secret",
    "/ppp/active",
    "/ppp/profile",
    "/interface",
    "/system",
    "/system/resource",
    "/system/identity",
    "/ip",
    "/ip/firewall",
    "/ip/firewall/address-list",
];

const ADDRESS_LIST: &str = "/ip/firewall/address-list";

/// What RouterOS answers to a command it does not have in a menu it has.
const NO_SUCH_COMMAND: &str = "no such command";

fn reply(f: impl FnOnce(&mut Out)) -> Plan {
    let mut out = Out::default();
    f(&mut out);
    Plan::Reply(out)
}

fn fail(error: &SimError, tag: Option<&str>) -> Plan {
    reply(|out| out.fail(error.category(), &error.to_string(), tag))
}

fn done(tag: Option<&str>) -> Plan {
    reply(|out| out.reply(&Reply::done().with_tag(tag)))
}

/// Executes a request of a logged-in connection (`/login`, `/cancel` and `/quit` are the
/// connection's business).
pub(crate) fn execute(state: &SimState, req: &Request) -> Plan {
    let tag = req.tag();
    let (menu, verb) = req.command.rsplit_once('/').unwrap_or(("", ""));
    let table = match menu {
        "/ppp/secret" => Some(Table::Secret),
        "/ppp/active" => Some(Table::Active),
        "/ppp/profile" => Some(Table::Profile),
        ADDRESS_LIST => Some(Table::AddressList),
        _ => None,
    };
    if table == Some(Table::AddressList) {
        // Timed entries that are due go before anyone sees or changes the list.
        state.expire_address_list();
    }
    let now = state.now();
    match (menu, verb, table) {
        (_, "print" | "getall", Some(table)) => print(state, req, table, false),
        (_, "listen", Some(table)) => print(state, req, table, true),
        ("/ppp/secret", "add", _) => add(state, req, |db, attrs| {
            db.add_secret(attrs).map(|s| (s.id, s.name.clone()))
        }),
        ("/ppp/secret", "set", _) => {
            let attrs = changes(req);
            write(state, req, Table::Secret, |db, ids| {
                db.set_secrets(ids, &attrs)
            })
        }
        ("/ppp/secret", "enable" | "disable", _) => {
            let attrs = enable_disable(verb);
            write(state, req, Table::Secret, |db, ids| {
                db.set_secrets(ids, &attrs)
            })
        }
        ("/ppp/secret", "unset", _) => write(state, req, Table::Secret, |db, ids| {
            let value_name = req
                .get("value-name")
                .ok_or_else(|| SimError::Missing("value-name".to_owned()))?;
            db.unset_secrets(ids, value_name)
        }),
        ("/ppp/secret", "remove", _) => write(state, req, Table::Secret, Db::remove_secrets),
        ("/ppp/active", "remove", _) => write(state, req, Table::Active, |db, ids| {
            let ended = db.remove_sessions(ids, now, "admin-disconnect")?;
            Ok(ended.into_iter().map(|(name, _)| name).collect())
        }),
        (ADDRESS_LIST, "add", _) => add(state, req, |db, attrs| {
            db.add_address_list_entry(attrs, now)
                .map(|e| (e.id, e.address.clone()))
        }),
        (ADDRESS_LIST, "set", _) => {
            let attrs = changes(req);
            write(state, req, Table::AddressList, |db, ids| {
                db.set_address_list(ids, &attrs, now)
            })
        }
        (ADDRESS_LIST, "enable" | "disable", _) => {
            let attrs = enable_disable(verb);
            write(state, req, Table::AddressList, |db, ids| {
                db.set_address_list(ids, &attrs, now)
            })
        }
        (ADDRESS_LIST, "remove", _) => {
            write(state, req, Table::AddressList, Db::remove_address_list)
        }
        ("/interface", "print" | "getall", _) => {
            let items = state.db().interfaces();
            plain_print(state, req, items)
        }
        ("/interface", "monitor-traffic", _) => monitor(state, req),
        ("/system/resource", "print" | "getall", _) => {
            let item = resource(state);
            plain_print(state, req, vec![Arc::new(item)])
        }
        ("/system/identity", "print" | "getall", _) => {
            let mut item = Plain::default();
            item.push("name", state.settings().identity);
            plain_print(state, req, vec![Arc::new(item)])
        }
        ("/system/identity", "set", _) => match req.get("name") {
            Some(name) if !name.is_empty() => {
                state.set_identity(name);
                state.log_write(&req.command, vec![name.to_owned()]);
                done(tag)
            }
            _ => fail(&SimError::Missing("name".to_owned()), tag),
        },
        _ => {
            let message = if MENUS.contains(&menu) {
                NO_SUCH_COMMAND
            } else {
                "no such command prefix"
            };
            reply(|out| out.fail(None, message, tag))
        }
    }
}

fn print(state: &SimState, req: &Request, table: Table, listen: bool) -> Plan {
    let follow_only = listen || req.has("follow-only");
    let following = follow_only || req.has("follow");
    if following && state.listen_refused() {
        return reply(|out| out.fail(None, NO_SUCH_COMMAND, req.tag()));
    }
    let follow = following.then(|| (table, state.subscribe_changes()));
    let items = if follow_only {
        Vec::new()
    } else {
        state.db().snapshot(table, only_eq(&req.queries, "name"))
    };
    Plan::Job(Job::Print(PrintJob {
        items,
        queries: req.queries.clone(),
        proplist: proplist(req),
        count_only: req.has("count-only"),
        empty_reply: state.settings().empty_replies && !follow_only,
        follow,
        menu: Some(table),
        now: state.now(),
    }))
}

fn plain_print(state: &SimState, req: &Request, items: Vec<Arc<dyn Item>>) -> Plan {
    Plan::Job(Job::Print(PrintJob {
        items,
        queries: req.queries.clone(),
        proplist: proplist(req),
        count_only: req.has("count-only"),
        empty_reply: state.settings().empty_replies,
        follow: None,
        menu: None,
        now: state.now(),
    }))
}

/// `=.proplist=`, owned: a print job outlives its request.
fn proplist(req: &Request) -> Option<Vec<String>> {
    req.proplist()
        .map(|props| props.into_iter().map(str::to_owned).collect())
}

/// `Some(value)` when the query is exactly `?key=value`, for an index look-up.
fn only_eq<'q>(queries: &'q [QueryWord], key: &str) -> Option<&'q str> {
    match queries {
        [QueryWord::Eq { key: k, value }] if k == key => Some(value),
        _ => None,
    }
}

/// Whether an item passes a print's query words, evaluated by routeros-api.
pub(crate) fn passes(queries: &[QueryWord], item: &dyn Item, now: i64) -> bool {
    matches(queries, |key| item.get(key, now))
}

/// `=.id=` or `=numbers=`, resolved to ids.
fn targets(state: &SimState, req: &Request, table: Table) -> Result<Vec<ItemId>, SimError> {
    let numbers = req
        .get(".id")
        .or_else(|| req.get("numbers"))
        .ok_or_else(|| SimError::Missing("numbers".to_owned()))?;
    state.db().resolve(table, numbers)
}

/// Attributes other than the item selectors.
fn changes(req: &Request) -> Vec<(String, String)> {
    req.attributes
        .iter()
        .filter(|(k, _)| *k != ".id" && *k != "numbers")
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `disabled=no` for `enable`, `disabled=yes` for `disable`.
fn enable_disable(verb: &str) -> Vec<(String, String)> {
    let value = if verb == "enable" { "no" } else { "yes" };
    vec![("disabled".to_owned(), value.to_owned())]
}

/// `add`: makes the item from the request's attributes, logs the write under the name `f`
/// returns with the new id, and answers `!done =ret=<id>`.
fn add(
    state: &SimState,
    req: &Request,
    f: impl FnOnce(&mut Db, &[(String, String)]) -> Result<(ItemId, String), SimError>,
) -> Plan {
    let attrs = changes(req);
    match state.change(|db| f(db, &attrs)) {
        Ok((id, name)) => {
            state.log_write(&req.command, vec![name]);
            reply(|out| out.reply(&Reply::done_ret(id.to_string()).with_tag(req.tag())))
        }
        Err(e) => fail(&e, req.tag()),
    }
}

/// A change of the items that `=.id=` / `=numbers=` select: `f` changes them and returns
/// their names for the write log; answers `!done`.
fn write(
    state: &SimState,
    req: &Request,
    table: Table,
    f: impl FnOnce(&mut Db, &[ItemId]) -> Result<Vec<String>, SimError>,
) -> Plan {
    let result = targets(state, req, table).and_then(|ids| state.change(|db| f(db, &ids)));
    match result {
        Ok(names) => {
            state.log_write(&req.command, names);
            done(req.tag())
        }
        Err(e) => fail(&e, req.tag()),
    }
}

/// The subscriber behind a dynamic PPPoE server interface: `<pppoe-NAME>` as RouterOS names
/// it (the bare `pppoe-NAME` is accepted too).
fn interface_user(interface: &str) -> Option<&str> {
    let inner = interface
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(interface);
    inner.strip_prefix("pppoe-").filter(|n| !n.is_empty())
}

fn monitor(state: &SimState, req: &Request) -> Plan {
    let tag = req.tag();
    let Some(interface) = req.get("interface") else {
        return fail(&SimError::Missing("interface".to_owned()), tag);
    };
    let online = interface_user(interface)
        .filter(|name| state.db().session_by_name(name).is_some())
        .map(str::to_owned);
    let Some(name) = online else {
        return fail(&SimError::NoMatch("interface".to_owned()), tag);
    };
    let interval = match req.get("interval") {
        Some(text) => match value::parse_duration_arg(text).filter(|d| !d.is_zero()) {
            Some(interval) => interval,
            None => return fail(&SimError::InvalidValue("interval".to_owned()), tag),
        },
        None => state.settings().monitor_interval,
    };
    Plan::Job(Job::Monitor(MonitorJob {
        name,
        interface: interface.to_owned(),
        once: req.has("once"),
        interval,
    }))
}

/// A monitor sample of a session (zeros once it is gone).
pub(crate) fn traffic_sample(state: &SimState, job: &MonitorJob, tick: u64) -> Plain {
    state.db().traffic(&job.name, tick).unwrap_or_else(|| {
        let mut p = Plain::default();
        p.push("name", job.interface.clone());
        for key in [
            "rx-packets-per-second",
            "rx-bits-per-second",
            "tx-packets-per-second",
            "tx-bits-per-second",
        ] {
            p.push(key, "0");
        }
        p
    })
}

fn resource(state: &SimState) -> Plain {
    let config = state.settings();
    let uptime = state.router_uptime();
    let counts = (state.secret_count(), state.active_count());
    let total: u64 = 4 << 30;
    let used = 180_000_000 + counts.0 as u64 * 2_000 + counts.1 as u64 * 20_000;
    let mut p = Plain::default();
    p.push(
        "uptime",
        value::format_duration(Duration::from_secs(uptime)),
    );
    p.push("version", config.version);
    p.push("build-time", "2025-04-15 10:22:31");
    p.push("factory-software", "7.1");
    p.push("free-memory", total.saturating_sub(used).to_string());
    p.push("total-memory", total.to_string());
    p.push("cpu", "ARM64");
    p.push("cpu-count", "4");
    p.push("cpu-frequency", "1700");
    p.push("cpu-load", (3 + counts.1 % 20).to_string());
    p.push("free-hdd-space", "97628160");
    p.push("total-hdd-space", "134217728");
    p.push("write-sect-since-reboot", "10250");
    p.push("write-sect-total", "482113");
    p.push("architecture-name", "arm64");
    p.push("board-name", config.board_name);
    p.push("platform", "MikroTik");
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        assert_eq!(interface_user("<pppoe-john123>"), Some("john123"));
        assert_eq!(interface_user("pppoe-john123"), Some("john123"));
        assert_eq!(interface_user("<pppoe->"), None);
        assert_eq!(interface_user("ether1"), None);
    }
}
