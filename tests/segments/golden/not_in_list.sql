-- plan not in ["free"]
SELECT p.id FROM profiles AS p
WHERE NOT p.plan IN ($p0)
-- params: {"p0": "free"}
