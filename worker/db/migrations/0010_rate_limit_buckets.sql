-- Rate limits become token buckets (auth/rate-limit.ts, issue #29): a fixed window per minute
-- let a burst at a window's end plus one at the next window's start double the rate. A bucket
-- is one timestamp per scope and key (GCRA's theoretical arrival time, in ms); the per-minute
-- counters are no longer read.
CREATE TABLE rate_limit_buckets (
  bucket TEXT PRIMARY KEY,
  tat_ms INTEGER NOT NULL
);
DROP TABLE rate_limits;
