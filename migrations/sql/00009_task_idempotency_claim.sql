-- A keyed task POST costs two autocommit statements instead of a
-- transaction of four: it first claims its Idempotency-Key (a row of
-- idempotency_keys with an empty response), then creates the task carrying
-- the claim's ID in idempotency_id, in the INSERT … SELECT that checks the
-- membership. The unique key lets at most one task exist per claim, so a
-- request that takes over a stale claim and a late INSERT of the request
-- it replaced cannot both create; a retry finds the task by joining the
-- claim with it (app/projects.Service.CreateTask).
--
-- No foreign key: a record is purged after ONIT_IDEMPOTENCY_TTL and the
-- task keeps the claim's ID, which AUTO_INCREMENT never hands out again.
--
-- Expand only: a nullable column the release before this one neither
-- writes nor reads (instant ADD COLUMN on MySQL 8 and MariaDB; the unique
-- key is built online). That release cannot replay a keyed task POST
-- whose claim this one wrote during a rolling deploy (it finds an empty
-- response), which answers 500 for that retry until it is replaced.

-- +goose Up
ALTER TABLE tasks
    ADD COLUMN idempotency_id BIGINT NULL,
    ADD UNIQUE KEY tasks_idempotency_id_uq (idempotency_id);

-- +goose Down
-- Claims without a task mean nothing to the release before this one:
-- their keys become usable again. Claims with a task stay, so that a retry
-- is refused (that release cannot read them) rather than creating twice.
DELETE FROM idempotency_keys
WHERE response = ''
  AND id NOT IN (SELECT idempotency_id FROM tasks WHERE idempotency_id IS NOT NULL);
ALTER TABLE tasks
    DROP KEY tasks_idempotency_id_uq,
    DROP COLUMN idempotency_id;
