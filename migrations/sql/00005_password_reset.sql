-- Password resets (Django's PasswordResetView, done with stored, single-use
-- tokens) and the email outbox their emails leave from.
--
-- Expand only: two new tables, so the release before this one runs on.

-- +goose Up
CREATE TABLE password_resets (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    -- Hex SHA-256 of the token in the emailed link; the token is never stored.
    token_hash CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id    BIGINT      NOT NULL,
    -- accounts.ResetState of the user when issued: a password change, a
    -- later login or an email change voids the token.
    state      CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at    DATETIME(6) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY password_resets_token_hash_uq (token_hash),
    KEY password_resets_expires_at_idx (expires_at),
    CONSTRAINT password_resets_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE email_outbox (
    id              BIGINT       NOT NULL AUTO_INCREMENT,
    to_addr         VARCHAR(254) NOT NULL,
    subject         VARCHAR(255) NOT NULL,
    body            LONGTEXT     NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    -- When the message is due; NULL once sent or abandoned, so the
    -- sender's poll reads only the index entries of pending mail.
    next_attempt_at DATETIME(6)  NULL,
    last_error      VARCHAR(500) NOT NULL DEFAULT '',
    sent_at         DATETIME(6)  NULL,
    abandoned_at    DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY email_outbox_next_attempt_at_idx (next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE email_outbox;
DROP TABLE password_resets;
