-- What a user sees of their sessions (GET /api/v1/me/sessions): a summary
-- of the browser, the client's network (/24 or /48, never the address) and
-- when the session was last used, to the minute (recorded in batches, not
-- per request).
--
-- Expand only: defaulted and nullable columns, so the release before this
-- one keeps inserting sessions. Instant ADD COLUMN on MySQL 8 and MariaDB.

-- +goose Up
ALTER TABLE sessions
    ADD COLUMN user_agent   VARCHAR(200) NOT NULL DEFAULT '',
    ADD COLUMN client_addr  VARCHAR(64)  NOT NULL DEFAULT '',
    ADD COLUMN last_used_at DATETIME(6)  NULL;

-- +goose Down
ALTER TABLE sessions
    DROP COLUMN last_used_at,
    DROP COLUMN client_addr,
    DROP COLUMN user_agent;
