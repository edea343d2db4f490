//! Several routers behind one [`Router`]: look-ups search every router, operations on an
//! existing secret go to the router named in its [`SecretRef`], new secrets go to the sender's
//! home router (or the first one).

use std::net::Ipv4Addr;

use futures::future::join_all;

use crate::domain::Username;
use crate::ports::{
    ActiveSession, IpUser, ListFilter, NewSecret, PageRequest, Router, RouterError, RouterProfile,
    Secret, SecretChange, SecretPage, SecretRef, Traffic,
};

/// A router that knows its own name (the one in [`SecretRef::router`]): what a [`RouterSet`]
/// is made of.
pub trait NamedRouter: Router {
    /// The router's configured name.
    fn name(&self) -> &str;
}

/// Named routers acting as one.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use pppoe_core::testing::FakeRouter;
/// use pppoe_core::{ListFilter, PageRequest, Router, RouterSet};
///
/// let a = FakeRouter::named("core-1");
/// let b = FakeRouter::named("core-2");
/// a.insert("john123", "password123", "Premium", None, None);
/// b.insert("jane456", "password456", "Standard", None, None);
/// let set = RouterSet::new(vec![a, b]).unwrap();
/// let page = futures::executor::block_on(set.list_secrets(&ListFilter::All, PageRequest::page(1, 20))).unwrap();
/// assert_eq!(page.total, 2);
/// assert_eq!(page.items[1].secret.at.router, "core-2");
/// # }
/// ```
#[derive(Debug)]
pub struct RouterSet<R> {
    routers: Vec<R>,
}

/// Why a [`RouterSet`] cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouterSetError {
    /// No router.
    #[error("no router configured")]
    Empty,
    /// Two routers with one name.
    #[error("two routers are named {0:?}")]
    DuplicateName(String),
}

impl<R: NamedRouter> RouterSet<R> {
    /// A set of routers, in the order look-ups and listings visit them; their names come from
    /// the routers themselves.
    pub fn new(routers: Vec<R>) -> Result<Self, RouterSetError> {
        if routers.is_empty() {
            return Err(RouterSetError::Empty);
        }
        for (i, router) in routers.iter().enumerate() {
            if routers[..i].iter().any(|r| r.name() == router.name()) {
                return Err(RouterSetError::DuplicateName(router.name().to_owned()));
            }
        }
        Ok(Self { routers })
    }

    /// The routers, in order.
    pub fn routers(&self) -> impl Iterator<Item = &R> {
        self.routers.iter()
    }

    /// Whether a router of that name is in the set.
    pub fn contains(&self, name: &str) -> bool {
        self.routers.iter().any(|r| r.name() == name)
    }

    fn by_name(&self, name: &str) -> Result<&R, RouterError> {
        self.routers
            .iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| RouterError::Rejected(format!("no router named {name:?} is configured")))
    }
}

