-- did not page_view in last 30 days
SELECT p.id FROM profiles AS p
WHERE NOT EXISTS(SELECT 1 FROM events AS e1
WHERE e1.profile_id = p.id AND (e1.type = $p0 AND e1.ts <= $as_of AND e1.ts > $p1))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-01-30 00:00:00"}
