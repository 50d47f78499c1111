-- did purchase where amount > 100 at least 2 times in last 14 days
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of AND e1.ts > $p1 AND TRY_CAST(e1.properties ->> '$.amount' AS DOUBLE) > $p2 GROUP BY e1.profile_id HAVING COUNT(*) >= $p3)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-02-15 00:00:00", "p2": 100, "p3": 2}
