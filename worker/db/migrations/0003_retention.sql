-- Retention (worker/jobs/retention.ts): a final job's input and outputs are deleted from R2
-- once expires_at has passed (by the minute cron) or on DELETE /v1/jobs/:id; purged_at says
-- they are gone. The row itself stays: the job's status and deliveries remain readable.
ALTER TABLE jobs ADD COLUMN expires_at TEXT;
ALTER TABLE jobs ADD COLUMN purged_at TEXT;
UPDATE jobs SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', finished_at, '+7 days') WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_to_purge ON jobs (expires_at) WHERE purged_at IS NULL AND expires_at IS NOT NULL;
