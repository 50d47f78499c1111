-- country = "ID" and lifetime_value >= 500
SELECT p.id FROM profiles AS p
WHERE COALESCE(p.country = $p0, FALSE) AND COALESCE(p.lifetime_value >= $p1, FALSE)
-- params: {"p0": "ID", "p1": 500}
