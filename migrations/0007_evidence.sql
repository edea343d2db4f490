-- Field evidence (`foto TR001|USER [keterangan]`, `lokasi TR001|USER`): photos, documents and
-- locations a technician sends about a ticket or a subscriber.
--
-- A file's bytes are not in the database: the bot writes them first to the media directory
-- (`paths.media`) as `<sha256>.<ext>`, then the row below, so a row never names a file that is
-- not there, and `sha256sum` checks every file against its row. Evidence is working state
-- beside the audit log, not part of the hash chain: the message that brought it is recorded in
-- audit_log like any other (its reason names the file's hash). The triggers keep the table
-- append-only in the database itself (defence in depth). docs/auditor.md documents it for
-- auditors.

CREATE TABLE evidence (
    -- 1, 2, 3...: in the order the writer recorded them.
    id         INTEGER PRIMARY KEY CHECK (id >= 1),
    -- UTC, ISO 8601 with milliseconds, like audit_log.at.
    at         TEXT    NOT NULL,
    -- Who sent it (normalized phone number).
    actor      TEXT    NOT NULL,
    -- What it is about: a ticket (its number) or a subscriber (PPPoE username, any case).
    ticket     INTEGER REFERENCES tickets (number),
    username   TEXT    COLLATE NOCASE,
    kind       TEXT    NOT NULL CHECK (kind IN ('photo', 'document', 'location')),
    -- The file (photo, document): SHA-256 of its bytes in lower-case hex (also its name in the
    -- media directory), its size in bytes and its MIME type as WhatsApp gave it.
    sha256     TEXT    CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size       INTEGER CHECK (size >= 0),
    mime       TEXT,
    -- The point (location), in 1e-7 degrees.
    lat_e7     INTEGER CHECK (lat_e7 BETWEEN -900000000 AND 900000000),
    lon_e7     INTEGER CHECK (lon_e7 BETWEEN -1800000000 AND 1800000000),
    -- The technician's words.
    caption    TEXT,
    -- The WhatsApp message that brought it: one piece of evidence per message.
    message_id TEXT    NOT NULL UNIQUE,
    -- About exactly one thing.
    CHECK ((ticket IS NULL) <> (username IS NULL)),
    -- A location has its point and no file; a photo or a document has its file and no point.
    CHECK (
        (kind = 'location'
            AND lat_e7 IS NOT NULL AND lon_e7 IS NOT NULL
            AND sha256 IS NULL AND size IS NULL AND mime IS NULL)
     OR (kind IN ('photo', 'document')
            AND sha256 IS NOT NULL AND size IS NOT NULL AND mime IS NOT NULL
            AND lat_e7 IS NULL AND lon_e7 IS NULL)
    )
) STRICT;

-- Append-only. An insert must take the next id and a new message id; this also stops
-- INSERT OR REPLACE, whose implicit delete would not fire the DELETE trigger.
CREATE TRIGGER evidence_insert_appends BEFORE INSERT ON evidence
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM evidence)
  OR EXISTS (SELECT 1 FROM evidence WHERE message_id = NEW.message_id)
BEGIN
    SELECT RAISE(ABORT, 'evidence is append-only');
END;

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN
    SELECT RAISE(ABORT, 'evidence is append-only');
END;

CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN
    SELECT RAISE(ABORT, 'evidence is append-only');
END;

-- The evidence of a ticket (`tiket TR001`) and of a subscriber (any case), oldest first (the
-- id, the rowid, is in every index).
CREATE INDEX evidence_ticket   ON evidence (ticket, at);
CREATE INDEX evidence_username ON evidence (username COLLATE NOCASE, at);
