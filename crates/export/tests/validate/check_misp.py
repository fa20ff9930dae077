"""Load exray's MISP events (a JSON array of {"Event": ...}) with PyMISP, as MISP would.

Checks: every event loads; every attribute survives with its uuid, type, category and value;
each (category, type) pair is one MISP's describeTypes allows; the TLP tag is kept; and the
events round-trip through PyMISP's own to_json. Exit 77 (skip) when PyMISP is not installed.
"""
import json
import sys

try:
    import pymisp
except ImportError as e:
    print(f"SKIP: pymisp is not installed ({e})")
    sys.exit(77)

events = json.load(open(sys.argv[1], encoding="utf-8"))
tlp = sys.argv[2] if len(sys.argv) > 2 else None
describe = pymisp.MISPAttribute().describe_types
mappings = describe["category_type_mappings"]
attributes = 0
for raw in events:
    ev = pymisp.MISPEvent()
    ev.load(json.dumps(raw))
    want = raw["Event"]["Attribute"]
    assert len(ev.attributes) == len(want), (len(ev.attributes), len(want))
    for a, w in zip(ev.attributes, want):
        assert (a.uuid, a.type, a.category, a.value) == (w["uuid"], w["type"], w["category"], w["value"]), (a, w)
        assert a.type in describe["types"], a.type
        assert a.type in mappings[a.category], (a.category, a.type)
        assert a.to_ids == w["to_ids"], a
    assert ev.uuid == raw["Event"]["uuid"]
    tags = [t.name for t in ev.tags]
    if tlp:
        assert tags == [f"tlp:{tlp}"], tags
    again = pymisp.MISPEvent()
    again.load(ev.to_json())
    assert [(a.uuid, a.value) for a in again.attributes] == [(a.uuid, a.value) for a in ev.attributes]
    attributes += len(ev.attributes)
print(f"OK: PyMISP {pymisp.__version__} loaded {len(events)} events, {attributes} attributes")