/// The first `Some` in router order; an error only matters if no router found anything.
fn first_found<T>(results: Vec<Result<Option<T>, RouterError>>) -> Result<Option<T>, RouterError> {
    let mut error = None;
    for result in results {
        match result {
            Ok(Some(found)) => return Ok(Some(found)),
            Ok(None) => {}
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    match error {
        // A router that could not answer might hold the item: not "not found".
        Some(e) => Err(e),
        None => Ok(None),
    }
}

impl<R: NamedRouter> Router for RouterSet<R> {
    async fn find_secret(&self, name: &Username) -> Result<Option<Secret>, RouterError> {
        first_found(join_all(self.routers.iter().map(|r| r.find_secret(name))).await)
    }

    async fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        let mut items = Vec::new();
        let mut before = 0;
        let mut stale_as_of: Option<chrono::DateTime<chrono::Utc>> = None;
        for router in &self.routers {
            let local = PageRequest {
                offset: page.offset.saturating_sub(before),
                limit: page.limit - items.len(),
            };
            let part = router.list_secrets(filter, local).await?;
            before += part.total;
            items.extend(part.items);
            // The oldest copy decides what the listing may claim.
            stale_as_of = match (stale_as_of, part.stale_as_of) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(SecretPage {
            items,
            total: before,
            stale_as_of,
        })
    }

    async fn add_secret(&self, secret: &NewSecret) -> Result<SecretRef, RouterError> {
        let router = match &secret.router {
            Some(name) => self.by_name(name)?,
            None => &self.routers[0],
        };
        router.add_secret(secret).await
    }

    async fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> Result<(), RouterError> {
        self.by_name(&at.router)?.update_secret(at, change).await
    }

    async fn remove_secret(&self, at: &SecretRef) -> Result<(), RouterError> {
        self.by_name(&at.router)?.remove_secret(at).await
    }

    async fn active_session(&self, name: &str) -> Result<Option<ActiveSession>, RouterError> {
        first_found(join_all(self.routers.iter().map(|r| r.active_session(name))).await)
    }

    async fn kick(&self, name: &str) -> Result<usize, RouterError> {
        let mut kicked = 0;
        for result in join_all(self.routers.iter().map(|r| r.kick(name))).await {
            kicked += result?;
        }
        Ok(kicked)
    }

    async fn profiles(&self) -> Result<Vec<RouterProfile>, RouterError> {
        let mut all: Vec<RouterProfile> = Vec::new();
        for result in join_all(self.routers.iter().map(|r| r.profiles())).await {
            for p in result? {
                if !all.iter().any(|q| q.name == p.name) {
                    all.push(p);
                }
            }
        }
        Ok(all)
    }

    async fn traffic(&self, name: &str) -> Result<Option<Traffic>, RouterError> {
        first_found(join_all(self.routers.iter().map(|r| r.traffic(name))).await)
    }

    async fn ip_users(&self, ip: Ipv4Addr) -> Result<Vec<IpUser>, RouterError> {
        // A router that could not answer might use the address: an error, never "free".
        let mut users = Vec::new();
        for result in join_all(self.routers.iter().map(|r| r.ip_users(ip))).await {
            users.extend(result?);
        }
        Ok(users)
    }

    async fn in_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<bool, RouterError> {
        self.by_name(router)?
            .in_address_list(router, list, address)
            .await
    }

    async fn add_to_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
        comment: &str,
    ) -> Result<(), RouterError> {
        self.by_name(router)?
            .add_to_address_list(router, list, address, comment)
            .await
    }

    async fn remove_from_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<usize, RouterError> {
        self.by_name(router)?
            .remove_from_address_list(router, list, address)
            .await
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use futures::executor::block_on;

    use super::*;
    use crate::domain::Password;
    use crate::testing::{CallKind, FakeRouter};

    fn set() -> (FakeRouter, FakeRouter, RouterSet<FakeRouter>) {
        let a = FakeRouter::named("core-1");
        let b = FakeRouter::named("core-2");
        for i in 0..5 {
            a.insert(&format!("a{i}"), "password123", "Basic", None, None);
        }
        for i in 0..7 {
            b.insert(&format!("b{i}"), "password123", "Basic", None, None);
        }
        let s = RouterSet::new(vec![a.clone(), b.clone()]).unwrap();
        (a, b, s)
    }

    #[test]
    fn pages_span_routers() {
        let (_, _, s) = set();
        let names = |page: SecretPage| -> Vec<String> {
            page.items.into_iter().map(|i| i.secret.name).collect()
        };
        let p = block_on(s.list_secrets(&ListFilter::All, PageRequest::page(1, 4))).unwrap();
        assert_eq!(p.total, 12);
        assert_eq!(names(p), ["a0", "a1", "a2", "a3"]);
        let p = block_on(s.list_secrets(&ListFilter::All, PageRequest::page(2, 4))).unwrap();
        assert_eq!(names(p), ["a4", "b0", "b1", "b2"]);
        let p = block_on(s.list_secrets(&ListFilter::All, PageRequest::page(3, 4))).unwrap();
        assert_eq!(names(p), ["b3", "b4", "b5", "b6"]);
        let p = block_on(s.list_secrets(&ListFilter::All, PageRequest::page(4, 4))).unwrap();
        assert!(p.items.is_empty());
        assert_eq!(p.total, 12);
    }

    #[test]
    fn operations_are_routed() {
        let (a, b, s) = set();
        let found = block_on(s.find_secret(&Username::parse("b3").unwrap()))
            .unwrap()
            .unwrap();
        assert_eq!(found.at.router, "core-2");
        block_on(s.update_secret(&found.at, &SecretChange::Disabled(true))).unwrap();
        assert!(b.secret("b3").unwrap().secret.disabled);
        block_on(s.remove_secret(&found.at)).unwrap();
        assert!(b.secret("b3").is_none());
        let mut new = NewSecret {
            name: Username::parse("c1").unwrap(),
            password: Password::parse("password123").unwrap(),
            profile: "Basic".into(),
            remote_address: None,
            comment: None,
            router: Some("core-2".into()),
        };
        assert_eq!(block_on(s.add_secret(&new)).unwrap().router, "core-2");
        new.name = Username::parse("c2").unwrap();
        new.router = None;
        assert_eq!(block_on(s.add_secret(&new)).unwrap().router, "core-1");
        assert!(a.secret("c2").is_some());
        new.router = Some("core-9".into());
        assert!(block_on(s.add_secret(&new)).is_err());
    }

    #[test]
    fn an_unreachable_router_is_not_a_miss() {
        let (a, _, s) = set();
        a.fail_on(CallKind::Find, RouterError::Unreachable("down".into()));
        let found = block_on(s.find_secret(&Username::parse("b1").unwrap())).unwrap();
        assert!(found.is_some(), "found on the other router");
        a.fail_on(CallKind::Find, RouterError::Unreachable("down".into()));
        let missing = block_on(s.find_secret(&Username::parse("zz").unwrap()));
        assert!(matches!(missing, Err(RouterError::Unreachable(_))));
        assert!(matches!(
            RouterSet::new(vec![FakeRouter::named("x"), FakeRouter::named("x")]),
            Err(RouterSetError::DuplicateName(_))
        ));
    }
}
