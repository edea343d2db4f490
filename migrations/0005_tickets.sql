-- Trouble tickets (`lapor`, `ambil`, `selesai TR001`, ...): the tickets and their history.
--
-- The engine checks every move against the ticket state machine (pppoe-core's ticket module)
-- before the store writes it; the triggers below refuse, in the database itself, what the
-- engine never does (defence in depth). Tickets are working state, not part of the hash chain:
-- the commands that change them are recorded in audit_log like any other. docs/auditor.md
-- documents both tables for auditors.

-- One row per ticket, changed in place; `version` counts the changes.
CREATE TABLE tickets (
    -- TR001 = 1, TR002 = 2...: assigned by the writer in order (max + 1), never reused (rows
    -- are never deleted).
    number       INTEGER PRIMARY KEY CHECK (number >= 1),
    state        TEXT    NOT NULL CHECK (state IN ('open', 'in_progress', 'resolved', 'closed')),
    -- The subscriber (PPPoE username) it is about, once known.
    username     TEXT,
    -- The complaint as reported.
    complaint    TEXT    NOT NULL,
    -- Who reported it, and who has it (normalized phone numbers).
    reporter     TEXT    NOT NULL,
    assignee     TEXT,
    -- UTC, ISO 8601 with milliseconds, like audit_log.at: when it was reported, taken (by its
    -- current assignee), resolved, closed, and when its subscriber was created.
    opened_at    TEXT    NOT NULL,
    taken_at     TEXT,
    resolved_at  TEXT,
    closed_at    TEXT,
    installed_at TEXT,
    -- 0 when opened, one more at every change: a write is refused if it changed meanwhile.
    version      INTEGER NOT NULL CHECK (version >= 0)
) STRICT;

-- A ticket is inserted as the next number, open, at version 0. This also stops INSERT OR
-- REPLACE, whose implicit delete would not fire the DELETE trigger.
CREATE TRIGGER tickets_insert_next BEFORE INSERT ON tickets
WHEN NEW.number IS NOT (SELECT coalesce(max(number), 0) + 1 FROM tickets)
  OR NEW.state IS NOT 'open'
  OR NEW.version IS NOT 0
BEGIN
    SELECT RAISE(ABORT, 'tickets are opened in number order, open, at version 0');
END;

CREATE TRIGGER tickets_no_delete BEFORE DELETE ON tickets
BEGIN
    SELECT RAISE(ABORT, 'tickets are never deleted');
END;

-- Every change moves the version on by exactly one (compare-and-set) and keeps the number.
CREATE TRIGGER tickets_update_versioned BEFORE UPDATE ON tickets
WHEN NEW.version IS NOT OLD.version + 1
  OR NEW.number IS NOT OLD.number
BEGIN
    SELECT RAISE(ABORT, 'a ticket change must keep its number and raise its version by one');
END;

-- The state machine's moves: take or assign (open -> in_progress, in_progress ->
-- in_progress), resolve, close, reopen (resolved or closed -> open). A change that keeps the
-- state (a note, an install) is no move.
CREATE TRIGGER tickets_update_moves BEFORE UPDATE ON tickets
WHEN NEW.state IS NOT OLD.state
 AND OLD.state || '>' || NEW.state NOT IN (
        'open>in_progress',
        'in_progress>resolved',
        'resolved>closed',
        'resolved>open',
        'closed>open'
     )
BEGIN
    SELECT RAISE(ABORT, 'not a move of the ticket state machine');
END;

-- `tiket` (active), `tiket saya` (by assignee), `tiket USER` (by subscriber, any case), and
-- the automatic close of tickets resolved long enough.
CREATE INDEX tickets_state    ON tickets (state);
CREATE INDEX tickets_assignee ON tickets (assignee, state);
CREATE INDEX tickets_username ON tickets (username COLLATE NOCASE);
CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE state = 'resolved';

-- A ticket's history, oldest first: append-only.
CREATE TABLE ticket_events (
    -- 1, 2, 3... across all tickets, in the order the writer recorded them.
    id         INTEGER PRIMARY KEY CHECK (id >= 1),
    ticket     INTEGER NOT NULL REFERENCES tickets (number),
    -- UTC, ISO 8601 with milliseconds, like audit_log.at.
    at         TEXT    NOT NULL,
    -- Who (phone number); NULL for the bot itself (an automatic close).
    actor      TEXT,
    kind       TEXT    NOT NULL CHECK (kind IN ('opened', 'taken', 'assigned', 'note', 'resolved',
                                                'closed', 'reopened', 'installed')),
    -- The technician a ticket was assigned to, or the username an install created.
    value      TEXT,
    -- The note, the resolution or the reason for reopening.
    text       TEXT,
    -- The message that did it, if a message did.
    message_id TEXT    UNIQUE
) STRICT;

-- Append-only. An insert must take the next id and a new message id; this also stops
-- INSERT OR REPLACE, whose implicit delete would not fire the DELETE trigger.
CREATE TRIGGER ticket_events_insert_appends BEFORE INSERT ON ticket_events
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM ticket_events)
  OR EXISTS (SELECT 1 FROM ticket_events WHERE message_id = NEW.message_id)
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;

-- A ticket's history (`tiket TR001`).
CREATE INDEX ticket_events_ticket ON ticket_events (ticket, id);
