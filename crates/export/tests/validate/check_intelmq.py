"""Feed exray's IntelMQ events (JSON lines) to IntelMQ's own event model: each key and value is
added to an intelmq.lib.message.Event without sanitation (so the value must already be what the
harmonization accepts), classification.taxonomy must be the one IntelMQ's taxonomy expert maps
the type to, and each event must survive IntelMQ's serialisation. Exit 77 (skip) when IntelMQ is
not installed.
"""
import json
import os
import sys

try:
    import intelmq
    from intelmq.lib.message import Event, MessageFactory
    from intelmq.bots.experts.taxonomy.expert import TAXONOMY
except ImportError as e:
    print(f"SKIP: intelmq is not installed ({e})")
    sys.exit(77)

with open(os.path.join(os.path.dirname(intelmq.__file__), "etc", "harmonization.conf")) as f:
    harmonization = json.load(f)
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    raw = json.loads(line)
    event = Event(harmonization=harmonization)
    for key, value in raw.items():
        event.add(key, value, sanitize=False)
    assert TAXONOMY[raw["classification.type"]] == raw["classification.taxonomy"], raw
    back = MessageFactory.unserialize(MessageFactory.serialize(event), harmonization=harmonization)
    assert back.to_dict(hierarchical=False) == event.to_dict(hierarchical=False)
    n += 1
print(f"OK: IntelMQ {intelmq.__version__} accepted {n} events")
