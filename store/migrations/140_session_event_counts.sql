-- A session's event_count counts every event stored with its id, the `session_started` event
-- Kith records when the session begins included: the Sessions tab lists those events, and a
-- count that left the start out showed 1 beside 2 listed events. Ingestion counts the start
-- from now on (store/ingest.py: count_session_starts); this adds it to the sessions stored
-- before. Kith's own start events are known by their message id ('session_started:' and the
-- session id; a start sent by a client was counted already), and events are stored grouped by
-- type, so only the start events' row groups are read.
UPDATE sessions SET event_count = event_count + 1
WHERE id IN (SELECT session_id FROM events
             WHERE type = 'session_started' AND message_id = 'session_started:' || session_id);
