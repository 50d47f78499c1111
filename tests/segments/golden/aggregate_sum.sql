-- total amount of purchase in last 90 days > 1000
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of AND e1.ts > $p1 GROUP BY e1.profile_id HAVING SUM(TRY_CAST(e1.properties ->> '$.amount' AS DECIMAL(38, 9))) > $p2)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2025-12-01 00:00:00", "p2": 1000}
