-- aggregate_average: average amount of purchase > 50
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING AVG(CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DECIMAL(38, 9))) > :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 50}

-- aggregate_count: count of purchase in last 30 days < 2
SELECT p.id FROM profiles AS p
WHERE NOT p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 GROUP BY e1.profile_id HAVING NOT COUNT(*) < :p2)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-01-30 00:00:00", "p2": 2}

-- aggregate_count_where: count of purchase where amount > 100 in last 7 days >= 2
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 AND CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE) > :p2 GROUP BY e1.profile_id HAVING COUNT(*) >= :p3) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-02-22 00:00:00", "p2": 100, "p3": 2}

-- aggregate_max: max amount of purchase >= 500
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING MAX(CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE)) >= :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 500}

-- aggregate_min: min amount of purchase < 5
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING MIN(CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE)) < :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 5}

-- aggregate_sum: total amount of purchase in last 90 days > 1000
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 GROUP BY e1.profile_id HAVING SUM(CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DECIMAL(38, 9))) > :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2025-12-01 00:00:00", "p2": 1000}

-- ago_window: did page_view between 7 and 14 days ago
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 AND e1.ts <= :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-02-15 00:00:00", "p2": "2026-02-22 00:00:00"}

-- any_event: did any event in last 2 hours
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.ts <= :as_of AND e1.ts > :p0) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-02-28 22:00:00"}

-- at_most: did purchase at most 3 times
SELECT p.id FROM profiles AS p
WHERE NOT p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING NOT COUNT(*) <= :p1)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 3}

-- between: lifetime_value between 100 and 500
SELECT p.id FROM profiles AS p
WHERE p.lifetime_value BETWEEN :p0 AND :p1
-- params: {"p0": 100, "p1": 500}

-- boolean: vip = true
SELECT p.id FROM profiles AS p
WHERE p.vip = :p0
-- params: {"p0": true}

-- channel: has channel whatsapp
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM identities
WHERE type = :p0 AND created_at <= :as_of) OR p.id IN (SELECT profile_id FROM events
WHERE channel = :p0 AND ts <= :as_of)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp"}

-- comment: country = "ID" -- a comment runs to the end of the line
SELECT p.id FROM profiles AS p
WHERE p.country = :p0
-- params: {"p0": "ID"}

-- compare: country = "ID" and lifetime_value >= 500
SELECT p.id FROM profiles AS p
WHERE p.country = :p0 AND p.lifetime_value >= :p1
-- params: {"p0": "ID", "p1": 500}

-- consent: consent whatsapp is granted
SELECT p.id FROM (SELECT profile_id AS id FROM consent_log
WHERE channel = :p0 AND purpose = :p1 AND changed_at <= :as_of GROUP BY profile_id HAVING MAX_BY(status, STRUCT(changed_at, id)) = :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp", "p1": "marketing", "p2": "granted"}

-- consent_denied_revoked: consent whatsapp is denied or consent whatsapp is revoked
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT profile_id FROM consent_log
WHERE channel = :p0 AND purpose = :p1 AND changed_at <= :as_of GROUP BY profile_id HAVING MAX_BY(status, STRUCT(changed_at, id)) = :p2) OR p.id IN (SELECT profile_id FROM consent_log
WHERE channel = :p3 AND purpose = :p4 AND changed_at <= :as_of GROUP BY profile_id HAVING MAX_BY(status, STRUCT(changed_at, id)) = :p5)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp", "p1": "marketing", "p2": "denied", "p3": "whatsapp", "p4": "marketing", "p5": "revoked"}

-- consent_unknown: consent whatsapp is unknown
SELECT p.id FROM profiles AS p
WHERE NOT EXISTS(SELECT 1 FROM consent_log
WHERE profile_id = p.id AND (channel = :p0 AND purpose = :p1 AND changed_at <= :as_of))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "whatsapp", "p1": "marketing"}

-- contains_starts: name contains "an" or city starts with "Ja"
SELECT p.id FROM profiles AS p
WHERE CONTAINS(p.name, :p0) OR STARTSWITH(p.city, :p1)
-- params: {"p0": "an", "p1": "Ja"}

-- date_compare: created_at before "2026-01-01" or last_seen after "2026-02-01"
SELECT p.id FROM profiles AS p
WHERE p.created_at < :p0 OR p.last_seen >= :p1
-- params: {"p0": "2026-01-01 00:00:00", "p1": "2026-02-01 00:00:00"}

-- date_window: did message_read between "2026-01-01" and "2026-02-01"
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts >= :p1 AND e1.ts < :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "message_read", "p1": "2026-01-01 00:00:00", "p2": "2026-02-01 00:00:00"}

-- did: did purchase
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase"}

-- did_not: did not page_view in last 30 days
SELECT p.id FROM profiles AS p
WHERE NOT EXISTS(SELECT 1 FROM events AS e1
WHERE e1.profile_id = p.id AND (e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-01-30 00:00:00"}

-- exactly: did form_submitted exactly 1 times
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING COUNT(*) = :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "form_submitted", "p1": 1}

-- first_occurrence: first purchase more than 90 days ago
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING MIN(e1.ts) <= :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2025-12-01 00:00:00"}

-- first_where_window: first purchase where amount > 100 in last 30 days
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE) > :p1 GROUP BY e1.profile_id HAVING MIN(e1.ts) > :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 100, "p2": "2026-01-30 00:00:00"}

