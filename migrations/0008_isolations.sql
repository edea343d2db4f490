-- Isolated subscribers (`isolir USER [alasan]`, lifted by `buka USER`): one row per isolation,
-- the snapshot that lets `buka` put back exactly what `isolir` changed on the router.
--
-- The row is written before the first change on the router, so even an isolation cut short by
-- a crash can be undone; it is ended (ended_at) when the isolation is lifted or undone, and
-- stays: ended rows are the history auditors read. A subscriber (any case) has at most one
-- current isolation. Isolations are working state beside the audit log, not part of the hash
-- chain: the commands are recorded in audit_log like any other. The triggers refuse, in the
-- database itself, what the bot never does (defence in depth).

CREATE TABLE isolations (
    -- 1, 2, 3...: in the order the writer recorded them.
    id              INTEGER PRIMARY KEY CHECK (id >= 1),
    -- The PPPoE username as the router has it, and the router the secret is on.
    username        TEXT    NOT NULL COLLATE NOCASE,
    router          TEXT    NOT NULL,
    -- UTC, ISO 8601 with milliseconds, like audit_log.at: when it was isolated.
    since           TEXT    NOT NULL,
    -- Who isolated it (the sender's name, or their number), and why.
    by_name         TEXT    NOT NULL,
    reason          TEXT,
    -- How: the secret switched to the isolation profile, or disabled.
    method          TEXT    NOT NULL CHECK (method IN ('profile', 'disable')),
    -- The secret's profile, disabled flag and comment before isolation (what `buka` puts
    -- back), and as isolation set them. Comments are kept exactly as the router had them.
    before_profile  TEXT    NOT NULL,
    before_disabled INTEGER NOT NULL CHECK (before_disabled IN (0, 1)),
    before_comment  TEXT,
    after_profile   TEXT    NOT NULL,
    after_disabled  INTEGER NOT NULL CHECK (after_disabled IN (0, 1)),
    after_comment   TEXT,
    -- The firewall address list entry added for a static IP: the list and the IPv4 address.
    list_name       TEXT,
    list_address    TEXT,
    -- UTC, ISO 8601 with milliseconds: when it was lifted (`buka`) or undone (`isolir`
    -- failed); NULL while the subscriber is isolated.
    ended_at        TEXT,
    -- An address list entry has both its list and its address.
    CHECK ((list_name IS NULL) = (list_address IS NULL))
) STRICT;

-- One current isolation per subscriber (any case): two concurrent `isolir` of one subscriber
-- cannot both be recorded.
CREATE UNIQUE INDEX isolations_current_username ON isolations (username) WHERE ended_at IS NULL;

-- The current isolations, oldest first (`isolir` list).
CREATE INDEX isolations_current_since ON isolations (since, id) WHERE ended_at IS NULL;

-- An isolation is inserted as the next id, current, and only for a subscriber not isolated
-- already. This also stops INSERT OR REPLACE, whose implicit delete of the current isolation
-- would not fire the DELETE trigger.
CREATE TRIGGER isolations_insert_current BEFORE INSERT ON isolations
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM isolations)
  OR NEW.ended_at IS NOT NULL
  OR EXISTS (SELECT 1 FROM isolations WHERE username = NEW.username AND ended_at IS NULL)
BEGIN
    SELECT RAISE(ABORT, 'isolations are recorded in id order, current, one per subscriber');
END;

-- The only change: a current isolation is ended, once; nothing else of it changes.
CREATE TRIGGER isolations_update_ends BEFORE UPDATE ON isolations
WHEN OLD.ended_at IS NOT NULL
  OR NEW.ended_at IS NULL
  OR NEW.id IS NOT OLD.id
  OR NEW.username COLLATE BINARY IS NOT OLD.username
  OR NEW.router IS NOT OLD.router
  OR NEW.since IS NOT OLD.since
  OR NEW.by_name IS NOT OLD.by_name
  OR NEW.reason IS NOT OLD.reason
  OR NEW.method IS NOT OLD.method
  OR NEW.before_profile IS NOT OLD.before_profile
  OR NEW.before_disabled IS NOT OLD.before_disabled
  OR NEW.before_comment IS NOT OLD.before_comment
  OR NEW.after_profile IS NOT OLD.after_profile
  OR NEW.after_disabled IS NOT OLD.after_disabled
  OR NEW.after_comment IS NOT OLD.after_comment
  OR NEW.list_name IS NOT OLD.list_name
  OR NEW.list_address IS NOT OLD.list_address
BEGIN
    SELECT RAISE(ABORT, 'an isolation is only ever ended, once');
END;

CREATE TRIGGER isolations_no_delete BEFORE DELETE ON isolations
BEGIN
    SELECT RAISE(ABORT, 'isolations are never deleted');
END;
