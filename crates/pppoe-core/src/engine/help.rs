//! `help`, `help pppoe` and `help tiket`.

use crate::command::HelpTopic;
use crate::ports::{AuditSink, Clock, Router};
use crate::ticket::TicketStore;

use super::answer::Answer;
use super::{DeleteConfirmation, Engine};

impl<R: Router, A: AuditSink, C: Clock, T: TicketStore> Engine<R, A, C, T> {
    pub(super) fn help(&self, topic: HelpTopic) -> Answer {
        Answer::ok(match topic {
            HelpTopic::General => self.renderer.help_general(),
            HelpTopic::Pppoe => self.renderer.help_pppoe(
                &self.config.profiles,
                self.config.delete_confirmation == DeleteConfirmation::Code,
            ),
            HelpTopic::Tickets => self.renderer.help_tickets(),
        })
    }
}
