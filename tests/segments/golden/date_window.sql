-- did message_read between "2026-01-01" and "2026-02-01"
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of AND e1.ts >= $p1 AND e1.ts < $p2)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "message_read", "p1": "2026-01-01 00:00:00", "p2": "2026-02-01 00:00:00"}
