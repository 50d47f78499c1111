-- country = "ID" and lifetime_value >= 500
SELECT p.id FROM profiles AS p
WHERE p.country = $p0 AND p.lifetime_value >= $p1
-- params: {"p0": "ID", "p1": 500}
