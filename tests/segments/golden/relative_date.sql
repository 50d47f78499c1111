-- created_at within last 30 days
SELECT p.id FROM profiles AS p
WHERE p.created_at > $p0 AND p.created_at <= $as_of
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-01-30 00:00:00"}
