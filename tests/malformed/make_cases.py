#!/usr/bin/env python3
# Writes the malformed-input corpus: cases/<name>.jsonl and its expected outcome cases/<name>.expect
# (counts and "line N: reason fragment" per rejected record), stated by hand from shared/FORMAT.md.
# Run it after editing a case; commit its output.
import os
import os.path
D=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
CAM='{"pipeline":"cam","batch":"b1","task":"t1","frame":"f1","source":"vendor","vendor":"acme","annotator":"a1","objects":[{"id":"o1","class":"car","box2d":[10,20,30,40]},{"id":"o2","class":"bus","box2d":[50,60,70,80]}]}'
CAM2='{"pipeline":"cam","batch":"b1","task":"t1","frame":"f2","source":"vendor","vendor":"acme","annotator":"a1","objects":[{"id":"o1","class":"car","box2d":[1,2,3,4]}]}'
LIDAR='{"pipeline":"lidar","batch":"b2","task":"t2","frame":"s1/001","timestamp":1730455351.2,"source":"vendor","vendor":"acme","annotator":"a2","objects":[{"id":"o7","track":"k1","class":"car","box3d":[12.1,-3.4,0.9,4.5,1.9,1.6,0.1],"num_points":57}]}'
MODEL='{"pipeline":"lidar","task":"t2","frame":"s1/001","timestamp":1730455351.2,"source":"model","model":"m1","objects":[{"id":"p1","class":"car","box3d":[12.0,-3.3,0.9,4.4,1.9,1.6,0.1],"score":0.9}]}'
LANES='{"pipeline":"lanes","batch":"b3","task":"t3","frame":"f3","source":"vendor","vendor":"acme","annotator":"a3","objects":[{"id":"l1","class":"lane","polyline":[[0,0],[10,1],[20,3]]}]}'
TAGS='{"pipeline":"tags","batch":"b4","task":"t4","frame":"f4","source":"vendor","vendor":"acme","annotator":"a4","tags":{"weather":"rain","night":true},"objects":[]}'
EVENT='{"task":"t1","pipeline":"cam","batch":"b1","event":"submitted","at":"2026-11-02T08:00:00Z","vendor":"acme","annotator":"a1","cost_usd":4.2,"work_s":1260,"object_count":2}'
AUDIT='{"task":"t1","frame":"f1","pipeline":"cam","auditor":"qa-1","at":"2026-11-03T09:12:00Z","verdict":"fail","errors":[{"object":"o1","type":"size","severity":"minor"}]}'

def sub(base, a, b):
    assert base.count(a) == 1, (a, base)
    return base.replace(a, b)

cases = []
def case(name, desc, body, bad, read=None, rows=None, binary=False):
    """bad: list of (line, fragment). body: bytes or str written as-is."""
    cases.append((name, desc, body, bad, read, rows))

def lines(*ls, end='\n'):
    return '\n'.join(ls) + end

