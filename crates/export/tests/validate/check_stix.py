"""Validate an exray STIX 2.1 bundle with OASIS's stix2-validator (strict: warnings are errors,
the best-practice checks included) and parse it with OASIS's stix2 library, checking that every
cyber-observable's id is the one stix2 derives from its id-contributing properties (STIX 2.1
§2.9). Exit 77 (skip) when the validator is not installed.
"""
import json
import sys

try:
    import stix2validator
except ImportError as e:
    print(f"SKIP: stix2-validator is not installed ({e})")
    sys.exit(77)

text = open(sys.argv[1], encoding="utf-8").read()
options = stix2validator.ValidationOptions(version="2.1", strict=True)
results = stix2validator.validate_string(text, options)
if not results.is_valid:
    stix2validator.print_results(results)
    sys.exit(1)
objects = getattr(results, "object_results", None) or [results]
messages = [str(e) for o in objects for e in (o.errors or []) + (o.warnings or [])]
if messages:
    print("\n".join(messages))
    sys.exit(1)
checked = "validator only"
try:
    import stix2
except ImportError:
    stix2 = None
if stix2 is not None:
    bundle = json.loads(text)
    parsed = stix2.parse(text, allow_custom=False)
    assert len(parsed.objects) == len(bundle["objects"])
    scos = 0
    for o in bundle["objects"]:
        if o["type"] in ("ipv4-addr", "ipv6-addr", "file", "directory", "url", "domain-name", "software"):
            derived = stix2.parse({k: v for k, v in o.items() if k != "id"}, allow_custom=False)
            assert derived.id == o["id"], (o, derived.id)
            scos += 1
    checked = f"stix2 {stix2.__version__} parsed it, {scos} observable ids match"
print(f"OK: stix2-validator {stix2validator.__version__ if hasattr(stix2validator, '__version__') else ''} valid, {len(json.loads(text)['objects'])} objects; {checked}")
