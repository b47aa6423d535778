#include "store/schema.h"

#include <array>

namespace gtops {
namespace {

// Version 1: the foundation. Identity keys of FORMAT.md are UNIQUE constraints; geometry of
// box2d and box3d sits in typed columns, the other geometries, attributes, scene and tags in JSON.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE program (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  name TEXT NOT NULL,
  config_path TEXT,
  data_dirs TEXT NOT NULL,
  synced_at TEXT NOT NULL
);
CREATE TABLE vendors (
  vendor TEXT PRIMARY KEY,
  name TEXT,
  cost_per_task_usd REAL,
  cost_per_object_usd REAL
);
CREATE TABLE pipelines (
  pipeline TEXT PRIMARY KEY,
  name TEXT,
  geometry TEXT NOT NULL,
  tracking INTEGER NOT NULL,
  spec_version TEXT,
  units TEXT NOT NULL,
  match_rule TEXT,
  match_value REAL,
  position_m REAL,
  size_rel REAL,
  heading_deg REAL,
  min_iou REAL,
  polyline_m REAL,
  sla_turnaround_hours REAL
);
CREATE TABLE classes (
  pipeline TEXT NOT NULL,
  class TEXT NOT NULL,
  safety_weight REAL NOT NULL,
  match_rule TEXT,
  match_value REAL,
  size_l_lo REAL, size_l_hi REAL, size_w_lo REAL, size_w_hi REAL, size_h_lo REAL, size_h_hi REAL,
  required_attributes TEXT,
  allowed_attributes TEXT,
  max_speed_mps REAL, max_accel_mps2 REAL, max_yaw_rate_dps REAL,
  PRIMARY KEY (pipeline, class)
);
CREATE TABLE targets (
  target_id INTEGER PRIMARY KEY,
  pipeline TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('pipeline', 'class', 'slice')),
  class TEXT,
  slice TEXT,
  metric TEXT NOT NULL,
  value REAL NOT NULL,
  config_line INTEGER
);
CREATE TABLE ingest_runs (
  run_id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  files_read INTEGER NOT NULL DEFAULT 0,
  files_skipped INTEGER NOT NULL DEFAULT 0,
  records_read INTEGER NOT NULL DEFAULT 0,
  accepted INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  inserted INTEGER NOT NULL DEFAULT 0,
  replaced INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  objects_written INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ingest_files (
  file_id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  size INTEGER,
  mtime_ns INTEGER,
  complete INTEGER NOT NULL DEFAULT 0,
  run_id INTEGER,
  records_read INTEGER,
  accepted INTEGER,
  quarantined INTEGER
);
CREATE TABLE batches (
  batch TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  vendor TEXT
);
CREATE TABLE tasks (
  task TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  batch TEXT,
  vendor TEXT
);
CREATE TABLE label_sets (
  label_set_id INTEGER PRIMARY KEY,
  pipeline TEXT NOT NULL,
  frame TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('vendor', 'gold', 'model', 'consensus')),
  producer TEXT NOT NULL,
  task TEXT NOT NULL,
  batch TEXT,
  vendor TEXT,
  annotator TEXT,
  model TEXT,
  timestamp REAL,
  spec_version TEXT,
  tool_version TEXT,
  labeled_at TEXT,
  sensor TEXT,
  scene TEXT,
  ego_pose TEXT,
  ignore_regions TEXT,
  tags TEXT,
  object_count INTEGER NOT NULL,
  content_hash INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  run_id INTEGER NOT NULL,
  UNIQUE (pipeline, frame, source, producer)
);
CREATE TABLE objects (
  object_key INTEGER PRIMARY KEY,
  label_set_id INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  object_id TEXT NOT NULL,
  track TEXT,
  class TEXT NOT NULL,
  x REAL, y REAL, z REAL, l REAL, w REAL, h REAL, yaw REAL,
  range_m REAL,
  geometry TEXT,
  attributes TEXT,
  score REAL,
  num_points INTEGER
);
CREATE TABLE events (
  task TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  batch TEXT,
  vendor TEXT,
  annotator TEXT,
  event TEXT NOT NULL,
  at TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  due TEXT,
  due_ms INTEGER,
  cost_usd REAL,
  work_s REAL,
  object_count INTEGER,
  reason TEXT,
  content_hash INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  run_id INTEGER NOT NULL,
  PRIMARY KEY (task, event, at_ms)
) WITHOUT ROWID;
CREATE TABLE audits (
  audit_id INTEGER PRIMARY KEY,
  task TEXT NOT NULL,
  frame TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  batch TEXT,
  vendor TEXT,
  annotator TEXT,
  auditor TEXT NOT NULL,
  at TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
  objects_reviewed INTEGER,
  work_s REAL,
  error_count INTEGER NOT NULL,
  content_hash INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  run_id INTEGER NOT NULL,
  UNIQUE (task, frame, auditor, at_ms)
);
CREATE TABLE audit_errors (
  audit_id INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  type TEXT NOT NULL,
  severity TEXT NOT NULL,
  object_id TEXT,
  class TEXT,
  attribute TEXT,
  tag TEXT,
  note TEXT,
  PRIMARY KEY (audit_id, ord)
) WITHOUT ROWID;
CREATE TABLE quarantine (
  quarantine_id INTEGER PRIMARY KEY,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  reason TEXT NOT NULL,
  raw BLOB NOT NULL,
  run_id INTEGER NOT NULL
);
CREATE INDEX quarantine_by_file ON quarantine (file_id, line);
CREATE VIEW frames AS
  SELECT pipeline, frame, min(task) AS task, min(timestamp) AS timestamp,
         count(*) AS label_sets, sum(object_count) AS objects
  FROM label_sets GROUP BY pipeline, frame;