case('empty-file', 'an empty file: nothing read', '', [], read=0)
case('only-blank-lines', 'blank and white-space-only lines are skipped, not records', '\n\n   \n\t\n\r\n', [], read=0)
case('missing-final-newline', 'the last line has no newline: still a record', lines(CAM, CAM2, end=''), [], read=2)
case('crlf-line-endings', 'CRLF line endings', CAM + '\r\n' + LIDAR + '\r\n', [], read=2)
case('blank-lines-between', 'blank lines between records keep line numbers', lines('', CAM, '', '', 'not json', '', LIDAR), [(5, 'invalid JSON')], read=3)
case('all-kinds-good', 'one good record of each kind and geometry', lines(CAM, LIDAR, MODEL, LANES, TAGS, EVENT, AUDIT), [], read=7)
case('truncated-line', 'the file ends in the middle of a record (no newline)', CAM + '\n' + CAM2[:70], [(2, 'invalid JSON')], read=2)
case('truncated-line-mid-file', 'a record cut short, then more records', lines(CAM[:100], CAM2), [(1, 'invalid JSON')], read=2)
case('good-after-bad', 'good records after bad ones are still accepted', lines('{', '[]', CAM, 'garbage', LIDAR), [(1, 'invalid JSON'), (2, 'must be a JSON object'), (4, 'invalid JSON')], read=5)
case('invalid-utf8', 'a byte that is not UTF-8 inside a string', (CAM.replace('"a1"', '"a\xff1"') + '\n' + CAM2 + '\n').encode('latin-1'), [(1, 'UTF-8')], read=2)
case('invalid-utf8-overlong', 'an overlong UTF-8 encoding of "/"', (CAM.replace('"a1"', '"a\xc0\xaf1"') + '\n').encode('latin-1'), [(1, 'UTF-8')], read=1)
case('utf8-cut-inside-character', 'a 3-byte character cut after 2 bytes', (CAM.replace('"a1"', '"a\xe2\x82"') + '\n').encode('latin-1'), [(1, 'UTF-8')], read=1)
case('valid-unicode', 'escaped and raw non-ASCII text is fine', lines(CAM.replace('"a1"', '"a\\u00e9\\ud83d\\ude97 caf\u00e9 \u8eca"')), [], read=1)
case('lone-surrogate-escape', 'a lone UTF-16 surrogate escape is not a character', lines(CAM.replace('"a1"', '"\\ud800"'), CAM2), [(1, 'invalid JSON')], read=2)
case('nan-literal', 'NaN is not JSON', lines(sub(CAM, '[10,20,30,40]', '[NaN,20,30,40]')), [(1, 'NaN is not a JSON number')], read=1)
case('infinity-literal', 'Infinity and -Infinity are not JSON', lines(sub(CAM, '[10,20,30,40]', '[10,20,Infinity,40]'), sub(LIDAR, '1730455351.2', '-Infinity')), [(1, 'Infinity is not a JSON number'), (2, '-Infinity is not a JSON number')], read=2)
case('huge-exponent', '1e999 overflows a double: numbers must be finite', lines(sub(CAM, '[10,20,30,40]', '[10,20,1e999,40]'), sub(LIDAR, '1730455351.2', '-1e400')), [(1, 'number 1e999 in field "box2d" is out of range'), (2, 'number -1e400 in field "timestamp" is out of range')], read=2)
case('huge-integer', 'an integer beyond 64 bits', lines(sub(LIDAR, '"num_points":57', '"num_points":123456789012345678901234567890')), [(1, 'integer 123456789012345678901234567890 in field "num_points" does not fit in 64 bits')], read=1)
case('huge-finite-number', 'a large but finite number is a number', lines(sub(CAM, '[10,20,30,40]', '[10,20,1.7e308,40]')), [], read=1)
case('tiny-number-underflows-to-zero', '4e-400 reads as 0, and a zero width is refused', lines(sub(CAM, '[10,20,30,40]', '[10,20,4e-400,40]')), [(1, 'object "o1": box2d width must be > 0 (got 0)')], read=1)
case('malformed-number', 'leading zeros and a bare minus are not JSON numbers', lines(sub(CAM, '[10,20,30,40]', '[010,20,30,40]'), sub(CAM2, '[1,2,3,4]', '[1,2,3,4.]')), [(1, 'malformed number 010'), (2, 'malformed number 4.')], read=2)
case('negative-size-box2d', 'a negative width', lines(sub(CAM, '[50,60,70,80]', '[50,60,-70,80]')), [(1, 'object "o2": box2d width must be > 0 (got -70)')], read=1)
case('zero-size-box2d', 'a zero height', lines(sub(CAM, '[10,20,30,40]', '[10,20,30,0]')), [(1, 'object "o1": box2d height must be > 0 (got 0)')], read=1)
case('negative-size-box3d', "STYLE.md's example", lines(sub(LIDAR, '[12.1,-3.4,0.9,4.5,1.9,1.6,0.1]', '[12.1,-3.4,0.9,-1.2,1.9,1.6,0.1]')), [(1, 'object "o7": box3d length must be > 0 (got -1.2)')], read=1)
case('zero-size-box3d', 'a zero height', lines(sub(LIDAR, '[12.1,-3.4,0.9,4.5,1.9,1.6,0.1]', '[12.1,-3.4,0.9,4.5,1.9,0,0.1]')), [(1, 'object "o7": box3d height must be > 0 (got 0)')], read=1)
case('box-arity', 'a box2d of 3 numbers, a box3d of 8', lines(sub(CAM, '[10,20,30,40]', '[10,20,30]'), sub(LIDAR, '[12.1,-3.4,0.9,4.5,1.9,1.6,0.1]', '[12.1,-3.4,0.9,4.5,1.9,1.6,0.1,0]')), [(1, 'object "o1": box2d must have 4 numbers (got 3)'), (2, 'object "o7": box3d must have 7 numbers (got 8)')], read=2)
case('number-as-string', 'a coordinate written as a string', lines(sub(CAM, '[10,20,30,40]', '[10,"20",30,40]')), [(1, 'object "o1": box2d value 2 must be a number (got string)')], read=1)
case('wrong-geometry', 'a box3d in a box2d pipeline', lines(sub(CAM, '"box2d":[10,20,30,40]', '"box3d":[1,2,0.5,4,2,1.5,0]')), [(1, 'object "o1": geometry "box3d" does not match pipeline "cam"')], read=1)
case('two-geometries', 'an object with two geometry keys', lines(sub(CAM, '"box2d":[10,20,30,40]', '"box2d":[10,20,30,40],"polyline":[[0,0],[1,1]]')), [(1, 'object "o1": more than one geometry key')], read=1)
case('no-geometry', 'an object without geometry', lines(sub(CAM, ',"box2d":[10,20,30,40]', '')), [(1, 'object "o1": missing geometry')], read=1)
case('unknown-pipeline', 'a pipeline that gtops.toml does not declare', lines(sub(CAM, '"pipeline":"cam"', '"pipeline":"radar"'), sub(EVENT, '"pipeline":"cam"', '"pipeline":"radar"')), [(1, 'unknown pipeline "radar"'), (2, 'unknown pipeline "radar"')], read=2)
case('duplicate-object-ids', 'two objects with one id', lines(sub(CAM, '"id":"o2"', '"id":"o1"')), [(1, 'object "o1": duplicate object id')], read=1)
case('duplicate-record-key', 'a field given twice', lines(sub(CAM, '"frame":"f1"', '"frame":"f1","frame":"f9"')), [(1, 'duplicate key "frame"')], read=1)
case('duplicate-identity', 'the same labels twice: the second replaces the first (one row)', lines(CAM, CAM), [], read=2, rows=1)
case('deep-nesting-small', '100 nested arrays in an unknown field are allowed', lines(sub(CAM, '"task":"t1"', '"task":"t1","x":' + '[' * 100 + ']' * 100)), [], read=1)
case('not-an-object', 'JSON values that are not objects', lines('[1,2,3]', '"text"', '42', 'null', 'true'), [(1, 'must be a JSON object (got array)'), (2, 'must be a JSON object (got string)'), (3, 'must be a JSON object (got number)'), (4, 'must be a JSON object (got null)'), (5, 'must be a JSON object (got boolean)')], read=5)
case('empty-object', '{} has no discriminating key', lines('{}'), [(1, 'no discriminating key')], read=1)
case('several-kinds', 'one record with objects and event', lines(sub(EVENT, '"event":', '"objects":[],"event":')), [(1, 'more than one discriminating key')], read=1)
case('trailing-garbage', 'text after the object', lines(CAM + ' x', CAM + ','), [(1, 'invalid JSON'), (2, 'invalid JSON')], read=2)
case('two-objects-on-a-line', 'two records on one line', lines(CAM + CAM2), [(1, 'invalid JSON')], read=1)
case('single-quotes', 'single-quoted strings are not JSON', lines(sub(CAM, '"pipeline":"cam"', "'pipeline':'cam'")), [(1, 'invalid JSON')], read=1)
case('bom-at-file-start', 'a UTF-8 byte order mark before the first record', ('\ufeff' + CAM + '\n' + CAM2 + '\n').encode('utf-8'), [(1, 'byte order mark')], read=2)
case('nul-bytes', 'NUL bytes outside and inside strings', (CAM.replace('"t1"', '"t\x001"') + '\n' + '{\x00}\n' + CAM2 + '\n').encode('latin-1'), [(1, 'invalid JSON'), (2, 'invalid JSON')], read=3)
case('control-characters', 'raw control characters in a string must be escaped', (CAM.replace('"a1"', '"a\x01\x1b1"') + '\n' + CAM2.replace('"f2"', '"f\t2"') + '\n').encode('latin-1'), [(1, 'invalid JSON'), (2, 'invalid JSON')], read=2)
case('form-feed-and-vertical-tab', 'white space JSON does not allow between tokens', ('{\x0c"a":1}\n{\x0b"a":1}\n').encode('latin-1'), [(1, 'invalid JSON'), (2, 'invalid JSON')], read=2)
case('carriage-return-only-endings', 'old Mac line ends: one line holding several records', lines(CAM + '\r' + CAM2), [(1, 'invalid JSON')], read=1)
case('missing-pipeline', 'no pipeline', lines(sub(CAM, '"pipeline":"cam",', '')), [(1, 'missing required field "pipeline"')], read=1)
case('missing-task', 'no task', lines(sub(CAM, '"task":"t1",', '')), [(1, 'missing required field "task"')], read=1)
case('missing-frame', 'no frame', lines(sub(CAM, '"frame":"f1",', '')), [(1, 'missing required field "frame"')], read=1)
case('missing-source', 'no source', lines(sub(CAM, '"source":"vendor",', '')), [(1, 'missing required field "source"')], read=1)
case('consensus-source', 'input may not claim the consensus source', lines(sub(MODEL, '"source":"model"', '"source":"consensus"')), [(1, 'field "source" must be "vendor", "gold" or "model" (got "consensus")')], read=1)
case('vendor-without-batch', 'vendor records need batch', lines(sub(CAM, '"batch":"b1",', '')), [(1, 'missing required field "batch"')], read=1)
case('vendor-without-annotator', 'vendor records need annotator', lines(sub(CAM, '"annotator":"a1",', '')), [(1, 'missing required field "annotator"')], read=1)
case('model-without-model', 'model records need model', lines(sub(MODEL, '"model":"m1",', '')), [(1, 'missing required field "model"')], read=1)
case('tracking-without-timestamp', 'tracking pipelines need timestamp', lines(sub(LIDAR, '"timestamp":1730455351.2,', '')), [(1, 'missing required field "timestamp"')], read=1)
case('tracking-without-track', 'vendor objects of tracking pipelines need track', lines(sub(LIDAR, '"track":"k1",', '')), [(1, 'object "o7": missing required field "track"')], read=1)
case('missing-class', 'an object without class', lines(sub(CAM, '"class":"bus",', '')), [(1, 'object "o2": missing required field "class"')], read=1)
case('missing-object-id', 'an object without id', lines(sub(CAM, '"id":"o2",', '')), [(1, 'objects[1]: missing required field "id"')], read=1)
case('objects-not-array', 'objects must be an array', lines(sub(TAGS, '"objects":[]', '"objects":{}')), [(1, 'field "objects" must be an array (got object)')], read=1)
case('object-not-object', 'an element of objects that is not an object', lines(sub(CAM, '"objects":[', '"objects":["o0",')), [(1, 'objects[0] must be an object (got string)')], read=1)
case('polyline-one-point', 'a polyline needs 2 points', lines(sub(LANES, '[[0,0],[10,1],[20,3]]', '[[0,0]]')), [(1, 'object "l1": polyline must have at least 2 points (got 1)')], read=1)
case('polyline-mixed-dims', 'all points 2D or all 3D', lines(sub(LANES, '[[0,0],[10,1],[20,3]]', '[[0,0],[10,1,0],[20,3]]')), [(1, 'object "l1": polyline point 2 has 3 coordinates but point 1 has 2')], read=1)
case('score-missing', 'model objects need score', lines(sub(MODEL, ',"score":0.9', '')), [(1, 'object "p1": missing required field "score"')], read=1)
case('score-out-of-range', 'score lies in [0, 1]', lines(sub(MODEL, '"score":0.9', '"score":1.5')), [(1, 'object "p1": score must be in [0, 1] (got 1.5)')], read=1)
case('score-on-vendor', 'only model objects carry score', lines(sub(CAM, '"class":"bus"', '"class":"bus","score":0.5')), [(1, 'object "o2": "score" is only for model records')], read=1)
case('num-points-negative', 'num_points >= 0', lines(sub(LIDAR, '"num_points":57', '"num_points":-5')), [(1, 'object "o7": field "num_points" must be >= 0 (got -5)')], read=1)
case('num-points-fraction', 'num_points is an integer', lines(sub(LIDAR, '"num_points":57', '"num_points":5.5')), [(1, 'object "o7": field "num_points" must be an integer (got 5.5)')], read=1)
case('scene-nested-value', 'scene values are scalars', lines(sub(CAM, '"task":"t1"', '"task":"t1","scene":{"weather":{"kind":"rain"}}')), [(1, 'scene "weather" must be a string, number or boolean (got object)')], read=1)
case('attribute-null-value', 'attribute values are scalars', lines(sub(CAM, '"class":"bus"', '"class":"bus","attributes":{"occluded":null}')), [(1, 'object "o2": attribute "occluded" must be a string, number or boolean (got null)')], read=1)
case('tags-missing', 'tags pipelines need tags', lines(sub(TAGS, '"tags":{"weather":"rain","night":true},', '')), [(1, 'missing required field "tags"')], read=1)
case('tags-on-box-pipeline', 'only tags pipelines carry tags', lines(sub(CAM, '"objects":', '"tags":{"a":1},"objects":')), [(1, 'field "tags" is only for pipelines with geometry "tags"')], read=1)
case('objects-in-tags-pipeline', 'tags pipelines have no objects', lines(sub(TAGS, '"objects":[]', '"objects":[{"id":"o1","class":"car","box2d":[1,1,2,2]}]')), [(1, 'object "o1": pipeline "tags" has geometry "tags": its objects must be empty')], read=1)
case('ignore-on-vendor', 'ignore regions are for gold', lines(sub(CAM, '"objects":', '"ignore":[[0,0,5,5]],"objects":')), [(1, 'field "ignore" is only for gold records (source is "vendor")')], read=1)
case('ego-pose-five-numbers', 'ego_pose has 4 or 7 numbers', lines(sub(LIDAR, '"objects":', '"ego_pose":[1,2,3,4,5],"objects":')), [(1, 'field "ego_pose" must be [x, y, z, yaw] or [x, y, z, qw, qx, qy, qz]')], read=1)
case('labeled-at-not-rfc3339', 'labeled_at is RFC 3339', lines(sub(CAM, '"objects":', '"labeled_at":"11/01/2026","objects":')), [(1, 'field "labeled_at" must be an RFC 3339 date-time')], read=1)
case('null-optional-field', 'null is not a string', lines(sub(CAM, '"objects":', '"spec_version":null,"objects":')), [(1, 'field "spec_version" must be a string (got null)')], read=1)
case('event-unknown-kind', 'event kinds are the nine of FORMAT.md', lines(sub(EVENT, '"event":"submitted"', '"event":"approved"')), [(1, 'field "event" must be one of')], read=1)
case('event-missing-at', 'events need at', lines(sub(EVENT, '"at":"2026-11-02T08:00:00Z",', '')), [(1, 'missing required field "at"')], read=1)
case('event-bad-due', 'due is RFC 3339', lines(sub(EVENT, '"event":"submitted"', '"event":"created","due":"next week"')), [(1, 'field "due" must be an RFC 3339 date-time')], read=1)
case('event-negative-cost', 'cost_usd >= 0', lines(sub(EVENT, '"cost_usd":4.2', '"cost_usd":-4.2')), [(1, 'field "cost_usd" must be >= 0 (got -4.2)')], read=1)
case('event-negative-work', 'work_s >= 0', lines(sub(EVENT, '"work_s":1260', '"work_s":-1')), [(1, 'field "work_s" must be >= 0 (got -1)')], read=1)
case('event-fractional-object-count', 'object_count is an integer', lines(sub(EVENT, '"object_count":2', '"object_count":2.5')), [(1, 'field "object_count" must be an integer (got 2.5)')], read=1)
case('audit-bad-verdict', 'verdict is pass or fail', lines(sub(AUDIT, '"verdict":"fail"', '"verdict":"ok"')), [(1, 'field "verdict" must be "pass" or "fail" (got "ok")')], read=1)
case('audit-missing-errors', 'audits need errors (may be empty)', lines(sub(AUDIT, ',"errors":[{"object":"o1","type":"size","severity":"minor"}]', '')), [(1, 'missing required field "errors"')], read=1)
case('audit-missing-auditor', 'audits need auditor', lines(sub(AUDIT, '"auditor":"qa-1",', '')), [(1, 'missing required field "auditor"')], read=1)
case('audit-error-bad-type', 'error types are the taxonomy', lines(sub(AUDIT, '"type":"size"', '"type":"typo"')), [(1, 'errors[0]: error type "typo" is not in the taxonomy')], read=1)
case('audit-error-bad-severity', 'severities are minor, major, critical', lines(sub(AUDIT, '"severity":"minor"', '"severity":"low"')), [(1, 'errors[0]: severity must be "minor", "major" or "critical" (got "low")')], read=1)
case('mixed-good-and-bad', 'a realistic delivery: most good, a few bad, in every kind', lines(CAM, sub(CAM2, '[1,2,3,4]', '[1,2,-3,4]'), LIDAR, '', EVENT, sub(EVENT, '"at":"2026-11-02T08:00:00Z"', '"at":"2026-11-02"'), AUDIT, sub(AUDIT, '"verdict":"fail"', '"verdict":"FAIL"'), TAGS), [(2, 'object "o1": box2d width must be > 0 (got -3)'), (6, 'field "at" must be an RFC 3339 date-time'), (8, 'field "verdict" must be "pass" or "fail"')], read=8)
case('utf8-encoded-surrogate', 'a UTF-16 surrogate encoded as UTF-8 bytes (CESU) is not UTF-8', (CAM.replace('"a1"', '"a\xed\xa0\x801"') + '\n').encode('latin-1'), [(1, 'UTF-8')], read=1)
case('utf8-beyond-unicode', 'a 4-byte sequence above U+10FFFF', (CAM.replace('"a1"', '"a\xf4\x90\x80\x801"') + '\n').encode('latin-1'), [(1, 'UTF-8')], read=1)

os.makedirs(D, exist_ok=True)
for name, desc, body, bad, read, rows in cases:
    data = body if isinstance(body, bytes) else body.encode('utf-8')
    open(f'{D}/{name}.jsonl', 'wb').write(data)
    q = len(bad)
    out = [f'# {desc}', f'read {read}', f'accepted {read - q}', f'quarantined {q}']
    if rows is not None: out.append(f'rows {rows}')
    for ln, frag in bad: out.append(f'line {ln}: {frag}')
    open(f'{D}/{name}.expect', 'w').write('\n'.join(out) + '\n')
print(len(cases))
