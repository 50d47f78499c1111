-- last_seen more than 30 days ago
SELECT p.id FROM profiles AS p
WHERE COALESCE(p.last_seen <= $p0, FALSE)
-- params: {"p0": "2026-01-30 00:00:00"}
