-- Projects, their members, tasks, comments, and the remembered responses of
-- creating POSTs (Idempotency-Key).
--
-- Dialect notes (MySQL 8.0 in production, MariaDB 10.11 in CI): every table
-- names ENGINE, CHARSET and COLLATE, plain CREATE INDEX only (no IF NOT
-- EXISTS), `role` is quoted although only MySQL 8 lists it as a keyword.
--
-- Indexes follow the queries in adapters/mysql/{projects,members,tasks,
-- comments,idempotency}.go: every list is a keyset scan of one index in its
-- sort order, so no list sorts rows (no filesort) however large a project gets.

-- +goose Up
CREATE TABLE projects (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    name        VARCHAR(200) NOT NULL,
    description TEXT         NOT NULL,
    owner_id    BIGINT       NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL,
    -- Increments on every change (also of the member list): ETags, If-Match
    -- and the cache's stale-write guard compare it.
    version     BIGINT       NOT NULL,
    PRIMARY KEY (id),
    KEY projects_owner_id_idx (owner_id),
    CONSTRAINT projects_owner_id_fk FOREIGN KEY (owner_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE project_members (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    project_id BIGINT      NOT NULL,
    user_id    BIGINT      NOT NULL,
    `role`     VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    joined_at  DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    -- One membership per user and project; also the member list's order.
    UNIQUE KEY project_members_project_user_uq (project_id, user_id),
    -- "My projects, newest first": a backward scan from the user's newest project.
    KEY project_members_user_project_idx (user_id, project_id),
    CONSTRAINT project_members_project_id_fk FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT project_members_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE tasks (
    id           BIGINT       NOT NULL AUTO_INCREMENT,
    project_id   BIGINT       NOT NULL,
    title        VARCHAR(200) NOT NULL,
    description  TEXT         NOT NULL,
    status       VARCHAR(16)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    -- Urgency rank (0 low, 1 normal, 2 high, 3 urgent), so "-priority" is a
    -- numeric index order. An ENUM would sort by its index too, but compares
    -- with string literals as strings, a trap in keyset conditions.
    priority     TINYINT      NOT NULL,
    assignee_id  BIGINT       NULL,
    due_date     DATE         NULL,
    -- due_date, or 9999-12-31 when there is none: the "due_date" order puts
    -- undated tasks last with a plain index scan. A generated column would
    -- say the same but the embedded development engine lacks them.
    due_order    DATE         NOT NULL,
    created_by   BIGINT       NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL,
    completed_at DATETIME(6)  NULL,
    version      BIGINT       NOT NULL,
    PRIMARY KEY (id),
    -- One index per order, each ending in id (InnoDB would append it anyway,
    -- naming it documents the keyset tie-break).
    KEY tasks_project_created_idx (project_id, created_at, id),
    KEY tasks_project_due_idx (project_id, due_order, id),
    KEY tasks_project_priority_idx (project_id, priority, id),
    -- The most common filter (a board column) with the default order.
    KEY tasks_project_status_created_idx (project_id, status, created_at, id),
    KEY tasks_assignee_id_idx (assignee_id),
    KEY tasks_created_by_idx (created_by),
    CONSTRAINT tasks_project_id_fk FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    CONSTRAINT tasks_assignee_id_fk FOREIGN KEY (assignee_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT tasks_created_by_fk FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE comments (
    id         BIGINT      NOT NULL AUTO_INCREMENT,
    task_id    BIGINT      NOT NULL,
    author_id  BIGINT      NOT NULL,
    body       TEXT        NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    KEY comments_task_id_idx (task_id, id),
    KEY comments_author_id_idx (author_id),
    CONSTRAINT comments_task_id_fk FOREIGN KEY (task_id) REFERENCES tasks (id) ON DELETE CASCADE,
    CONSTRAINT comments_author_id_fk FOREIGN KEY (author_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE idempotency_keys (
    id          BIGINT       NOT NULL AUTO_INCREMENT,
    user_id     BIGINT       NOT NULL,
    -- The client's Idempotency-Key: printable ASCII, compared byte for byte.
    idem_key    VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fingerprint CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    response    MEDIUMBLOB   NOT NULL,
    created_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (id),
    -- The INSERT of a concurrent twin waits on this key until the first
    -- transaction ends, then fails as a duplicate: exactly one creates.
    UNIQUE KEY idempotency_keys_user_key_uq (user_id, idem_key),
    KEY idempotency_keys_created_at_idx (created_at),
    CONSTRAINT idempotency_keys_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE comments;
DROP TABLE tasks;
DROP TABLE project_members;
DROP TABLE projects;
