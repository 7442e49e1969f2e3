-- The client's deadline (Cancel-After or deadline_s): a job not finished by then is canceled.
-- Not deadline_at, which is the edge's own limit on one run (worker/jobs/state.ts).
ALTER TABLE jobs ADD COLUMN cancel_after_at TEXT;
CREATE INDEX jobs_cancel_after ON jobs (cancel_after_at) WHERE cancel_after_at IS NOT NULL;
