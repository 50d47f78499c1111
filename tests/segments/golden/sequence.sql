-- did signup then purchase within 7 days
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT s1.profile_id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts
WHERE s1.type = $p0 AND s1.ts <= $as_of AND s2.type = $p1 AND s2.ts <= $as_of AND s2.ts <= s1.ts + TO_DAYS($p2))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "signup", "p1": "purchase", "p2": 7}
