-- name matches "^A.*a$"
SELECT p.id FROM profiles AS p
WHERE COALESCE(REGEXP_MATCHES(p.name, $p0), FALSE)
-- params: {"p0": "^A.*a$"}
