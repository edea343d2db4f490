-- Outcome 'unknown', and claims that say what was being attempted.
--
-- 1. A change whose reply was lost and whose re-read failed too, or that was interrupted by a
--    stop, is recorded with outcome 'unknown' (see docs/auditor.md). SQLite cannot change a
--    CHECK constraint in place, so audit_log is rebuilt the way SQLite documents for schema
--    changes: a new table, every row copied unchanged (so every hash stays valid), the old
--    table dropped (DROP TABLE fires no trigger), the new one renamed, then the triggers,
--    indexes and view made again exactly as in 0001.
-- 2. A claim now stores the attempt it was made for (actor, role, command, target, router,
--    redacted arguments, reason), so that an attempt interrupted between the router call and
--    its audit row can be recorded at the next start with who did what. Claims made before
--    this migration have NULL there.

CREATE TABLE audit_log_v3 (
    seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
    at          TEXT    NOT NULL CHECK (
                    length(at) = 24 AND
                    at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
                ),
    actor_phone TEXT    NOT NULL,
    actor_lid   TEXT,
    role        TEXT    CHECK (role IN ('admin', 'technician')),
    command     TEXT    NOT NULL,
    target      TEXT,
    router      TEXT,
    arguments   TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'invalid', 'failed', 'skipped', 'unknown')),
    error       TEXT,
    reason      TEXT,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    message_id  TEXT    NOT NULL UNIQUE,
    prev_hash   TEXT    NOT NULL CHECK (length(prev_hash) = 64),
    hash        TEXT    NOT NULL CHECK (length(hash) = 64)
) STRICT;

INSERT INTO audit_log_v3 (seq, at, actor_phone, actor_lid, role, command, target, router,
                          arguments, outcome, error, reason, duration_ms, message_id,
                          prev_hash, hash)
SELECT seq, at, actor_phone, actor_lid, role, command, target, router,
       arguments, outcome, error, reason, duration_ms, message_id, prev_hash, hash
FROM audit_log ORDER BY seq;

DROP VIEW audit_view;
DROP TABLE audit_log;
ALTER TABLE audit_log_v3 RENAME TO audit_log;

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

CREATE INDEX audit_log_actor   ON audit_log (actor_phone);
CREATE INDEX audit_log_target  ON audit_log (target);
CREATE INDEX audit_log_command ON audit_log (command);
CREATE INDEX audit_log_outcome ON audit_log (outcome);
CREATE INDEX audit_log_at      ON audit_log (at);
CREATE INDEX audit_log_created ON audit_log (target, seq)
    WHERE command = 'addpppoe' AND outcome = 'ok';

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

ALTER TABLE message_claims ADD COLUMN actor_phone TEXT;
ALTER TABLE message_claims ADD COLUMN actor_lid   TEXT;
ALTER TABLE message_claims ADD COLUMN role        TEXT;
ALTER TABLE message_claims ADD COLUMN command     TEXT;
ALTER TABLE message_claims ADD COLUMN target      TEXT;
ALTER TABLE message_claims ADD COLUMN router      TEXT;
ALTER TABLE message_claims ADD COLUMN arguments   TEXT;
ALTER TABLE message_claims ADD COLUMN reason      TEXT;
