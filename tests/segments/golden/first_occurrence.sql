-- first purchase more than 90 days ago
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of GROUP BY e1.profile_id HAVING MIN(e1.ts) <= $p1)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2025-12-01 00:00:00"}
