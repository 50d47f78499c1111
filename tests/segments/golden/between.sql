-- lifetime_value between 100 and 500
SELECT p.id FROM profiles AS p
WHERE p.lifetime_value BETWEEN $p0 AND $p1
-- params: {"p0": 100, "p1": 500}
