-- Where a running job is, as the GPU tier last reported it (protocol/jobs.ts `JobProgress`):
-- its stage and the share of the whole job done. Both only move forward (repo.ts recordProgress).
ALTER TABLE jobs ADD COLUMN progress_stage TEXT;
ALTER TABLE jobs ADD COLUMN progress_fraction REAL;
