-- Writes of projects and tasks travel the invalidation channel too, so that
-- every instance can keep its own copy of the objects it reads and serve
-- them without a round trip (adapters/localcache.Objects): a row names a
-- project or a task and the version the write produced (the largest
-- BIGINT for a deletion); copies older than it are dropped.
--
-- Expand only: nullable columns, which the release before this one neither
-- writes nor reads (it skips rows without a session or a user). Instant
-- ADD COLUMN on MySQL 8 and MariaDB.

-- +goose Up
ALTER TABLE invalidations
    ADD COLUMN project_id BIGINT NULL,
    ADD COLUMN task_id    BIGINT NULL,
    ADD COLUMN version    BIGINT NULL;

-- +goose Down
ALTER TABLE invalidations
    DROP COLUMN version,
    DROP COLUMN task_id,
    DROP COLUMN project_id;
