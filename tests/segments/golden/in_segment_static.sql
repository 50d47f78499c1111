-- in segment "vips"
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM list_members
WHERE segment_id = $p0)
-- params: {"p0": 2}
