-- Forward-secure sealing (docs/auditor.md, "Sealing"): every row written under sealing keys
-- carries the epoch of its key and a MAC; each elapsed epoch is closed by a seal.
--
-- Rows written before `pppoe-bot audit setup-keys` keep NULL in both columns: they are
-- protected by the chain only. ADD COLUMN is DDL: the append-only triggers are not involved.
ALTER TABLE audit_log ADD COLUMN epoch INTEGER CHECK (epoch IS NULL OR epoch >= 0);
ALTER TABLE audit_log ADD COLUMN mac TEXT CHECK (mac IS NULL OR length(mac) = 64);

-- One seal per run of elapsed epochs: epochs first_epoch..=epoch (one, or a run without rows),
-- closed at row last_seq (0 when the log was empty) whose hash is head (64 zeros then), when
-- message_claims held `claims` rows (claims are never deleted: fewer later means deleted).
-- mac = HMAC-SHA256(K[epoch], "seal" || first_epoch || epoch || last_seq || claims || head).
CREATE TABLE audit_seals (
    epoch       INTEGER PRIMARY KEY CHECK (epoch >= 0),
    first_epoch INTEGER NOT NULL CHECK (first_epoch >= 0 AND first_epoch <= epoch),
    last_seq    INTEGER NOT NULL CHECK (last_seq >= 0),
    claims      INTEGER NOT NULL CHECK (claims >= 0),
    head        TEXT    NOT NULL CHECK (length(head) = 64),
    -- When the seal was written: UTC, ISO 8601 with milliseconds, like audit_log.at.
    sealed_at   TEXT    NOT NULL,
    mac         TEXT    NOT NULL CHECK (length(mac) = 64)
) STRICT;

-- Append-only, in epoch order, each seal starting where the previous one ended.
CREATE TRIGGER audit_seals_insert_appends BEFORE INSERT ON audit_seals
WHEN NEW.first_epoch IS NOT (SELECT coalesce(max(epoch) + 1, 0) FROM audit_seals)
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;

CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;

CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;

-- Claims are counted by the seals, so a deleted claim shows; the database refuses to delete or
-- change one in the first place (INSERT OR IGNORE, the only write, deletes nothing).
CREATE TRIGGER message_claims_no_update BEFORE UPDATE ON message_claims
BEGIN
    SELECT RAISE(ABORT, 'message_claims is append-only');
END;

CREATE TRIGGER message_claims_no_delete BEFORE DELETE ON message_claims
BEGIN
    SELECT RAISE(ABORT, 'message_claims is append-only');
END;
