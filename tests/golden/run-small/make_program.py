#!/usr/bin/env python3
"""Writes the small fixed program of the `gtops run` golden tests (program/): one camera 2D box
pipeline, two vendors, 12 single-frame tasks each, gold on every frame. Its true figures are
hand-countable (tests/run_test.cc checks them):
  alpha: every gold object labelled exactly: recall 60/60, precision 60/60, class_accuracy 60/60.
  beta:  misses one object in each of tasks 0-5 (recall 54/60), adds one ghost box in tasks 0-2
         (precision 54/57), labels one car as a pedestrian in tasks 6-7 (class_accuracy 52/54).
  audits: alpha 4 audited tasks, all pass; beta 4 audited, 2 fail (audit_pass_rate 0.5).
  events: every task due 48 h after creation; beta's tasks 8-11 are accepted after 72 h (late):
         on_time_rate alpha 12/12, beta 8/12.
Deterministic: no randomness. Run it from this folder to rewrite program/data/."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "program", "data")
os.makedirs(DATA, exist_ok=True)

def box(i):
    return [100.0 + 120 * i, 200.0, 80.0, 60.0 + 10 * i]

CLASSES = ["car", "car", "pedestrian", "car", "cyclist"]
labels, events, audits = [], [], []
for v, vendor in enumerate(["alpha", "beta"]):
    for t in range(12):
        task = f"cam:{vendor}-{t:02d}"
        frame = f"{vendor}-{t:02d}/000"
        batch = f"cam-{vendor}-b{t // 4}"
        day = 1 + t + v
        labeled_at = f"2026-03-{day:02d}T12:00:00Z"
        spec = "1.0" if t < 8 else "1.1"
        gold = [{"id": f"g{i}", "class": CLASSES[i], "box2d": box(i)} for i in range(5)]
        labels.append({"pipeline": "cam", "task": task, "frame": frame, "source": "gold", "objects": gold})
        objs = []
        for i in range(5):
            if vendor == "beta" and t < 6 and i == 4:
                continue  # missing
            cls = CLASSES[i]
            if vendor == "beta" and t in (6, 7) and i == 0:
                cls = "pedestrian"  # wrong class
            b = box(i)
            objs.append({"id": f"v{i}", "class": cls, "box2d": [b[0] + 1.0, b[1], b[2], b[3]]})
        if vendor == "beta" and t < 3:
            objs.append({"id": "v9", "class": "car", "box2d": [900.0, 50.0, 40.0, 40.0]})  # ghost
        labels.append({"pipeline": "cam", "batch": batch, "task": task, "frame": frame, "source": "vendor",
                       "vendor": vendor, "annotator": f"{vendor}-a1", "spec_version": spec,
                       "labeled_at": labeled_at, "scene": {"time_of_day": "night" if t % 2 else "day"},
                       "objects": objs})
        created = f"2026-03-{day:02d}T00:00:00Z"
        accepted_day = day + (3 if vendor == "beta" and t >= 8 else 1)
        common = {"task": task, "pipeline": "cam", "batch": batch, "vendor": vendor}
        events.append({**common, "event": "created", "at": created})
        events.append({**common, "event": "assigned", "at": f"2026-03-{day:02d}T01:00:00Z", "annotator": f"{vendor}-a1"})
        events.append({**common, "event": "submitted", "at": f"2026-03-{day:02d}T10:00:00Z", "annotator": f"{vendor}-a1",
                       "cost_usd": 2.0, "work_s": 600, "object_count": len(objs)})
        events.append({**common, "event": "accepted", "at": f"2026-03-{accepted_day:02d}T06:00:00Z"})
        if t % 3 == 0:
            fail = vendor == "beta" and t in (0, 3)
            audits.append({**common, "frame": frame, "annotator": f"{vendor}-a1", "auditor": "qa-1",
                           "at": f"2026-03-{accepted_day:02d}T08:00:00Z", "verdict": "fail" if fail else "pass",
                           "errors": [{"type": "missing", "severity": "major", "class": "cyclist"}] if fail else []})

for name, rows in (("labels.jsonl", labels), ("events.jsonl", events), ("audits.jsonl", audits)):
    with open(os.path.join(DATA, name), "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
