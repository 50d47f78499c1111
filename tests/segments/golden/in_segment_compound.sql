-- in segment "both"
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.ts <= $as_of AND e1.ts > $p0) AND NOT EXISTS(SELECT 1 FROM list_members
WHERE profile_id = p.id AND segment_id = $p1)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-02-22 00:00:00", "p1": 2}
