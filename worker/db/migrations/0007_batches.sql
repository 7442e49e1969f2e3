-- Batches (worker/batches/): up to 100 images submitted together with shared options. Each
-- item is an ordinary job that names its batch and its index in it; the batch row holds what
-- belongs to the whole: its Idempotency-Key, its webhook, and when batch.completed was sent.
CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  api_key_id TEXT NOT NULL REFERENCES api_keys(id),
  size INTEGER NOT NULL,
  webhook_url TEXT,
  webhook_events TEXT NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  -- set once, by the one statement that saw every item ended: it alone enqueues batch.completed
  completed_at TEXT
);
CREATE UNIQUE INDEX batches_idempotency ON batches (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX batches_open ON batches (created_at) WHERE completed_at IS NULL;

ALTER TABLE jobs ADD COLUMN batch_id TEXT REFERENCES batches(id);
ALTER TABLE jobs ADD COLUMN batch_index INTEGER;
-- One job per item: a retried or concurrent acceptance of the same batch cannot add a second.
CREATE UNIQUE INDEX jobs_by_batch ON jobs (batch_id, batch_index) WHERE batch_id IS NOT NULL;

-- batch.completed delivery attempts (webhook_deliveries holds a job's).
CREATE TABLE batch_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  batch_id TEXT NOT NULL REFERENCES batches(id),
  webhook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  url TEXT NOT NULL,
  outcome TEXT NOT NULL,
  status_code INTEGER,
  error TEXT,
  duration_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX batch_deliveries_by_batch ON batch_deliveries (batch_id, id);
