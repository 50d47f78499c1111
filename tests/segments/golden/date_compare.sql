-- created_at before "2026-01-01" or last_seen after "2026-02-01"
SELECT p.id FROM profiles AS p
WHERE p.created_at < $p0 OR p.last_seen >= $p1
-- params: {"p0": "2026-01-01 00:00:00", "p1": "2026-02-01 00:00:00"}
