-- did form_submitted exactly 1 times
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of GROUP BY e1.profile_id HAVING COUNT(*) = $p1)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "form_submitted", "p1": 1}
