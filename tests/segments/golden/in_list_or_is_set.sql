-- plan in ["pro", "team"] or company is set
SELECT p.id FROM profiles AS p
WHERE p.plan IN ($p0, $p1) OR NOT p.company IS NULL
-- params: {"p0": "pro", "p1": "team"}
