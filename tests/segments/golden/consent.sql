-- consent whatsapp is granted
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM consent_log
WHERE channel = $p0 AND purpose = $p1 AND changed_at <= $as_of GROUP BY profile_id HAVING ARG_MAX(status, {'changed_at': changed_at, 'id': id}) = $p2)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp", "p1": "marketing", "p2": "granted"}
