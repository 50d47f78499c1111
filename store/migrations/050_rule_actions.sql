-- What each rule does, once per rule: the firing log refers to it instead of repeating the
-- actions on every firing row (they were most of the log's bytes). A rule's actions never change
-- (rules are added and deleted, not edited), and the row stays when the rule is deleted, so the
-- log can still say what a deleted rule did. Older log rows keep their own actions.
CREATE TABLE rule_actions (
    rule_id BIGINT PRIMARY KEY,
    actions JSON NOT NULL
);
