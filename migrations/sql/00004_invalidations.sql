-- The durable copy of the invalidation channel: every announcement that a
-- session was revoked or a user changed is also written here, and every
-- instance reads the recent rows a few times a second. An announcement
-- that Redis refused, lost or could not deliver therefore still reaches
-- every instance's local session cache within a second (see
-- adapters/mysql/invalidations.go). Rows are deleted after a minute.
--
-- Expand only: a new table, which the previous release ignores.

-- +goose Up
CREATE TABLE invalidations (
    id           BIGINT      NOT NULL AUTO_INCREMENT,
    -- The database's clock (NOW(6)), the one the readers compare it with.
    created_at   DATETIME(6) NOT NULL,
    -- One of the two is set: a revoked session's token hash, or the ID of
    -- a user whose record changed (password, profile, deactivation).
    session_hash CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NULL,
    user_id      BIGINT      NULL,
    PRIMARY KEY (id),
    KEY invalidations_created_at_idx (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE invalidations;
