-- pppoe-bot audit log: one row per attempt, append-only, SHA-256 hash-chained.
--
-- The schema, the view and the hash encoding are documented for auditors in docs/auditor.md.
-- Never edit this file once released: sqlx records its checksum; add a new migration instead.

-- STRICT: every column holds exactly its declared type (SQLite 3.37 or newer reads it).
CREATE TABLE audit_log (
    -- 1, 2, 3... in append order, without gaps; assigned by the writer, checked by a trigger.
    seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
    -- When the bot handled the message: UTC, ISO 8601 with milliseconds, e.g. 2024-12-15T09:30:25.123Z.
    at          TEXT    NOT NULL CHECK (
                    length(at) = 24 AND
                    at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
                ),
    -- The sender's normalized phone number (or what the messenger gave when it is none).
    actor_phone TEXT    NOT NULL,
    -- The sender's WhatsApp LID, when known.
    actor_lid   TEXT,
    -- The sender's role, when allowlisted.
    role        TEXT    CHECK (role IN ('admin', 'technician')),
    -- The command word (addpppoe, delpppoe, ...), or '-' when the message was no command.
    command     TEXT    NOT NULL,
    -- The PPPoE username concerned.
    target      TEXT,
    -- The router concerned.
    router      TEXT,
    -- The arguments as sent, passwords replaced by *** by the engine.
    arguments   TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'invalid', 'failed', 'skipped')),
    -- Why it was not ok.
    error       TEXT,
    -- A delete's reason.
    reason      TEXT,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    -- The messenger's message id: a message is handled at most once, across restarts.
    message_id  TEXT    NOT NULL UNIQUE,
    -- The previous row's hash (64 zeros for seq 1), lowercase hex.
    prev_hash   TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    -- SHA-256 over the canonical encoding of this row (see docs/auditor.md), lowercase hex.
    hash        TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Append-only. An insert must take the next seq and a new message id; this also stops
-- INSERT OR REPLACE, whose implicit delete would not fire the DELETE trigger.
CREATE TRIGGER audit_log_insert_appends BEFORE INSERT ON audit_log
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log)
  OR EXISTS (SELECT 1 FROM audit_log WHERE message_id = NEW.message_id)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Filters of `pppoe-bot audit list` (newest first: SQLite appends seq to every index).
CREATE INDEX audit_log_actor   ON audit_log (actor_phone);
CREATE INDEX audit_log_target  ON audit_log (target);
CREATE INDEX audit_log_command ON audit_log (command);
CREATE INDEX audit_log_outcome ON audit_log (outcome);
CREATE INDEX audit_log_at      ON audit_log (at);
-- When the bot created a username: the newest successful addpppoe per target.
CREATE INDEX audit_log_created ON audit_log (target, seq)
    WHERE command = 'addpppoe' AND outcome = 'ok';

-- For people: plain column names, oldest first (add ORDER BY no DESC for newest first).
CREATE VIEW audit_view AS
SELECT
    seq          AS "no",
    at           AS "time",
    actor_phone  AS "actor",
    actor_lid    AS "actor_lid",
    role         AS "role",
    command      AS "command",
    target       AS "user",
    router       AS "router",
    arguments    AS "arguments",
    outcome      AS "outcome",
    error        AS "error",
    reason       AS "reason",
    duration_ms  AS "duration_ms",
    message_id   AS "message_id"
FROM audit_log
ORDER BY seq;
