-- name matches "^A.*a$"
SELECT p.id FROM profiles AS p
WHERE REGEXP_MATCHES(p.name, $p0)
-- params: {"p0": "^A.*a$"}
