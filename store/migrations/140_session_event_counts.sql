-- A session's event_count counts every event stored with its id, the `session_started` event
-- Kith records when the session begins included: the Sessions tab lists those events, and a
-- count that left the start out showed 1 beside 2 listed events. Ingestion counts the start
-- from now on (store/ingest.py: count_session_starts); this recounts the sessions stored before.
UPDATE sessions SET event_count = stored.n
FROM (SELECT session_id, count(*)::INTEGER AS n FROM events WHERE session_id IS NOT NULL
      GROUP BY session_id) stored
WHERE sessions.id = stored.session_id AND sessions.event_count <> stored.n;
