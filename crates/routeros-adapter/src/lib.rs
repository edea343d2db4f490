//! `impl pppoe_core::Router` over the RouterOS API ([`routeros_api`]).
//!
//! ```text
//!  Engine ──Router──▶ RouterOs ──Command──▶ routeros_api::Client ──TCP/TLS──▶ RouterOS
//!                      │ lazy connect, reconnect with backoff, bounded in-flight commands
//!                      │ server-side queries (?name=) and .proplist; never print-all to find one
//!                      └ a write whose reply was lost is re-read before it is retried
//! ```
//!
//! `/ppp/secret` for secrets, `/ppp/active` for sessions (kicking removes every session of a
//! name), `/ppp/profile` for the package check, `/interface/monitor-traffic` on
//! `<pppoe-NAME>` for live traffic. Traps are mapped to [`pppoe_core::RouterError`] by their text;
//! unknown traps keep it.
//!
//! # Example
//!
//! ```no_run
//! use pppoe_core::{Router, Username};
//! use routeros_adapter::{RouterOs, RouterOsConfig};
//! use routeros_api::ClientConfig;
//!
//! # async fn example() -> Result<(), pppoe_core::RouterError> {
//! let router = RouterOs::new(RouterOsConfig::new(
//!     "core-1",
//!     ClientConfig::new("192.0.2.1", "pppoe-bot", "secret").port(8728),
//! ));
//! let john = router.find_secret(&Username::parse("john123").unwrap()).await?;
//! println!("{john:?}");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod mapping;

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use pppoe_core::{
    ActiveSession, IpUser, ListFilter, ListedSecret, NewSecret, PageRequest, Router, RouterError,
    RouterProfile, Secret, SecretChange, SecretPage, SecretRef, Traffic, Username,
};
use routeros_api::{Client, ClientConfig, ClientError, Command, QueryWord, Response};
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use crate::mapping::{ACTIVE_PROPS, LIST_PROPS, SECRET_PROPS, map_error};

/// Settings of one router.
#[derive(Debug, Clone)]
pub struct RouterOsConfig {
    /// The router's name in the config, the audit log and replies.
    pub name: String,
    /// How to reach and log in to it.
    pub client: ClientConfig,
    /// At most this many commands in flight on the connection (default 16).
    pub max_in_flight: usize,
    /// First wait after a failed connection attempt (default 1 s); doubles up to
    /// `backoff_max`.
    pub backoff_initial: Duration,
    /// Longest wait between connection attempts (default 30 s).
    pub backoff_max: Duration,
}

