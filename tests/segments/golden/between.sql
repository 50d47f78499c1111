-- lifetime_value between 100 and 500
SELECT p.id FROM profiles AS p
WHERE COALESCE(p.lifetime_value BETWEEN $p0 AND $p1, FALSE)
-- params: {"p0": 100, "p1": 500}
