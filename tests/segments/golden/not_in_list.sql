-- plan not in ["free"]
SELECT p.id FROM profiles AS p
WHERE COALESCE(NOT p.plan IN ($p0), FALSE)
-- params: {"p0": "free"}
