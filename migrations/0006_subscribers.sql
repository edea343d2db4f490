-- What the bot knows of a subscriber beyond the router: the customer's WhatsApp number
-- (`addpppoe ... wa=0812...`), kept here rather than in the router's comment. One row per
-- username (any case), replaced when a later add names another number.
CREATE TABLE subscribers (
    username       TEXT PRIMARY KEY COLLATE NOCASE,
    -- The normalized phone number (digits, country code first).
    customer_phone TEXT,
    -- UTC, ISO 8601 with milliseconds, like audit_log.at.
    updated_at     TEXT NOT NULL
) STRICT;
