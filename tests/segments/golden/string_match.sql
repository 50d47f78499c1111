-- email ends with "@Acme.com" and not (lifecycle = "churned")
SELECT p.id FROM profiles AS p
WHERE ENDS_WITH(p.email, $p0) AND NOT COALESCE(p.lifecycle = $p1, FALSE)
-- params: {"p0": "@acme.com", "p1": "churned"}
