-- Message ids claimed before a command changes the router (at-most-once across a crash).
--
-- The engine claims a message id, durably, before it runs a change, and appends the audit
-- row afterwards. A message redelivered after a crash between the two finds its claim but no
-- audit row: it is not run again, and the sender is told to check the result. Claims are not
-- part of the hash chain; the audit_log row remains the record of what happened.
CREATE TABLE message_claims (
    message_id TEXT PRIMARY KEY,
    -- UTC, ISO 8601 with milliseconds, like audit_log.at.
    claimed_at TEXT NOT NULL
) STRICT;
