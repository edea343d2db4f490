//! `addpppoe USER PASS PROFILE [IP] [INFO...]`: a new secret (`service=pppoe`), its static IP
//! checked before and read back after the write.

use crate::command::CommandKind;
use crate::domain::{CustomerInfo, StaticIp};
use crate::ports::{AuditSink, Clock, NewSecret, Outcome, Router, RouterError};

use super::answer::Answer;
use super::support::IP_GATE;
use super::{Cx, Engine, NewSubscriber};
use crate::ticket::TicketStore;

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn add(&self, new: NewSubscriber, cx: &Cx<'_>) -> Result<Answer, RouterError> {
        let kind = CommandKind::Add;
        let name = new.name.as_str();
        // The ticket is checked before the router is touched: a wrong ticket number must not
        // leave a user created and a ticket not told.
        if let Some(id) = new.ticket
            && let Err(answer) = self.installation_ticket(id, name, cx).await
        {
            return Ok(answer);
        }
        if self.router.find_secret(&new.name).await?.is_some() {
            return Ok(Answer::invalid(
                "username: already exists",
                self.renderer.already_exists(name),
            ));
        }
        let ip = new.ip.map(StaticIp::addr);
        // The check, the write and the read-back of a static IP run one at a time.
        let _ip_turn = match ip {
            Some(_) => Some(self.ip_gate.ticket(IP_GATE).await),
            None => None,
        };
        if let Some(ip) = ip
            && let Err(answer) = self.ip_free(kind, ip, name).await?
        {
            return Ok(answer);
        }
        let secret = NewSecret {
            name: new.name.clone(),
            password: new.password.clone(),
            profile: new.profile.router_profile.clone(),
            remote_address: ip,
            comment: new.comment.clone(),
            router: cx
                .phone
                .and_then(|p| self.config.home_routers.get(p))
                .cloned(),
        };
        let at = match self.router.add_secret(&secret).await {
            Ok(at) => at,
            Err(RouterError::AlreadyExists) => {
                return Ok(Answer::invalid(
                    "username: already exists",
                    self.renderer.already_exists(name),
                ));
            }
            Err(RouterError::UnknownProfile) => {
                let missing = &new.profile.router_profile;
                return Ok(Answer::with(
                    Outcome::Failed,
                    format!("router has no profile {missing:?}"),
                    self.renderer.router_profile_missing(missing),
                ));
            }
            Err(e) => return Err(e),
        };
        let done = Answer::ok(self.renderer.added(
            name,
            new.password.expose(),
            &new.profile.name,
            ip,
            new.comment.as_ref().map(CustomerInfo::as_str),
            cx.now,
        ))
        .router(&at.router);
        let mut answer = match ip {
            Some(ip) => {
                self.verify_ip(kind, cx, ip, name, done, || self.router.remove_secret(&at))
                    .await
            }
            None => done,
        };
        if let Some(id) = new.ticket
            && answer.outcome == Outcome::Ok
        {
            self.record_installation(id, name, cx, &mut answer).await;
        }
        if let Some(phone) = &new.customer
            && answer.outcome == Outcome::Ok
        {
            self.welcome_customer(&new, phone, cx, &mut answer).await;
        }
        Ok(answer)
    }
}
