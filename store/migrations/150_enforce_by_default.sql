-- A registered event type's schema is enforced by default (`warn`: an event that breaks it is
-- stored and flagged). A type whose policy nobody chose keeps no explicit choice of its own: a
-- stored `off` that no audit entry ever set (action 'enforce') was the old default and becomes
-- `warn`; a policy a steward set (off, warn or block) is kept. Built-in types without a row are
-- under `warn` in the code (engine/catalog/service.py, Catalog.screening).
ALTER TABLE event_types ALTER COLUMN enforcement SET DEFAULT 'warn';
UPDATE event_types SET enforcement = 'warn'
WHERE enforcement = 'off'
  AND name NOT IN (
      SELECT entity_id FROM audit_log
      WHERE entity = 'event_type' AND action = 'enforce' AND entity_id IS NOT NULL
  );
