#!/usr/bin/env python3
"""Regenerate crates/catalog/data/{releases,families,decisions}.csv from the three public sources.

Usage: python3 crates/catalog/tools/gen_catalog.py [path/to/shared/data/builds]

The default source path is ../shared/data/builds relative to the workspace root. The output is
deterministic; the committed CSV files are the result of running this script. Every disagreement
between the sources is decided in DECISIONS below (and explained in crates/catalog/DECISIONS.md);
the script stops if it meets a disagreement that has no decision.
"""
import csv
import html
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)
WORKSPACE = os.path.dirname(os.path.dirname(CRATE))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(WORKSPACE, "..", "shared", "data", "builds")
MS = os.path.join(SRC, "MicrosoftDocs-OfficeDocs-Exchange/Exchange/ExchangeServer/new-features/build-numbers-and-release-dates.md")
XASZ = os.path.join(SRC, "xasz-exchange-version-table/data/data.json")
CSS = os.path.join(SRC, "derived/css-exchange-build-dictionary.csv")

MONTHS = {m: i + 1 for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"])}
ABBR = {m[:3]: i for m, i in MONTHS.items()}

# Decisions on source disagreements: (source, source name, source build) -> (catalogue build, reason id)
DECISIONS = {
    ("ms", "2010|SP2|RU5", "14.3.328.5"): ("14.2.328.5", "D1"),
    ("xasz", "2010|SP2|RU5", "14.3.328.5"): ("14.2.328.5", "D1"),
    ("css", "2016|CU8|Mar21SU", "15.1.1415.8"): ("15.1.1415.10", "D2"),
    ("css", "2016|CU9|Mar21SU", "15.1.1466.13"): ("15.1.1466.16", "D2"),
}
# KBs that EXCHANGE-NOTES.md names for an update wave where the sources give none (D5).
NOTES_KBS = {"Nov22SU": "KB5019758"}
# CSS names the same build twice (the Feb19SU did not raise ExSetup's version): alias, not a new row.


def norm_build(b):
    parts = [int(p) for p in b.strip().split(".")]
    return ".".join(str(p) for p in parts)


def key_of(b):
    return tuple(int(p) for p in b.split("."))


def parse_name(raw):
    """Return (product, cu, update) from a Microsoft/xasz product name, or None if out of scope."""
    name = html.unescape(raw).replace("\xa0", " ").strip()
    name = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", name).strip()
    name = re.sub(r"\s*\((recalled|\d{4}H\d)\)\s*", " ", name).strip()
    m = re.match(r"Update Rollup (\d+)(?:[ -]?(v\d))? (?:for )?Exchange Server 2010(?: (SP\d))?", name)
    if m:
        return ("2010", m.group(3) or "RTM", "RU" + m.group(1) + (m.group(2) or ""))
    m = re.match(r"Exchange Server (2010|2013|2016|2019|SE) (RTM|Preview|SP\d|CU\d+)(?: (\w+))?$", name)
    if m:
        return (m.group(1), m.group(2), m.group(3) or "")
    return None


def ms_rows():
    rows = []
    text = open(MS, encoding="utf-8").read()
    for line in text.splitlines():
        if not line.startswith("|") or "Build number" in line or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0]:
            continue
        kb = ""
        m = re.search(r"support\.microsoft\.com/help/(\d+)", cells[0])
        if m:
            kb = "KB" + m.group(1)
        parsed = parse_name(cells[0])
        if parsed is None:
            continue
        d = re.match(r"(\w+) (\d+), (\d{4})", cells[1])
        date = "%s-%02d-%02d" % (d.group(3), MONTHS[d.group(1)], int(d.group(2))) if d else ""
        rows.append(dict(src="ms", key="|".join(parsed), build=norm_build(cells[2]), date=date, kb=kb))
    return rows


