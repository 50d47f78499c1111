-- Events stored in (type, ts) order, so a query filtered by event type and time reads only the
-- row groups whose zone maps (min/max per column) can hold its rows instead of nearly all of
-- them. Every ingestion batch is inserted in that order from now on (store/ingest.py); this
-- rewrites the events already stored. Column-generic (SELECT *), so columns other migrations add
-- to `events` survive it.
CREATE TEMP TABLE kith_events_in_order AS SELECT * FROM events ORDER BY type, ts, id;
DELETE FROM events;
INSERT INTO events SELECT * FROM kith_events_in_order ORDER BY type, ts, id;
DROP TABLE kith_events_in_order;
