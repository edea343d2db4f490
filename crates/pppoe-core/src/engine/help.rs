//! `help` and `help pppoe`.

use crate::command::HelpTopic;
use crate::ports::{AuditSink, Clock, Router};

use super::answer::Answer;
use super::{DeleteConfirmation, Engine};

impl<R: Router, A: AuditSink, C: Clock> Engine<R, A, C> {
    pub(super) fn help(&self, topic: HelpTopic) -> Answer {
        Answer::ok(match topic {
            HelpTopic::General => self.renderer.help_general(),
            HelpTopic::Pppoe => self.renderer.help_pppoe(
                &self.config.profiles,
                self.config.delete_confirmation == DeleteConfirmation::Code,
            ),
        })
    }
}
