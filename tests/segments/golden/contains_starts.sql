-- name contains "an" or city starts with "Ja"
SELECT p.id FROM profiles AS p
WHERE CONTAINS(p.name, $p0) OR STARTS_WITH(p.city, $p1)
-- params: {"p0": "an", "p1": "Ja"}