-- frequency_between: did purchase between 2 and 5 times
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING COUNT(*) BETWEEN :p1 AND :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": 2, "p2": 5}

-- frequency_where: did purchase where amount > 100 at least 2 times in last 14 days
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 AND CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE) > :p2 GROUP BY e1.profile_id HAVING COUNT(*) >= :p3) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-02-15 00:00:00", "p2": 100, "p3": 2}

-- grouping: (country = "ID" or country = "BR") and plan = "pro"
SELECT p.id FROM profiles AS p
WHERE (p.country = :p0 OR p.country = :p1) AND p.plan = :p2
-- params: {"p0": "ID", "p1": "BR", "p2": "pro"}

-- in_list_or_is_set: plan in ["pro", "team"] or company is set
SELECT p.id FROM profiles AS p
WHERE p.plan IN (:p0, :p1) OR NOT p.company IS NULL
-- params: {"p0": "pro", "p1": "team"}

-- in_segment_compound: in segment "both"
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.ts <= :as_of AND e1.ts > :p0) AND NOT EXISTS(SELECT 1 FROM list_members
WHERE profile_id = p.id AND segment_id = :p1)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-02-22 00:00:00", "p1": 2}

-- in_segment_dynamic: in segment "active"
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.ts <= :as_of AND e1.ts > :p0) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-02-22 00:00:00"}

-- in_segment_static: in segment "vips"
SELECT p.id FROM (SELECT DISTINCT profile_id AS id FROM list_members
WHERE segment_id = :p0) AS p
-- params: {"p0": 2}

-- is_not_set: company is not set
SELECT p.id FROM profiles AS p
WHERE p.company IS NULL
-- params: {}

-- json_path: properties.tier = "gold" and properties.score >= 5
SELECT p.id FROM profiles AS p
WHERE GET_JSON_OBJECT(p.properties, '$.tier') = :p0 AND CAST(GET_JSON_OBJECT(p.properties, '$.score') AS DOUBLE) >= :p1
-- params: {"p0": "gold", "p1": 5}

-- label: has label "vip"
SELECT p.id FROM (SELECT DISTINCT profile_id AS id FROM labels
WHERE label = :p0) AS p
-- params: {"p0": "vip"}

-- last_before: last purchase before "2026-10-01"
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING MAX(e1.ts) < :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-10-01 00:00:00"}

-- last_occurrence: last page_view within last 7 days
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of GROUP BY e1.profile_id HAVING MAX(e1.ts) > :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-02-22 00:00:00"}

-- matches: name matches "^A.*a$"
SELECT p.id FROM profiles AS p
WHERE p.name RLIKE :p0
-- params: {"p0": "^A.*a$"}

-- more_than_ago: last_seen more than 30 days ago
SELECT p.id FROM profiles AS p
WHERE p.last_seen <= :p0
-- params: {"p0": "2026-01-30 00:00:00"}

-- not_equal: country != "US"
SELECT p.id FROM profiles AS p
WHERE p.country <> :p0
-- params: {"p0": "US"}

-- not_in_list: plan not in ["free"]
SELECT p.id FROM profiles AS p
WHERE NOT p.plan IN (:p0)
-- params: {"p0": "free"}

-- not_sequence: did not signup then purchase
SELECT p.id FROM profiles AS p
WHERE NOT EXISTS(SELECT 1 FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts
WHERE s1.profile_id = p.id AND (s1.type = :p0 AND s1.ts <= :as_of AND s2.type = :p1 AND s2.ts <= :as_of))
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "signup", "p1": "purchase"}

-- order_compare: lifetime_value < 10 or lifetime_value <= 20 or lifetime_value > 30
SELECT p.id FROM profiles AS p
WHERE p.lifetime_value < :p0 OR p.lifetime_value <= :p1 OR p.lifetime_value > :p2
-- params: {"p0": 10, "p1": 20, "p2": 30}

-- precedence: country = "ID" or country = "BR" and plan = "pro"
SELECT p.id FROM profiles AS p
WHERE p.country = :p0 OR (p.country = :p1 AND p.plan = :p2)
-- params: {"p0": "ID", "p1": "BR", "p2": "pro"}

-- relative_date: created_at within last 30 days
SELECT p.id FROM profiles AS p
WHERE p.created_at > :p0 AND p.created_at <= :as_of
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "2026-01-30 00:00:00"}

-- sequence: did signup then purchase within 7 days
SELECT p.id FROM (SELECT DISTINCT s1.profile_id AS id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts
WHERE s1.type = :p0 AND s1.ts <= :as_of AND s2.type = :p1 AND s2.ts <= :as_of AND s2.ts <= s1.ts + MAKE_INTERVAL(0, 0, 0, :p2, 0, 0, 0)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "signup", "p1": "purchase", "p2": 7}