impl RouterOsConfig {
    /// Settings with the defaults.
    pub fn new(name: impl Into<String>, client: ClientConfig) -> Self {
        Self {
            name: name.into(),
            client,
            max_in_flight: 16,
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What the router says about itself (the health check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `/system/identity` name.
    pub identity: String,
    /// `/system/resource` version, if reported.
    pub version: Option<String>,
    /// `/system/resource` uptime, if reported.
    pub uptime: Option<String>,
}

#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
    retry_at: Option<Instant>,
    last_error: String,
}

/// One RouterOS router behind the [`Router`] port.
#[derive(Debug)]
pub struct RouterOs {
    config: RouterOsConfig,
    client: Mutex<Option<Client>>,
    backoff: std::sync::Mutex<Backoff>,
    permits: Semaphore,
}

/// The outcome of sending a write.
enum Sent {
    Done(Response),
    /// The reply was lost (timeout, dropped connection): the write may or may not have been
    /// applied.
    Lost(ClientError),
}

impl RouterOs {
    /// A router; nothing is connected until the first command.
    pub fn new(config: RouterOsConfig) -> Self {
        let permits = Semaphore::new(config.max_in_flight.max(1));
        Self {
            config,
            client: Mutex::new(None),
            backoff: std::sync::Mutex::default(),
            permits,
        }
    }

    /// The router's configured name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    fn backoff(&self) -> std::sync::MutexGuard<'_, Backoff> {
        self.backoff
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live connection, connecting (again) if needed. While a failed router is in its
    /// backoff window, fails at once instead of stacking connection attempts.
    async fn client(&self) -> Result<Client, RouterError> {
        let mut current = self.client.lock().await;
        if let Some(client) = current.as_ref() {
            if !client.is_closed() {
                return Ok(client.clone());
            }
            tracing::info!(router = %self.config.name, "connection to the router was lost; reconnecting");
            *current = None;
        }
        {
            let backoff = self.backoff();
            if let Some(at) = backoff.retry_at
                && Instant::now() < at
            {
                return Err(RouterError::Unreachable(format!(
                    "{} (next attempt in {}s)",
                    backoff.last_error,
                    at.saturating_duration_since(Instant::now()).as_secs() + 1
                )));
            }
        }
        match Client::connect(&self.config.client).await {
            Ok(client) => {
                *self.backoff() = Backoff::default();
                tracing::info!(router = %self.config.name, host = %self.config.client.host(), "connected to the router");
                *current = Some(client.clone());
                Ok(client)
            }
            Err(e) => {
                let mapped = map_error(e);
                let mut backoff = self.backoff();
                let delay = self
                    .config
                    .backoff_initial
                    .saturating_mul(1 << backoff.failures.min(16))
                    .min(self.config.backoff_max);
                backoff.failures += 1;
                backoff.retry_at = Some(Instant::now() + delay);
                backoff.last_error = mapped.to_string();
                tracing::warn!(router = %self.config.name, error = %mapped, retry_in = ?delay, "cannot connect to the router");
                Err(mapped)
            }
        }
    }

    /// Forgets `client` if it is still the current connection.
    async fn discard(&self, client: &Client) {
        client.close().await;
        let mut current = self.client.lock().await;
        if current.as_ref().is_some_and(Client::is_closed) {
            *current = None;
        }
    }

    /// A read: retried once on a fresh connection if the connection was lost.
    async fn read(&self, command: Command) -> Result<Response, RouterError> {
        let _permit = self.permits.acquire().await;
        let mut attempt = 0;
        loop {
            let client = self.client().await?;
            match client.call(command.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_connection_lost() && attempt == 0 => {
                    tracing::warn!(router = %self.config.name, error = %e, "connection lost during a read; retrying once");
                    self.discard(&client).await;
                    attempt += 1;
                }
                Err(e) => return Err(map_error(e)),
            }
        }
    }

    /// Sends a write once. A lost reply is reported as such, not as an error, so that the
    /// caller re-reads before retrying.
    async fn send(&self, command: Command) -> Result<Sent, RouterError> {
        let _permit = self.permits.acquire().await;
        let client = self.client().await?;
        match client.call(command).await {
            Ok(r) => Ok(Sent::Done(r)),
            Err(e @ ClientError::Timeout { .. }) => Ok(Sent::Lost(e)),
            Err(e) if e.is_connection_lost() => {
                self.discard(&client).await;
                Ok(Sent::Lost(e))
            }
            Err(e) => Err(map_error(e)),
        }
    }

    /// Runs a write at most twice: if its reply is lost, `applied` re-reads the router; only if
    /// the write did not take effect is it sent again. Returns the router's reply, or `None`
    /// when the re-read showed that the lost write had been applied.
    async fn write<F, Fut>(
        &self,
        command: Command,
        applied: F,
    ) -> Result<Option<Response>, RouterError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool, RouterError>>,
    {
        for attempt in 0..2 {
            match self.send(command.clone()).await? {
                Sent::Done(r) => return Ok(Some(r)),
                Sent::Lost(e) => {
                    tracing::warn!(router = %self.config.name, error = %e, command = ?command, "reply to a write was lost; re-reading before any retry");
                    if applied().await? {
                        return Ok(None);
                    }
                    if attempt == 1 {
                        return Err(map_error(e));
                    }
                }
            }
        }
        Err(RouterError::Timeout)
    }

    /// `/system/identity` and `/system/resource`: a health check that also proves the login.
    pub async fn health(&self) -> Result<Health, RouterError> {
        let identity = self.read(Command::new("/system/identity/print")).await?;
        let resource = self.read(Command::new("/system/resource/print")).await?;
        let res = resource.rows.first();
        Ok(Health {
            identity: identity
                .rows
                .first()
                .and_then(|r| r.get("name"))
                .unwrap_or_default()
                .to_owned(),
            version: res.and_then(|r| r.get("version")).map(str::to_owned),
            uptime: res.and_then(|r| r.get("uptime")).map(str::to_owned),
        })
    }

    async fn secret_by_name(&self, name: &str) -> Result<Option<Secret>, RouterError> {
        let r = self
            .read(
                Command::new("/ppp/secret/print")
                    .query(QueryWord::eq("name", name))
                    .proplist(SECRET_PROPS),
            )
            .await?;
        Ok(r.rows
            .first()
            .map(|row| mapping::secret(&self.config.name, row)))
    }

    async fn secret_by_id(&self, id: &str) -> Result<Option<Secret>, RouterError> {
        let r = self
            .read(
                Command::new("/ppp/secret/print")
                    .query(QueryWord::eq(".id", id))
                    .proplist(SECRET_PROPS),
            )
            .await?;
        Ok(r.rows
            .first()
            .map(|row| mapping::secret(&self.config.name, row)))
    }

    async fn sessions(&self, name: &str) -> Result<Vec<ActiveSession>, RouterError> {
        let r = self
            .read(
                Command::new("/ppp/active/print")
                    .query(QueryWord::eq("name", name))
                    .proplist(ACTIVE_PROPS),
            )
            .await?;
        Ok(r.rows
            .iter()
            .map(|row| mapping::active(&self.config.name, row))
            .collect())
    }

    /// Names of the connected users among `names` (one OR query), or of all connected users.
    async fn online_names(&self, names: Option<&[&str]>) -> Result<HashSet<String>, RouterError> {
        let mut command = Command::new("/ppp/active/print").proplist(&["name"]);
        if let Some(names) = names {
            if names.is_empty() {
                return Ok(HashSet::new());
            }
            for name in names {
                command = command.query(QueryWord::eq("name", *name));
            }
            for _ in 1..names.len() {
                command = command.query(QueryWord::or());
            }
        }
        let r = self.read(command).await?;
        Ok(r.rows
            .iter()
            .filter_map(|row| row.get("name").map(str::to_owned))
            .collect())
    }

    fn secret_ref(&self, id: String) -> SecretRef {
        SecretRef {
            router: self.config.name.clone(),
            id,
        }
    }
}

impl Router for RouterOs {
    async fn find_secret(&self, name: &Username) -> Result<Option<Secret>, RouterError> {
        self.secret_by_name(name.as_str()).await
    }

    async fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        let _permit = self.permits.acquire().await;
        let mut command = Command::new("/ppp/secret/print").proplist(LIST_PROPS);
        // Server-side where RouterOS can; substring and online filters are applied to the
        // stream row by row, keeping only the page.
        command = match filter {
            ListFilter::Profile(p) => command.query(QueryWord::eq("profile", p)),
            ListFilter::Enabled => command.query(QueryWord::eq("disabled", "false")),
            ListFilter::Disabled => command.query(QueryWord::eq("disabled", "true")),
            _ => command,
        };
        let online_filter = match filter {
            ListFilter::Online | ListFilter::Offline => {
                drop(_permit);
                let names = self.online_names(None).await?;
                Some((names, matches!(filter, ListFilter::Online)))
            }
            _ => None,
        };
        let _permit = self.permits.acquire().await;
        let needle = match filter {
            ListFilter::NameContains(t) => Some(t.to_lowercase()),
            _ => None,
        };
        let client = self.client().await?;
        let mut stream = client.stream(command).map_err(map_error)?;
        let (first, size) = (page.offset, page.limit);
        let mut total = 0usize;
        let mut items: Vec<Secret> = Vec::with_capacity(size.min(200));
        let deadline = self.config.client.get_command_timeout();
        let collect = async {
            while let Some(row) = stream.next_row().await {
                let row = row.map_err(map_error)?;
                let name = row.get("name").unwrap_or_default();
                if let Some(needle) = &needle
                    && !name.to_lowercase().contains(needle.as_str())
                {
                    continue;
                }
                if let Some((online, want)) = &online_filter
                    && online.contains(name) != *want
                {
                    continue;
                }
                if total >= first && items.len() < size {
                    items.push(mapping::secret(&self.config.name, &row));
                }
                total += 1;
            }
            Ok::<_, RouterError>(())
        };
        tokio::time::timeout(deadline, collect)
            .await
            .map_err(|_| RouterError::Timeout)??;
        drop(stream);
        drop(_permit);
        let online = match &online_filter {
            Some((_, want)) => {
                let want = *want;
                items
                    .iter()
                    .map(|s| (s.name.clone(), want))
                    .filter(|(_, o)| *o)
                    .map(|(n, _)| n)
                    .collect()
            }
            None => {
                let names: Vec<&str> = items.iter().map(|s| s.name.as_str()).collect();
                self.online_names(Some(&names)).await?
            }
        };
        Ok(SecretPage {
            items: items
                .into_iter()
                .map(|secret| ListedSecret {
                    online: online.contains(&secret.name),
                    secret,
                })
                .collect(),
            total,
        })
    }

    async fn add_secret(&self, new: &NewSecret) -> Result<SecretRef, RouterError> {
        let mut command = Command::new("/ppp/secret/add")
            .attr("name", new.name.as_str())
            .attr("password", new.password.expose())
            .attr("profile", &new.profile)
            .attr("service", "pppoe");
        if let Some(ip) = new.remote_address {
            command = command.attr("remote-address", ip.to_string());
        }
        if let Some(comment) = &new.comment {
            command = command.attr("comment", comment.as_str());
        }
        let name = new.name.as_str();
        let r = self
            .write(command, || async {
                // Applied if a secret of that name now exists with our profile.
                Ok(self
                    .secret_by_name(name)
                    .await?
                    .is_some_and(|s| s.profile == new.profile))
            })
            .await?;
        match r.as_ref().and_then(Response::ret) {
            Some(id) => Ok(self.secret_ref(id.to_owned())),
            None => self
                .secret_by_name(name)
                .await?
                .map(|s| s.at)
                .ok_or_else(|| {
                    RouterError::Rejected("the router did not return the new .id".into())
                }),
        }
    }

    async fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> Result<(), RouterError> {
        let base = |path: &str| Command::new(path).attr(".id", &at.id);
        let command = match change {
            SecretChange::Password(p) => base("/ppp/secret/set").attr("password", p.expose()),
            SecretChange::Profile(p) => base("/ppp/secret/set").attr("profile", p),
            SecretChange::RemoteAddress(Some(ip)) => {
                base("/ppp/secret/set").attr("remote-address", ip.to_string())
            }
            SecretChange::RemoteAddress(None) => {
                base("/ppp/secret/unset").attr("value-name", "remote-address")
            }
            SecretChange::Disabled(d) => {
                base("/ppp/secret/set").attr("disabled", if *d { "yes" } else { "no" })
            }
            SecretChange::Comment(Some(c)) => base("/ppp/secret/set").attr("comment", c.as_str()),
            SecretChange::Comment(None) => base("/ppp/secret/set").attr("comment", ""),
        };
        self.write(command, || async {
            let Some(now) = self.secret_by_id(&at.id).await? else {
                return Err(RouterError::NotFound);
            };
            let applied = match change {
                // A password cannot be read back; setting it again is harmless.
                SecretChange::Password(_) => false,
                SecretChange::Profile(p) => &now.profile == p,
                SecretChange::RemoteAddress(ip) => now.remote_address == *ip,
                SecretChange::Disabled(d) => now.disabled == *d,
                SecretChange::Comment(c) => {
                    now.comment.as_deref() == c.as_ref().map(pppoe_core::CustomerInfo::as_str)
                }
            };
            Ok(applied)
        })
        .await?;
        Ok(())
    }

    async fn remove_secret(&self, at: &SecretRef) -> Result<(), RouterError> {
        let command = Command::new("/ppp/secret/remove").attr(".id", &at.id);
        let gone = || async { Ok(self.secret_by_id(&at.id).await?.is_none()) };
        self.write(command, gone).await?;
        Ok(())
    }

    async fn active_session(&self, name: &str) -> Result<Option<ActiveSession>, RouterError> {
        Ok(self.sessions(name).await?.into_iter().next())
    }

    async fn kick(&self, name: &str) -> Result<usize, RouterError> {
        let sessions = self.sessions(name).await?;
        let mut kicked = 0;
        for session in &sessions {
            let command = Command::new("/ppp/active/remove").attr(".id", &session.id);
            let id = session.id.clone();
            let gone = || {
                let id = id.clone();
                async move {
                    let r = self
                        .read(
                            Command::new("/ppp/active/print")
                                .query(QueryWord::eq(".id", id))
                                .proplist(&[".id"]),
                        )
                        .await?;
                    Ok(r.rows.is_empty())
                }
            };
            match self.write(command, gone).await {
                Ok(_) => kicked += 1,
                // The session ended on its own in between: nothing to kick.
                Err(RouterError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(kicked)
    }

    async fn profiles(&self) -> Result<Vec<RouterProfile>, RouterError> {
        let r = self
            .read(Command::new("/ppp/profile/print").proplist(&["name", "rate-limit"]))
            .await?;
        Ok(r.rows
            .iter()
            .map(|row| RouterProfile {
                name: row.get("name").unwrap_or_default().to_owned(),
                rate_limit: row
                    .get("rate-limit")
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            })
            .collect())
    }

    async fn traffic(&self, name: &str) -> Result<Option<Traffic>, RouterError> {
        let command = Command::new("/interface/monitor-traffic")
            .attr("interface", format!("<pppoe-{name}>"))
            .attr("once", "");
        let r = match self.read(command).await {
            Ok(r) => r,
            Err(RouterError::NotFound | RouterError::InvalidValue(_)) => return Ok(None),
            // An offline user has no `<pppoe-NAME>` interface.
            Err(RouterError::Rejected(t))
                if t.contains("no such")
                    || t.contains("not found")
                    || t.contains("does not match any value of interface") =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(r.rows.first().and_then(|row| {
            // The interface's rx is what the subscriber sends: their upload.
            let up = row.get("rx-bits-per-second").and_then(mapping::parse_bps)?;
            let down = row.get("tx-bits-per-second").and_then(mapping::parse_bps)?;
            Some(Traffic {
                download_bps: down,
                upload_bps: up,
            })
        }))
    }

    async fn ip_user(&self, ip: Ipv4Addr) -> Result<Option<IpUser>, RouterError> {
        let text = ip.to_string();
        let secrets = self
            .read(
                Command::new("/ppp/secret/print")
                    .query(QueryWord::eq("remote-address", &text))
                    .proplist(&["name"]),
            )
            .await?;
        if let Some(name) = secrets.rows.first().and_then(|r| r.get("name")) {
            return Ok(Some(IpUser::Secret(name.to_owned())));
        }
        let active = self
            .read(
                Command::new("/ppp/active/print")
                    .query(QueryWord::eq("address", &text))
                    .proplist(&["name"]),
            )
            .await?;
        Ok(active
            .rows
            .first()
            .and_then(|r| r.get("name"))
            .map(|n| IpUser::Active(n.to_owned())))
    }
}