CREATE VIEW object_labels AS
  SELECT s.pipeline, s.frame, s.task, s.source, s.producer, s.batch, s.vendor, s.annotator,
         s.model, s.spec_version, s.tool_version, s.timestamp, s.scene, o.*
  FROM objects o JOIN label_sets s USING (label_set_id);
CREATE VIEW quarantined_records AS
  SELECT f.path AS file, q.line, q.reason, q.raw, q.run_id
  FROM quarantine q JOIN ingest_files f USING (file_id);
)sql";

// Version 2: the quality engine's fact table. One row per reference object and per unpaired label
// of each comparison (docs/metrics.md), written per evaluation run; a new run of the same
// (pipeline, source, against, batch) replaces the previous one's rows.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE evaluation_runs (
  evaluation_id INTEGER PRIMARY KEY,
  pipeline TEXT NOT NULL,
  source TEXT NOT NULL,
  against TEXT NOT NULL,
  batch TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  outcomes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outcomes (
  evaluation_id INTEGER NOT NULL,
  pipeline TEXT NOT NULL,
  batch TEXT,
  task TEXT NOT NULL,
  frame TEXT NOT NULL,
  source TEXT NOT NULL,
  producer TEXT NOT NULL,
  vendor TEXT,
  annotator TEXT,
  spec_version TEXT,
  tool_version TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('paired', 'missing', 'extra', 'duplicate', 'ignored', 'tag')),
  reference_id TEXT,
  label_id TEXT,
  class TEXT,
  label_class TEXT,
  tag_name TEXT,
  range_m REAL,
  num_points INTEGER,
  safety_weight REAL,
  score REAL,
  iou REAL,
  center_error_m REAL,
  size_error_rel REAL,
  heading_error_deg REAL,
  distance REAL,
  missing INTEGER NOT NULL DEFAULT 0,
  extra INTEGER NOT NULL DEFAULT 0,
  duplicate INTEGER NOT NULL DEFAULT 0,
  wrong_class INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL DEFAULT 0,
  size INTEGER NOT NULL DEFAULT 0,
  heading INTEGER NOT NULL DEFAULT 0,
  heading_flip INTEGER NOT NULL DEFAULT 0,
  attribute INTEGER NOT NULL DEFAULT 0,
  id_switch INTEGER NOT NULL DEFAULT 0,
  fragmentation INTEGER NOT NULL DEFAULT 0,
  geometry INTEGER NOT NULL DEFAULT 0,
  tag INTEGER NOT NULL DEFAULT 0,
  errors TEXT NOT NULL,
  attributes_compared INTEGER NOT NULL DEFAULT 0,
  attributes_equal INTEGER NOT NULL DEFAULT 0,
  attributes_differing TEXT,
  attributes TEXT,
  scene TEXT
);
CREATE INDEX outcomes_by_run ON outcomes (evaluation_id);
CREATE INDEX outcomes_by_frame ON outcomes (pipeline, frame);
)sql";

