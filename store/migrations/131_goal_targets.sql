-- An optional target completion rate per goal (a share, 0 < target <= 1): the Goals screen
-- shows each goal's progress against it.
ALTER TABLE goals ADD COLUMN target_rate DOUBLE;
