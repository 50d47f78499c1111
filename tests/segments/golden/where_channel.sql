-- did link_clicked where url contains "/pricing" and channel = "email" in last 7 days
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = $p0 AND e1.ts <= $as_of AND e1.ts > $p1 AND (CONTAINS(e1.properties ->> '$.url', $p2) AND e1.channel = $p3))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "link_clicked", "p1": "2026-02-22 00:00:00", "p2": "/pricing", "p3": "email"}