// Version 3: operations views over `events` and `audits` (docs/kpis.md): one row per task with
// its timeline, the latest-audit outcome per task, and KPIs per pipeline and week and per vendor
// and week, for users who query the store directly. Views cost ingest nothing and are always
// consistent; `gtops ops` computes the same figures (and percentiles) in the ops module.
constexpr std::string_view kV3 = R"sql(
CREATE VIEW task_timelines AS
WITH steps AS (
  SELECT e.*,
         CASE WHEN e.event IN ('submitted', 'review_passed', 'review_failed')
              THEN lag(e.event) OVER (PARTITION BY e.task,
                                        e.event IN ('submitted', 'review_passed', 'review_failed')
                                      ORDER BY e.at_ms) END AS previous_step
  FROM events e
),
per_task AS (
  SELECT task, min(pipeline) AS pipeline, min(batch) AS batch, min(vendor) AS vendor,
         min(CASE WHEN event = 'created' THEN at_ms END) AS created_ms,
         min(CASE WHEN event = 'created' THEN due_ms END) AS given_due_ms,
         min(CASE WHEN event = 'assigned' THEN at_ms END) AS assigned_ms,
         min(CASE WHEN event = 'submitted' THEN at_ms END) AS first_submitted_ms,
         min(CASE WHEN event = 'accepted' THEN at_ms END) AS accepted_ms,
         min(CASE WHEN event = 'delivered' THEN at_ms END) AS delivered_ms,
         max(event = 'rejected') AS rejected,
         max(event = 'cancelled') AS cancelled,
         sum(event = 'submitted') AS submissions,
         sum(event IN ('review_passed', 'review_failed')) AS reviews,
         sum(event = 'review_failed') AS review_failures,
         sum(event = 'submitted' AND previous_step = 'review_failed') AS rework_rounds,
         total(cost_usd) AS cost_usd,
         total(CASE WHEN event = 'submitted' AND previous_step IS NOT 'review_failed' THEN cost_usd END) AS cost_labeling_usd,
         total(CASE WHEN event IN ('review_passed', 'review_failed') THEN cost_usd END) AS cost_review_usd,
         total(CASE WHEN event = 'submitted' AND previous_step = 'review_failed' THEN cost_usd END) AS cost_rework_usd,
         total(work_s) AS work_s,
         total(CASE WHEN event = 'submitted' THEN work_s END) AS labeling_work_s
  FROM steps GROUP BY task
),
timed AS (
  SELECT p.*,
         (SELECT a.annotator FROM events a WHERE a.task = p.task AND a.event = 'assigned'
          ORDER BY a.at_ms LIMIT 1) AS annotator,
         coalesce(p.given_due_ms,
                  p.created_ms + CAST(pl.sla_turnaround_hours * 3600000 AS INTEGER)) AS due_ms,
         (SELECT s.object_count FROM events s WHERE s.task = p.task AND s.event = 'submitted'
            AND s.object_count IS NOT NULL ORDER BY s.at_ms DESC LIMIT 1) AS object_count,
         (SELECT max(at_ms) FROM events) AS as_of_ms
  FROM per_task p LEFT JOIN pipelines pl USING (pipeline)
)
SELECT task, pipeline, batch, vendor, annotator,
       created_ms, assigned_ms, first_submitted_ms, accepted_ms, delivered_ms, due_ms,
       CASE WHEN cancelled THEN 'cancelled' WHEN accepted_ms IS NOT NULL THEN 'accepted'
            WHEN rejected THEN 'rejected' ELSE 'open' END AS state,
       CASE WHEN due_ms IS NULL THEN NULL
            WHEN accepted_ms IS NOT NULL THEN accepted_ms <= due_ms
            WHEN cancelled THEN NULL
            WHEN due_ms < as_of_ms THEN 0 ELSE NULL END AS on_time,
       (delivered_ms - created_ms) / 3600000.0 AS lead_time_h,
       (first_submitted_ms - assigned_ms) / 3600000.0 AS labeling_time_h,
       submissions, reviews, review_failures, rework_rounds,
       coalesce(object_count, 0) AS object_count, work_s, labeling_work_s,
       cost_usd, cost_labeling_usd, cost_review_usd, cost_rework_usd,
       CASE WHEN review_failures > 0 THEN cost_review_usd + cost_rework_usd ELSE 0 END
         AS cost_of_poor_quality_usd,
       printf('%s-W%02d', strftime('%Y', thursday), (strftime('%j', thursday) - 1) / 7 + 1) AS week
