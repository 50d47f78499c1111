-- did page_view between 7 and 14 days ago
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of AND e1.ts > $p1 AND e1.ts <= $p2)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-02-15 00:00:00", "p2": "2026-02-22 00:00:00"}
