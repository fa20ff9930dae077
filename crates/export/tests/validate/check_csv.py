"""Read exray's CSV export with Python's csv module (what spreadsheet importers follow): the
header is exray's, every row has its width, no field starts with a formula character, and the
values given as extra arguments (expected "column=value") are found as whole fields.
"""
import csv
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
assert header[:2] == ["organisation", "report_id"], header
for n, row in enumerate(body, 2):
    assert len(row) == len(header), (n, row)
    for field in row:
        assert not field.startswith(("=", "+", "-", "@", "\t", "\r")), (n, field)
for want in sys.argv[2:]:
    column, value = want.split("=", 1)
    i = header.index(column)
    assert any(row[i] == value for row in body), (want, [row[i] for row in body])
print(f"OK: Python's csv module read {len(body)} rows of {len(header)} fields")