FROM (SELECT *, date(coalesce(created_ms, assigned_ms, first_submitted_ms) / 1000, 'unixepoch',
                     '-3 days', 'weekday 4') AS thursday FROM timed);

CREATE VIEW task_audits AS
SELECT task, min(pipeline) AS pipeline, min(vendor) AS vendor, count(*) AS audited_frames,
       min(verdict = 'pass') AS pass, max(at_ms) AS latest_at_ms
FROM (SELECT a.*, row_number() OVER (PARTITION BY task, frame ORDER BY at_ms DESC,
                                      verdict = 'pass') AS recency FROM audits a)
WHERE recency = 1 GROUP BY task;

CREATE VIEW kpis_by_pipeline_week AS
SELECT t.pipeline, t.week, count(*) AS tasks,
       sum(state = 'accepted') AS tasks_accepted,
       sum(state = 'open') AS backlog,
       sum(state = 'open' AND assigned_ms IS NOT NULL) AS wip,
       avg(t.on_time) AS on_time_rate,
       count(t.on_time) AS tasks_due,
       1.0 * sum(review_failures > 0) / nullif(sum(reviews > 0), 0) AS rework_rate,
       1.0 * sum(state = 'accepted' AND review_failures = 0)
         / nullif(sum(state IN ('accepted', 'rejected')), 0) AS first_pass_yield,
       1.0 * sum(CASE WHEN reviews > 0 THEN rework_rounds END) / nullif(sum(reviews > 0), 0)
         AS mean_rework_rounds,
       avg(ta.pass) AS audit_pass_rate,
       count(ta.task) AS tasks_audited,
       avg(lead_time_h) AS lead_time_mean_h,
       avg(labeling_time_h) AS labeling_time_mean_h,
       total(cost_usd) AS cost_usd,
       total(cost_usd) / count(*) AS cost_per_task_usd,
       total(cost_usd) / nullif(sum(state = 'accepted'), 0) AS cost_per_accepted_task_usd,
       total(cost_usd) / nullif(sum(object_count), 0) AS cost_per_object_usd,
       total(cost_of_poor_quality_usd) AS cost_of_poor_quality_usd,
       total(labeling_work_s) / 3.6 / nullif(sum(object_count), 0) AS labeling_hours_per_1000_objects
FROM task_timelines t LEFT JOIN task_audits ta USING (task)
GROUP BY t.pipeline, t.week;
CREATE VIEW kpis_by_vendor_week AS
SELECT t.vendor, t.week, count(*) AS tasks,
       sum(state = 'accepted') AS tasks_accepted,
       sum(state = 'open') AS backlog,
       sum(state = 'open' AND assigned_ms IS NOT NULL) AS wip,
       avg(t.on_time) AS on_time_rate,
       count(t.on_time) AS tasks_due,
       1.0 * sum(review_failures > 0) / nullif(sum(reviews > 0), 0) AS rework_rate,
       1.0 * sum(state = 'accepted' AND review_failures = 0)
         / nullif(sum(state IN ('accepted', 'rejected')), 0) AS first_pass_yield,
       1.0 * sum(CASE WHEN reviews > 0 THEN rework_rounds END) / nullif(sum(reviews > 0), 0)
         AS mean_rework_rounds,
       avg(ta.pass) AS audit_pass_rate,
       count(ta.task) AS tasks_audited,
       avg(lead_time_h) AS lead_time_mean_h,
       avg(labeling_time_h) AS labeling_time_mean_h,
       total(cost_usd) AS cost_usd,
       total(cost_usd) / count(*) AS cost_per_task_usd,
       total(cost_usd) / nullif(sum(state = 'accepted'), 0) AS cost_per_accepted_task_usd,
       total(cost_usd) / nullif(sum(object_count), 0) AS cost_per_object_usd,
       total(cost_of_poor_quality_usd) AS cost_of_poor_quality_usd,
       total(labeling_work_s) / 3.6 / nullif(sum(object_count), 0) AS labeling_hours_per_1000_objects
FROM task_timelines t LEFT JOIN task_audits ta USING (task)
GROUP BY t.vendor, t.week;
)sql";

