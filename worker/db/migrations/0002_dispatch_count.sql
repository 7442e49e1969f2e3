-- How many times a job's message was sent to the queue: the cron sweep stops re-sending a
-- queued job after MAX_DISPATCHES (worker/jobs/state.ts) and fails it instead.
ALTER TABLE jobs ADD COLUMN dispatches INTEGER NOT NULL DEFAULT 0;
