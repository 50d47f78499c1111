-- name contains "an" or city starts with "Ja"
SELECT p.id FROM profiles AS p
WHERE COALESCE(CONTAINS(p.name, $p0), FALSE) OR COALESCE(STARTS_WITH(p.city, $p1), FALSE)
-- params: {"p0": "an", "p1": "Ja"}