-- sequence_in_window: did signup then purchase within 2 days in last 30 days
SELECT p.id FROM (SELECT DISTINCT s1.profile_id AS id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts
WHERE s1.type = :p0 AND s1.ts <= :as_of AND s1.ts > :p1 AND s2.type = :p2 AND s2.ts <= :as_of AND s2.ts <= s1.ts + MAKE_INTERVAL(0, 0, 0, :p3, 0, 0, 0)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "signup", "p1": "2026-01-30 00:00:00", "p2": "purchase", "p3": 2}

-- sequence_same_type: did page_view then page_view within 1 days
SELECT p.id FROM (SELECT DISTINCT s1.profile_id AS id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts AND s2.id <> s1.id
WHERE s1.type = :p0 AND s1.ts <= :as_of AND s2.type = :p1 AND s2.ts <= :as_of AND s2.ts <= s1.ts + MAKE_INTERVAL(0, 0, 0, :p2, 0, 0, 0)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "page_view", "p2": 1}

-- sequence_three: did page_view then signup then purchase within 2 weeks
SELECT p.id FROM (SELECT DISTINCT s1.profile_id AS id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts JOIN events AS s3 ON s3.profile_id = s1.profile_id AND s3.ts >= s2.ts
WHERE s1.type = :p0 AND s1.ts <= :as_of AND s2.type = :p1 AND s2.ts <= :as_of AND s3.type = :p2 AND s3.ts <= :as_of AND s3.ts <= s1.ts + MAKE_INTERVAL(0, 0, :p3, 0, 0, 0, 0)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "signup", "p2": "purchase", "p3": 2}

-- sequence_where: did signup then page_view where url contains "/pricing" then purchase within 7 days
SELECT p.id FROM (SELECT DISTINCT s1.profile_id AS id FROM events AS s1 JOIN events AS s2 ON s2.profile_id = s1.profile_id AND s2.ts >= s1.ts JOIN events AS s3 ON s3.profile_id = s1.profile_id AND s3.ts >= s2.ts
WHERE s1.type = :p0 AND s1.ts <= :as_of AND s2.type = :p1 AND s2.ts <= :as_of AND CONTAINS(GET_JSON_OBJECT(s2.properties, '$.url'), :p2) AND s3.type = :p3 AND s3.ts <= :as_of AND s3.ts <= s1.ts + MAKE_INTERVAL(0, 0, 0, :p4, 0, 0, 0)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "signup", "p1": "page_view", "p2": "/pricing", "p3": "purchase", "p4": 7}

-- string_match: email ends with "@Acme.com" and not (lifecycle = "churned")
SELECT p.id FROM profiles AS p
WHERE ENDSWITH(p.email, :p0) AND NOT COALESCE(p.lifecycle = :p1, FALSE)
-- params: {"p0": "@acme.com", "p1": "churned"}

-- timestamp_compare: created_at >= "2026-10-01T09:30:00Z"
SELECT p.id FROM profiles AS p
WHERE p.created_at >= :p0
-- params: {"p0": "2026-10-01 09:30:00"}

-- where_boolean: did purchase where not (currency = "USD") or amount >= 10
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND (NOT COALESCE(GET_JSON_OBJECT(e1.properties, '$.currency') = :p1, FALSE) OR CAST(GET_JSON_OBJECT(e1.properties, '$.amount') AS DOUBLE) >= :p2)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "USD", "p2": 10}

-- where_channel: did link_clicked where url contains "/pricing" and channel = "email" in last 7 days
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 AND (CONTAINS(GET_JSON_OBJECT(e1.properties, '$.url'), :p2) AND e1.channel = :p3)) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "link_clicked", "p1": "2026-02-22 00:00:00", "p2": "/pricing", "p3": "email"}

-- window_after: did page_view after "2026-10-01T00:00:00Z"
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts >= :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-10-01 00:00:00"}

-- window_before: did page_view before "2026-09-01"
SELECT p.id FROM (SELECT DISTINCT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts < :p1) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-09-01 00:00:00"}

-- window_then_frequency: did purchase in last 30 days at least 3 times
SELECT p.id FROM (SELECT e1.profile_id AS id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1 GROUP BY e1.profile_id HAVING COUNT(*) >= :p2) AS p
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "purchase", "p1": "2026-01-30 00:00:00", "p2": 3}

-- window_units: did page_view in last 30 minutes or did signup in last 3 weeks or did purchase in the last 2 months
SELECT p.id FROM profiles AS p
WHERE p.id IN (SELECT e1.profile_id FROM events AS e1
WHERE e1.type = :p0 AND e1.ts <= :as_of AND e1.ts > :p1) OR p.id IN (SELECT e2.profile_id FROM events AS e2
WHERE e2.type = :p2 AND e2.ts <= :as_of AND e2.ts > :p3) OR p.id IN (SELECT e3.profile_id FROM events AS e3
WHERE e3.type = :p4 AND e3.ts <= :as_of AND e3.ts > :p5)
-- params: {"as_of": "2026-03-01 00:00:00", "p0": "page_view", "p1": "2026-02-28 23:30:00", "p2": "signup", "p3": "2026-02-08 00:00:00", "p4": "purchase", "p5": "2026-01-01 00:00:00"}
