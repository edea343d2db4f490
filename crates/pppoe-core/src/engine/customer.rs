//! Messages to customers: after `addpppoe ... wa=`, the number is kept in the bot's records
//! and (with `[customer] notify_on_create`) the customer gets their login and the ONU set-up;
//! after `selesai` of a ticket about a subscriber with a kept number (with
//! `notify_on_resolve`), the customer is told. Each message gets an audit row of its own
//! (command `notify`) once the messenger knows what became of it; the row never holds the
//! text, so the password stays out of the audit log.

use crate::domain::{PhoneNumber, customer_name};
use crate::ports::{AuditSink, Clock, DeliveryAudit, Router};
use crate::render::{Language, speeds};
use crate::template::{self, MessageTemplate, Placeholder, TemplateValues};
use crate::ticket::{Ticket, TicketStore};

use super::answer::{Answer, Notice};
use super::{Cx, Engine, NewSubscriber};

/// The greeting's name when the information gives none.
fn anonymous(language: Language) -> &'static str {
    match language {
        Language::Indonesian => "Pelanggan",
        Language::English => "Customer",
    }
}

/// A default template; it is a constant of this crate, checked by a unit test.
fn default_template(text: &str, allowed: &[Placeholder]) -> Option<MessageTemplate> {
    MessageTemplate::parse(text, allowed).ok()
}

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    fn create_template(&self) -> Option<MessageTemplate> {
        self.config.customer.create_template.clone().or_else(|| {
            let text = match self.config.language {
                Language::Indonesian => template::CREATE_ID,
                Language::English => template::CREATE_EN,
            };
            default_template(text, &Placeholder::CREATE)
        })
    }

    fn resolve_template(&self) -> Option<MessageTemplate> {
        self.config.customer.resolve_template.clone().or_else(|| {
            let text = match self.config.language {
                Language::Indonesian => template::RESOLVE_ID,
                Language::English => template::RESOLVE_EN,
            };
            default_template(text, &Placeholder::RESOLVE)
        })
    }

    /// After a successful `addpppoe ... wa=`: keeps the number, sends the login if configured,
    /// and says both in the reply.
    pub(super) async fn welcome_customer(
        &self,
        new: &NewSubscriber,
        phone: &PhoneNumber,
        cx: &Cx<'_>,
        answer: &mut Answer,
    ) {
        let name = new.name.as_str();
        let kept = self
            .tickets
            .set_customer(name, phone.as_str(), cx.now)
            .await
            .map_err(|e| {
                tracing::error!(user = name, error = %e, "the customer's number was not kept");
                e.to_string()
            });
        if let Err(why) = &kept {
            answer.error = Some(format!("user created; customer number not kept: {why}"));
        }
        let notice = self
            .config
            .customer
            .notify_on_create
            .then(|| self.create_template())
            .flatten()
            .map(|t| {
                let nama = new
                    .comment
                    .as_ref()
                    .map(|c| customer_name(c.as_str()))
                    .filter(|n| !n.is_empty())
                    .unwrap_or(anonymous(self.config.language));
                let speed = speeds(new.profile.download_bps, new.profile.upload_bps);
                t.render(&TemplateValues {
                    username: name,
                    password: new.password.expose(),
                    package: &new.profile.name,
                    speed: &speed,
                    nama,
                    ..TemplateValues::default()
                })
            });
        let shown = format!("+{}", phone.as_str());
        if let Some(reply) = &mut answer.reply {
            reply.push_str(&self.renderer.customer_lines(
                &shown,
                kept.as_ref().map(|_| ()).map_err(String::as_str),
                notice.is_some(),
            ));
        }
        if let Some(text) = notice {
            answer.notices.push(Notice {
                to: phone.clone(),
                text,
                audit: Some(DeliveryAudit {
                    message_id: format!("{}#notify", cx.message_id),
                    actor_phone: cx.actor.to_owned(),
                    target: name.to_owned(),
                    router: answer.router.clone(),
                    arguments: format!("login of {name} sent to customer {}", phone.as_str()),
                }),
            });
        }
    }

    /// The customer's notice of a resolved ticket, when configured and the subscriber has a
    /// kept number.
    pub(super) async fn resolved_customer_notice(
        &self,
        ticket: &Ticket,
        note: &str,
        cx: &Cx<'_>,
    ) -> Option<Notice> {
        if !self.config.customer.notify_on_resolve {
            return None;
        }
        let username = ticket.username.as_deref()?;
        let digits = match self.tickets.customer(username).await {
            Ok(found) => found?,
            Err(e) => {
                tracing::warn!(ticket = %ticket.id, error = %e, "the customer's number could not be read; not told");
                return None;
            }
        };
        let to = PhoneNumber::international(&digits).ok()?;
        let id = ticket.id.to_string();
        let text = self.resolve_template()?.render(&TemplateValues {
            username,
            nama: anonymous(self.config.language),
            ticket: &id,
            note,
            ..TemplateValues::default()
        });
        Some(Notice {
            to,
            text,
            audit: Some(DeliveryAudit {
                message_id: format!("{}#notify", cx.message_id),
                actor_phone: cx.actor.to_owned(),
                target: username.to_owned(),
                router: None,
                arguments: format!("{id} resolved, told customer {digits}"),
            }),
        })
    }
}
