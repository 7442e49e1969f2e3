-- API keys: only the SHA-256 of a key is stored; the webhook secret signs that key's webhooks.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  webhook_secret TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);

-- Jobs: queued -> running -> succeeded | failed | canceled (see worker/jobs/state.ts).
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  api_key_id TEXT NOT NULL REFERENCES api_keys(id),
  status TEXT NOT NULL,
  mode TEXT NOT NULL,
  outputs TEXT NOT NULL,
  webhook_url TEXT,
  webhook_events TEXT NOT NULL,
  input_key TEXT NOT NULL,
  input_bytes INTEGER NOT NULL,
  input_type TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  idempotency_key TEXT,
  request_hash TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  dispatched_at TEXT,
  error_code TEXT,
  error_message TEXT,
  result TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  deadline_at TEXT,
  -- the Worker's public origin when the job was accepted: signed URLs point there
  origin TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (api_key_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_by_key ON jobs (api_key_id, created_at DESC, id DESC);
CREATE INDEX jobs_by_status ON jobs (status, updated_at);

-- Every webhook delivery attempt, visible at GET /v1/jobs/:id/deliveries.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL REFERENCES jobs(id),
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
CREATE INDEX deliveries_by_job ON webhook_deliveries (job_id, id);

-- Callback ids seen recently: a replayed callback is refused.
CREATE TABLE callback_nonces (
  id TEXT PRIMARY KEY,
  received_at TEXT NOT NULL
);

-- Fixed-window request counters per API key (rate limiting).
CREATE TABLE rate_limits (
  api_key_id TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (api_key_id, window_start)
);
