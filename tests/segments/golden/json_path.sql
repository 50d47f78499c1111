-- properties.tier = "gold" and properties.score >= 5
SELECT p.id FROM profiles AS p
WHERE (p.properties ->> '$.tier') = $p0 AND TRY_CAST(p.properties ->> '$.score' AS DOUBLE) >= $p1
-- params: {"p0": "gold", "p1": 5}
