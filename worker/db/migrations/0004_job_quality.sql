-- quality "high": test-time augmentation on the GPU tier (rows from before it ran standard).
ALTER TABLE jobs ADD COLUMN quality TEXT NOT NULL DEFAULT 'standard';
