-- has label "vip"
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM labels
WHERE label = $p0)
-- params: {"p0": "vip"}
