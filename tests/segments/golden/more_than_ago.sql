-- last_seen more than 30 days ago
SELECT p.id FROM profiles AS p
WHERE p.last_seen <= $p0
-- params: {"p0": "2026-01-30 00:00:00"}
