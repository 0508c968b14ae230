-- Accounts: users and their login sessions (Django's auth_user and
-- django_session, reshaped: sessions store only a hash of the token).
--
-- Every table names ENGINE, CHARSET and COLLATE: MySQL 8's default collation
-- (utf8mb4_0900_ai_ci) does not exist on MariaDB, and a dump taken on one
-- server must load on the other.

-- +goose Up
CREATE TABLE users (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    email        VARCHAR(254) NOT NULL,
    -- Trimmed, lowercased email (accounts.EmailKey): the unique login name.
    -- utf8mb4_bin because the application already folded the case: under
    -- utf8mb4_unicode_ci the unique key would also equate accents and
    -- expansions (jose@ = josé@, ss = ß) and refuse distinct addresses.
    email_key    VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    name         VARCHAR(150) NOT NULL DEFAULT '',
    password     VARCHAR(256) NOT NULL,
    language     VARCHAR(10)  NOT NULL DEFAULT 'en',
    is_active    BOOL         NOT NULL DEFAULT TRUE,
    is_staff     BOOL         NOT NULL DEFAULT FALSE,
    is_superuser BOOL         NOT NULL DEFAULT FALSE,
    date_joined  DATETIME(6)  NOT NULL,
    last_login   DATETIME(6)  NULL,
    PRIMARY KEY (id),
    UNIQUE KEY users_email_key_uq (email_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE sessions (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    -- Hex SHA-256 of the session token; ascii_bin because it is compared
    -- byte for byte and a quarter the size of utf8mb4 in the index.
    token_hash CHAR(64)    CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    user_id    BIGINT      NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY sessions_token_hash_uq (token_hash),
    KEY sessions_user_id_idx (user_id),
    -- The purge job deletes by expiry.
    KEY sessions_expires_at_idx (expires_at),
    CONSTRAINT sessions_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE sessions;
DROP TABLE users;
