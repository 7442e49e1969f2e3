-- A webhook being sent right now (webhooks/deliveries.ts claimWebhook): two copies of one
-- webhook-id handled by two consumer invocations at once must not both reach the receiver.
-- A row lives only while its send is in flight; a claim past `claimed_until` is stale (its
-- consumer died) and may be taken over.
CREATE TABLE webhook_claims (
  webhook_id TEXT PRIMARY KEY,
  claimed_until TEXT NOT NULL
);
