-- The staff console's audit log (Django admin's LogEntry, for the actions
-- the console offers on user accounts): who did what to whom, and when.
-- Each row is written in the same transaction as the action it records.
--
-- No foreign keys to users: an audit log must outlive the accounts it
-- names, so the actor's and target's emails are copied into the row.
-- Expand only: a new table, so the release before this one runs on.

-- +goose Up
CREATE TABLE audit_log (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    actor_id     BIGINT       NOT NULL,
    actor_email  VARCHAR(254) NOT NULL,
    -- accounts.AuditAction: deactivate, reactivate, revoke_sessions, password_reset.
    action       VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    target_id    BIGINT       NOT NULL,
    target_email VARCHAR(254) NOT NULL,
    message      VARCHAR(500) NOT NULL DEFAULT '',
    created_at   DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    -- The console lists newest first by id (ids grow with time); listing
    -- by time range and purging old rows use created_at.
    KEY audit_log_created_at_idx (created_at),
    -- One user's history, newest first.
    KEY audit_log_target_id_idx (target_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE audit_log;
