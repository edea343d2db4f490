//! The specification's sample subscribers, `john123` and `jane456`: one list, read by the
//! in-memory `FakeRouter` (feature `testing`) and by the `routeros-sim` crate, so that the
//! fake, the simulator and the demo hold the same users with the same passwords.

use std::net::Ipv4Addr;
use std::time::Duration;

/// A subscriber of the specification's examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleUser {
    /// The PPPoE user name.
    pub name: &'static str,
    /// The PPPoE password.
    pub password: &'static str,
    /// A package of the default [`ProfileTable`](crate::ProfileTable).
    pub profile: &'static str,
    /// The static `remote-address`.
    pub remote_address: Ipv4Addr,
    /// The customer, as the secret's comment.
    pub comment: &'static str,
    /// The session, if the subscriber is online.
    pub session: Option<SampleSession>,
    /// The last session, if the subscriber is offline and has been online before.
    pub last_session: Option<SampleLastSession>,
}

/// The session of an online [`SampleUser`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleSession {
    /// The ONU's MAC.
    pub caller_id: &'static str,
    /// How long the session has been up.
    pub uptime: Duration,
}

/// How the last session of an offline [`SampleUser`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleLastSession {
    /// How long ago it ended.
    pub ended_ago: Duration,
    /// The ONU's MAC.
    pub caller_id: &'static str,
    /// RouterOS's `last-disconnect-reason`.
    pub reason: &'static str,
}

/// `john123` (Premium, 192.168.1.100, "John Doe", online for 3h25m) and `jane456` (Standard,
/// 192.168.1.101, "Jane Smith", offline since 5h12m), with the passwords of the spec's
/// examples.
///
/// ```
/// use pppoe_core::sample::SAMPLE_USERS;
/// let [john, jane] = SAMPLE_USERS;
/// assert_eq!((john.name, john.password, john.profile), ("john123", "password123", "Premium"));
/// assert!(john.session.is_some() && jane.session.is_none());
/// ```
pub const SAMPLE_USERS: [SampleUser; 2] = [
    SampleUser {
        name: "john123",
        password: "password123",
        profile: "Premium",
        remote_address: Ipv4Addr::new(192, 168, 1, 100),
        comment: "John Doe",
        session: Some(SampleSession {
            caller_id: "AA:BB:CC:DD:EE:01",
            uptime: Duration::from_secs(3 * 3600 + 25 * 60),
        }),
        last_session: None,
    },
    SampleUser {
        name: "jane456",
        password: "password456",
        profile: "Standard",
        remote_address: Ipv4Addr::new(192, 168, 1, 101),
        comment: "Jane Smith",
        session: None,
        last_session: Some(SampleLastSession {
            ended_ago: Duration::from_secs(5 * 3600 + 12 * 60),
            caller_id: "E4:8D:8C:65:43:21",
            reason: "peer-request",
        }),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProfileTable;

    #[test]
    fn sample_users_use_packages_of_the_default_table() {
        let table = ProfileTable::default();
        for user in SAMPLE_USERS {
            assert!(table.parse(user.profile).is_ok(), "{}", user.name);
            assert!(
                crate::Password::parse(user.password).is_ok(),
                "{}",
                user.name
            );
        }
    }
}
