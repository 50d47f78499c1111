-- has channel whatsapp
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM identities
WHERE type = $p0 AND created_at <= $as_of) OR p.id IN (SELECT profile_id FROM events
WHERE channel = $p0 AND ts <= $as_of)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp"}
