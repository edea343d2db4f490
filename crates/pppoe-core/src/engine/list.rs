//! `pppoe [FILTER] [PAGE]`: a page of secrets, with the bot's own creation dates; `offline
//! [PAGE]`: the enabled ones without a session, with when and why they dropped.

use std::collections::HashMap;

use crate::ports::{AuditSink, Clock, ListFilter, PageRequest, Router, RouterError};
use crate::render::ListView;

use super::answer::Answer;
use super::{Engine, Listing};
use crate::ticket::TicketStore;

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) async fn list(&self, listing: &Listing) -> Result<Answer, RouterError> {
        let request = PageRequest::page(listing.page, self.config.page_size);
        let result = self.router.list_secrets(&listing.filter, request).await?;
        let names: Vec<String> = result.items.iter().map(|i| i.secret.name.clone()).collect();
        let created = match self.audit.created_at(&names).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "creation dates unavailable; listing shows \"-\"");
                HashMap::new()
            }
        };
        let view = ListView {
            filter: listing.typed.as_deref(),
            page: listing.page,
            page_size: self.config.page_size,
            total: result.total,
            items: result
                .items
                .iter()
                .map(|i| (i, created.get(&i.secret.name).copied()))
                .collect(),
        };
        let mut text = self.renderer.list(&view, &self.config.profiles);
        if let Some(at) = result.stale_as_of {
            text.push_str(&self.renderer.stale_copy(at));
        }
        Ok(Answer::ok(text))
    }

    pub(super) async fn offline(&self, page: u32) -> Result<Answer, RouterError> {
        let size = self.config.page_size;
        let result = self
            .router
            .list_secrets(&ListFilter::Down, PageRequest::page(page, size))
            .await?;
        let mut text = self.renderer.offline(
            &result.items,
            result.total,
            page,
            size,
            &self.config.profiles,
        );
        if let Some(at) = result.stale_as_of {
            text.push_str(&self.renderer.stale_copy(at));
        }
        Ok(Answer::ok(text))
    }
}
