-- company is not set
SELECT p.id FROM profiles AS p
WHERE p.company IS NULL
-- params: {}
