-- Where each agent puts the workload certificates it obtains (a Kubernetes Secret
-- "secret:<namespace>/<name>" or a directory "file:<path>"), as the agent says when it asks for
-- them. The admin UI shows them per agent. Replicas add what they saw every few seconds; a
-- statistic for operators, not a record (the certificates table is the record).
CREATE TABLE agent_targets (
    node      text        NOT NULL,
    target    text        NOT NULL,
    identity  text        NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (node, target)
);
CREATE INDEX agent_targets_last_seen ON agent_targets (last_seen);