def xasz_rows():
    rows = []
    for r in json.load(open(XASZ, encoding="utf-8"))["Releases"]:
        parsed = parse_name(r["ProductName"])
        if parsed is None:
            continue
        short, long_ = norm_build(r["BuildNumberShort"]), norm_build(r["BuildNumberLong"])
        if short != long_:
            raise SystemExit("xasz short/long disagree: %r" % r)
        rows.append(dict(src="xasz", key="|".join(parsed), build=short, date=r["Date"][:10], kb=""))
    return rows


def css_rows():
    rows = []
    for r in csv.DictReader(open(CSS, encoding="utf-8")):
        product = r["product"].replace("Exchange", "")
        cu = r["cu"]
        if product == "2013" and cu == "CU4":
            cu = "SP1"  # D4: Exchange 2013 SP1 is CU4
        rows.append(dict(src="css", key="|".join((product, cu, r["update"])), build=norm_build(r["build"]),
                         date="", kb=""))
    return rows


def main():
    all_rows = ms_rows() + xasz_rows() + css_rows()
    by_key = {}
    for r in all_rows:
        by_key.setdefault(r["key"], []).append(r)
    releases = {}  # key -> dict
    decisions = []
    problems = []
    for key, rs in by_key.items():
        builds = {}
        for r in rs:
            b = r["build"]
            d = DECISIONS.get((r["src"], key, b))
            if d:
                decisions.append((r["src"], key, b, d[0], d[1]))
                b = d[0]
            builds.setdefault(b, []).append(r["src"])
        if len(builds) != 1:
            problems.append("%s: %r" % (key, builds))
            continue
        build = next(iter(builds))
        dates = sorted({r["date"] for r in rs if r["date"]})
        if len(dates) > 1:
            problems.append("%s: dates %r" % (key, dates))
        kbs = sorted({r["kb"] for r in rs if r["kb"]})
        product, cu, upd = key.split("|")
        if not kbs and upd in NOTES_KBS and product in ("2013", "2016", "2019"):
            kbs = [NOTES_KBS[upd]]
        date = dates[0] if dates else ""
        note = ""
        if not date and upd:
            m = re.match(r"([A-Z][a-z]{2})(\d{2})(SU|HU)", upd)
            if m:
                date = "20%s-%02d" % (m.group(2), ABBR[m.group(1)])
                note = "date: month from the update name"
        srcs = sorted({r["src"] for r in rs}, key=["ms", "xasz", "css"].index)
        releases[key] = dict(product=product, cu=cu, update=upd, build=build, date=date,
                             kb=";".join(kbs), sources=";".join(srcs), note=note)
    # Two names for one build (CSS Feb19SU rows): keep the CU row, record the alias.
    by_build = {}
    for key, r in releases.items():
        by_build.setdefault(r["build"], []).append(key)
    for build, keys in by_build.items():
        if len(keys) > 1:
            keys.sort(key=lambda k: releases[k]["update"] != "")
            base, others = keys[0], keys[1:]
            for o in others:
                if releases[base]["update"] != "" or releases[o]["sources"] != "css":
                    problems.append("build %s named %r" % (build, keys))
                    continue
                releases[base]["note"] = ("also named %s by CSS-Exchange (same build)" % releases[o]["update"])
                decisions.append(("css", o, build, build, "D3"))
                del releases[o]
    if problems:
        print("UNDECIDED DISAGREEMENTS:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    out = sorted(releases.values(), key=lambda r: key_of(r["build"]))
    with open(os.path.join(CRATE, "data", "releases.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("# Exchange builds 2010 RTM .. Exchange SE. Generated by tools/gen_catalog.py; see DECISIONS.md.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["product", "cu", "update", "build", "date", "kb", "sources", "note"])
        for r in out:
            w.writerow([r[k] for k in ["product", "cu", "update", "build", "date", "kb", "sources", "note"]])
    with open(os.path.join(CRATE, "data", "decisions.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("# Source rows the catalogue deliberately does not copy as given. Generated; see DECISIONS.md.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["source", "release", "source_build", "catalogue_build", "decision"])
        for d in sorted(set(decisions)):
            w.writerow(d)
    write_families(releases)
    print("releases: %d, decisions: %d" % (len(out), len(set(decisions))))


# CVE families: (family, cves, fixing update name, {product: first CU that includes the fix}, sources)
FAMILIES = [
    ("proxylogon", "CVE-2021-26855 CVE-2021-26857 CVE-2021-26858 CVE-2021-27065", "Mar21SU",
     {"2016": "CU20", "2019": "CU9", "SE": "RTM"}),
    ("proxyshell", "CVE-2021-34473 CVE-2021-34523", "Apr21SU", {"2016": "CU21", "2019": "CU10", "SE": "RTM"}),
    ("proxyshell", "CVE-2021-31207", "May21SU", {"2016": "CU21", "2019": "CU10", "SE": "RTM"}),
    ("proxynotshell", "CVE-2022-41040 CVE-2022-41082", "Nov22SU", {"2019": "CU13", "SE": "RTM"}),
    ("owassrf", "CVE-2022-41080", "Nov22SU", {"2019": "CU13", "SE": "RTM"}),
    ("feb23-rce", "CVE-2023-21529 CVE-2023-21706", "Feb23SU", {"2019": "CU13", "SE": "RTM"}),
    ("cve-2024-21410", "CVE-2024-21410", "Mar24SU", {"2019": "CU14", "SE": "RTM"}),
]
# Rows written by hand (facts from EXCHANGE-NOTES.md section 5 and the CVE records; see DECISIONS.md).
MANUAL = [
    ("proxylogon", "CVE-2021-26857", "2010", "SP3", "su", "RU32"),
    ("proxylogon", "CVE-2021-26855 CVE-2021-26858 CVE-2021-27065", "2010", "", "not_affected", ""),
]
UNASSESSED = {  # family -> products Microsoft did not list (out of support when the fix shipped)
    "proxyshell": ["2010"], "proxynotshell": ["2010"], "owassrf": ["2010"], "feb23-rce": ["2010"],
    "cve-2024-21410": ["2010", "2013"],
}
# CVE-2024-21410 on 2016 is fixed by Mar24SU on CU23 only; 2019 CU13 never got a fix (upgrade to CU14).
ONLY_PRODUCTS = {"cve-2024-21410": {"2016"}}


def write_families(releases):
    rows = []
    for fam, cves, upd, included in FAMILIES:
        for key, r in sorted(releases.items(), key=lambda kv: key_of(kv[1]["build"])):
            if r["update"] == upd and r["product"] not in ("2010",) and \
                    (fam not in ONLY_PRODUCTS or r["product"] in ONLY_PRODUCTS[fam]):
                disputed = ""
                for (src, k, sb), (cb, why) in DECISIONS.items():
                    if k == key and why == "D2":
                        disputed = sb
                rows.append([fam, cves, r["product"], r["cu"], "su", r["build"], upd, disputed])
        for product, cu in included.items():
            k = "%s|%s|" % (product, cu)
            if k not in releases:
                raise SystemExit("no release %s" % k)
            rows.append([fam, cves, product, cu, "included", releases[k]["build"], "", ""])
        for product in UNASSESSED.get(fam, []):
            rows.append([fam, cves, product, "", "unassessed", "", "", ""])
    for fam, cves, product, cu, kind, upd in MANUAL:
        b = ""
        if kind == "su":
            b = releases["%s|%s|%s" % (product, cu, upd)]["build"]
        rows.append([fam, cves, product, cu, kind, b, upd, ""])
    with open(os.path.join(CRATE, "data", "families.csv"), "w", newline="", encoding="utf-8") as f:
        f.write("# CVE families: fixed build per CU (su), first CU that includes the fix (included),\n"
                "# products not affected / not assessed by Microsoft. Generated; see DECISIONS.md.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["family", "cves", "product", "cu", "kind", "build", "update", "disputed_from"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
