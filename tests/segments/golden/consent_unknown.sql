-- consent whatsapp is unknown
SELECT p.id FROM profiles AS p
WHERE NOT EXISTS(SELECT 1 FROM consent_log
WHERE profile_id = p.id AND (channel = $p0 AND purpose = $p1 AND changed_at <= $as_of))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp", "p1": "marketing"}
