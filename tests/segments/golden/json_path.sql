-- properties.tier = "gold" and properties.score >= 5
SELECT p.id FROM profiles AS p
WHERE COALESCE((p.properties ->> '$.tier') = $p0, FALSE) AND COALESCE(TRY_CAST(p.properties ->> '$.score' AS DOUBLE) >= $p1, FALSE)
-- params: {"p0": "gold", "p1": 5}
