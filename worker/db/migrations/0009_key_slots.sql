-- Per-key concurrency slots (auth/concurrency.ts): one row per open event stream or held
-- `Prefer: wait` request. A row is deleted when its request ends; one whose isolate died
-- before that expires at `expires_at` (ms since the epoch) and no longer counts.
CREATE TABLE key_slots (
  id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX key_slots_bucket ON key_slots (bucket, expires_at);