// v4: the main job's runs and their gap tables (gtops run, gtops gaps).
constexpr std::string_view kV4 = R"sql(
CREATE TABLE runs (
  run_id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  ingest_run_id INTEGER,
  gaps INTEGER NOT NULL,
  fails INTEGER NOT NULL,
  inconclusive INTEGER NOT NULL,
  meets INTEGER NOT NULL,
  no_data INTEGER NOT NULL
);
CREATE TABLE gaps (
  run_id INTEGER NOT NULL,
  ord INTEGER NOT NULL,
  pipeline TEXT NOT NULL,
  metric TEXT NOT NULL,
  slice TEXT,
  slice_label TEXT,
  vendor TEXT,
  target REAL NOT NULL,
  higher_is_better INTEGER NOT NULL,
  value REAL,
  lo REAL,
  hi REAL,
  gap REAL,
  status TEXT NOT NULL CHECK (status IN ('meets', 'fails', 'inconclusive', 'no_data')),
  additional_audits INTEGER,
  trend TEXT,
  n INTEGER NOT NULL,
  clusters INTEGER NOT NULL,
  method TEXT,
  source TEXT NOT NULL,
  target_line INTEGER,
  PRIMARY KEY (run_id, ord)
) WITHOUT ROWID;
)sql";

// v5: outcomes lose their (pipeline, frame) index: an evaluation writes outcomes in task order,
// so every row was a random insert into it (and every replaced run a random delete), which cost
// more than the table itself; a frame's outcomes are a scan of its run's rows.
constexpr std::string_view kV5 = R"sql(
DROP INDEX outcomes_by_frame;
)sql";

// v6: the automated checks (gtops check, gtops queue): one row per pipeline for its latest check
// run, and that run's findings (docs/schema.md, docs/quality-checks.md).
constexpr std::string_view kV6 = R"sql(
CREATE TABLE check_runs (
  pipeline TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  frames INTEGER NOT NULL,
  records INTEGER NOT NULL,
  objects INTEGER NOT NULL,
  findings INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE findings (
  pipeline TEXT NOT NULL,
  ord INTEGER NOT NULL,
  task TEXT NOT NULL,
  frame TEXT NOT NULL,
  source TEXT NOT NULL,
  producer TEXT,
  vendor TEXT,
  annotator TEXT,
  batch TEXT,
  spec_version TEXT,
  object_id TEXT,
  track TEXT,
  class TEXT,
  range_m REAL,
  type TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('minor', 'major', 'critical')),
  check_name TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('rule', 'model')),
  evidence REAL NOT NULL,
  probability REAL NOT NULL,
  safety_weight REAL NOT NULL,
  score REAL NOT NULL,
  reason TEXT NOT NULL,
  geometry TEXT,
  PRIMARY KEY (pipeline, ord)
) WITHOUT ROWID;
)sql";

// v7: process-control incidents (gtops spc, gtops run): the current shifts of each series, kept
// with the time they were first found (docs/schema.md, docs/spc.md).
constexpr std::string_view kV7 = R"sql(
CREATE TABLE incidents (
  pipeline TEXT NOT NULL,
  vendor TEXT NOT NULL,
  annotator TEXT NOT NULL DEFAULT '',
  metric TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
  since_batch TEXT NOT NULL,
  since TEXT NOT NULL,
  last_batch TEXT NOT NULL,
  detectors TEXT NOT NULL,
  count_during INTEGER NOT NULL,
  n_during INTEGER NOT NULL,
  rate_during REAL,
  count_outside INTEGER NOT NULL,
  n_outside INTEGER NOT NULL,
  rate_outside REAL,
  evidence TEXT NOT NULL,
  first_found TEXT NOT NULL,
  last_found TEXT NOT NULL,
  PRIMARY KEY (pipeline, vendor, annotator, metric, direction, since_batch)
) WITHOUT ROWID;
)sql";

