-- The cutover from the Django backend (onit import django): each imported
-- user keeps its Django primary key, so re-running the import updates
-- instead of duplicating; imported sessions carry the run that last found
-- them valid in Django; a table keeps each run's progress so an
-- interrupted run resumes.
--
-- Expand only (nullable columns, a new table and indexes), so the release
-- before this one keeps running during a blue/green deploy: its INSERTs
-- leave the new columns NULL and its UPDATEs do not name them. On MySQL 8
-- the ADD COLUMNs are instant and the indexes are built online.

-- +goose Up
ALTER TABLE users
    ADD COLUMN django_id BIGINT NULL,
    -- SHA-256 (hex) of the fields as last imported (cutover.Fingerprint):
    -- a re-run compares it with the row to tell a change made in Onit
    -- since (which it keeps) from one made in Django (which it copies).
    ADD COLUMN django_fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;
CREATE UNIQUE INDEX users_django_id_uq ON users (django_id);

ALTER TABLE sessions
    ADD COLUMN django_import_run BIGINT NULL;
CREATE INDEX sessions_django_import_run_idx ON sessions (django_import_run);

CREATE TABLE django_imports (
    id                BIGINT       NOT NULL AUTO_INCREMENT,
    -- Server, database and tables of the Django source (never credentials).
    source            VARCHAR(255) NOT NULL,
    phase             VARCHAR(16)  NOT NULL,
    after_user_id     BIGINT       NOT NULL DEFAULT 0,
    -- Django session keys are 32–40 characters of [a-z0-9].
    after_session_key VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    -- Counts, collisions and the verification sample so far (JSON text;
    -- LONGTEXT rather than JSON, which MariaDB only aliases).
    state             LONGTEXT     NOT NULL,
    started_at        DATETIME(6)  NOT NULL,
    updated_at        DATETIME(6)  NOT NULL,
    finished_at       DATETIME(6)  NULL,
    PRIMARY KEY (id),
    KEY django_imports_source_idx (source, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE django_imports;
DROP INDEX sessions_django_import_run_idx ON sessions;
ALTER TABLE sessions DROP COLUMN django_import_run;
DROP INDEX users_django_id_uq ON users;
ALTER TABLE users DROP COLUMN django_fingerprint, DROP COLUMN django_id;
