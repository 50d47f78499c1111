-- did page_view then signup then purchase within 2 weeks
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT s1.profile_id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts JOIN events AS s3 ON s3.profile_id = s1.profile_id AND s3.ts >= s2.ts
WHERE s1.type = $p0 AND s1.ts <= $as_of AND s2.type = $p1 AND s2.ts <= $as_of AND s3.type = $p2 AND s3.ts <= $as_of AND s3.ts <= s1.ts + TO_WEEKS($p3))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "signup", "p2": "purchase", "p3": 2}