// v8: audit sampling plans (gtops sample draw / decide): the plan recorded with a batch and the
// tasks it drew, so that the decision can be replayed (docs/schema.md, docs/sampling.md).
constexpr std::string_view kV8 = R"sql(
CREATE TABLE audit_plans (
  pipeline TEXT NOT NULL,
  batch TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('single', 'double', 'sprt', 'budget')),
  lot INTEGER NOT NULL,
  n INTEGER NOT NULL,
  c INTEGER,
  n1 INTEGER,
  c1 INTEGER,
  r1 INTEGER,
  n2 INTEGER,
  c2 INTEGER,
  aql REAL,
  ltpd REAL,
  alpha REAL,
  beta REAL,
  budget INTEGER,
  seed INTEGER NOT NULL,
  stratify TEXT NOT NULL,
  allocation TEXT NOT NULL CHECK (allocation IN ('none', 'neyman', 'proportional')),
  strata TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (pipeline, batch)
) WITHOUT ROWID;
CREATE TABLE audit_plan_tasks (
  pipeline TEXT NOT NULL,
  batch TEXT NOT NULL,
  ord INTEGER NOT NULL,
  task TEXT NOT NULL,
  stratum TEXT NOT NULL,
  weight REAL NOT NULL,
  PRIMARY KEY (pipeline, batch, ord)
) WITHOUT ROWID;
)sql";

// v9: stored task timelines (docs/kpis.md, "Stored timelines"): one row per task with the facts of
// its timeline, and the tasks whose events changed since their row was written. Ingest marks a task
// whenever one of its events is inserted or replaced (a new `mark`, larger than any before); the
// timelines of marked tasks are rebuilt from their events at the end of an ingest and unmarked only
// if not marked again meanwhile, and read from events until then.
constexpr std::string_view kV9 = R"sql(
CREATE TABLE timeline_facts (
  task TEXT PRIMARY KEY,
  data BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE timeline_marks (
  mark INTEGER PRIMARY KEY,
  task TEXT NOT NULL UNIQUE
);
INSERT INTO timeline_marks (task) SELECT DISTINCT task FROM events;
)sql";

// v10: the CHECK constraints that list three or more values are written as comparisons joined by
// OR. SQLite evaluates `x IN ('a', 'b', 'c')` in a CHECK by building a temporary table of the list
// for every row it writes (a B-tree opened and filled per INSERT): on `label_sets` and `outcomes`
// that was about 3.5 us of every row, more than the rest of the insert. Same constraints, same
// stored data: only the schema text changes, with SQLite's documented procedure for changing a
// CHECK constraint in place (lang_altertable.html, "Making other kinds of table schema changes";
// the store bumps `schema_version` after every migration so that connections re-read the schema).
constexpr std::string_view kV10 = R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (scope IN (''pipeline'', ''class'', ''slice''))', 'CHECK (scope = ''pipeline'' OR scope = ''class'' OR scope = ''slice'')')
  WHERE type = 'table' AND name = 'targets';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (source IN (''vendor'', ''gold'', ''model'', ''consensus''))', 'CHECK (source = ''vendor'' OR source = ''gold'' OR source = ''model'' OR source = ''consensus'')')
  WHERE type = 'table' AND name = 'label_sets';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''paired'', ''missing'', ''extra'', ''duplicate'', ''ignored'', ''tag''))', 'CHECK (kind = ''paired'' OR kind = ''missing'' OR kind = ''extra'' OR kind = ''duplicate'' OR kind = ''ignored'' OR kind = ''tag'')')
  WHERE type = 'table' AND name = 'outcomes';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (status IN (''meets'', ''fails'', ''inconclusive'', ''no_data''))', 'CHECK (status = ''meets'' OR status = ''fails'' OR status = ''inconclusive'' OR status = ''no_data'')')
  WHERE type = 'table' AND name = 'gaps';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (severity IN (''minor'', ''major'', ''critical''))', 'CHECK (severity = ''minor'' OR severity = ''major'' OR severity = ''critical'')')
  WHERE type = 'table' AND name = 'findings';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''single'', ''double'', ''sprt'', ''budget''))', 'CHECK (kind = ''single'' OR kind = ''double'' OR kind = ''sprt'' OR kind = ''budget'')')
  WHERE type = 'table' AND name = 'audit_plans';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (allocation IN (''none'', ''neyman'', ''proportional''))', 'CHECK (allocation = ''none'' OR allocation = ''neyman'' OR allocation = ''proportional'')')
  WHERE type = 'table' AND name = 'audit_plans';
PRAGMA writable_schema = OFF;
)sql";

constexpr std::array<std::string_view, 10> kMigrations{kV1, kV2, kV3, kV4, kV5, kV6, kV7, kV8, kV9, kV10};

}  // namespace

std::span<const std::string_view> SchemaMigrations() { return kMigrations; }

}  // namespace gtops
