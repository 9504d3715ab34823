"""Write docs/support-matrix.md from the support table: `python -m local_sagemaker.support_matrix`.

`--missing` prints, instead, a table line for every member that has none yet (ready to paste and edit).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from local_sagemaker.operations import OPERATIONS
from local_sagemaker.support.matrix import classify, own_row
from local_sagemaker.support.members import input_members
from local_sagemaker.support.rows import IMPLEMENTED, NO_LOCAL_EFFECT, REJECTED, Row
from local_sagemaker.support.table import ALIASES

DOC_PATH = "docs/support-matrix.md"
_STATUSES = (IMPLEMENTED, NO_LOCAL_EFFECT, REJECTED)

_INTRO = """# Support matrix of the local SageMaker service

Generated from `local_sagemaker/support/table.py` by `python -m local_sagemaker.support_matrix`; do not edit
by hand (`tests/unit/local_sagemaker/test_support_matrix.py` fails when this file is out of date).

Every member of the input shape of every operation the local service supports, as botocore's SageMaker model
defines it, is one of:

- **implemented** — the service does what SageMaker does with it; the named test proves it. Where only some
  values are supported, they are listed and any other value is refused with a `ValidationException` naming
  the member, the value and the supported values.
- **no local effect** — accepted because it means nothing on one machine (encryption keys, networks,
  instance types, billing); the reason is given.
- **rejected** — it has local meaning the service does not implement: a request that gives it is refused with
  `ValidationException: <member> is not supported by the local service: <why>`.

A row speaks for the members inside it where it says so ("and its N members"). Only client requests are
checked: jobs the service starts itself (the training jobs of a tuning job) are built from checked requests.

To change a row (say a rejected member gets implemented), edit its one line in the table to
`implemented("<Operation>", "<path>", "<test id>")`, run the command above, and run the test file: it names any
member inside the row that now needs a line of its own, and checks that the test id exists.
"""


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _details(row: Row, covered: int) -> str:
    parts = [row.note] if row.note else []
    if row.values:
        parts.append("supported: " + ", ".join(f"`{_shown(v)}`" for v in row.values))
    if covered:
        parts.append(f"and its {covered} member{'s' if covered != 1 else ''}")
    if row.test:
        parts.append(
            f"test: `{row.test.rsplit('::', 1)[-1]}` ({row.test.split('::', 1)[0].rsplit('/', 1)[-1]})"
        )
    # Markdown tables: a pipe ends a cell and <key> would be read as an HTML tag.
    return "; ".join(parts).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _section(operation: str) -> tuple[list[str], Counter[str]]:
    members = input_members(operation)
    counts: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    for member in members:
        row = classify(operation, member.path)
        assert row is not None, f"{operation} {member.path} is not classified"
        counts[row.status] += 1
        if own_row(operation, member.path) is None:
            covered[f"{row.operation} {row.path}"] += 1
    lines = [f"## {operation}", ""]
    aliases = [(prefix, source, src) for (op, prefix), (source, src) in ALIASES.items() if op == operation]
    for prefix, source, source_prefix in aliases:
        lines.append(
            f"Members under `{prefix}` without a row of their own take {source}'s rows under "
            f"`{source_prefix or 'its top level'}` (the service treats them alike); they are listed below."
        )
        lines.append("")
    if not members:
        return [*lines, "No request members.", ""], counts
    lines += ["| member | status | details |", "|---|---|---|"]
    for member in members:
        row = own_row(operation, member.path)
        if row is None:
            continue
        lines.append(
            f"| `{member.path}` | {row.status} | {_details(row, covered[f'{row.operation} {row.path}'])} |"
        )
    return [*lines, ""], counts


def render() -> str:
    sections = []
    summary = ["| operation | members | implemented | no local effect | rejected |", "|---|---|---|---|---|"]
    for operation in sorted(OPERATIONS):
        lines, counts = _section(operation)
        sections += lines
        summary.append(
            f"| [{operation}](#{operation.lower()}) | {sum(counts.values())} | "
            + " | ".join(str(counts[s]) for s in _STATUSES)
            + " |"
        )
    return "\n".join([_INTRO, *summary, "", *sections]).rstrip() + "\n"


def missing_lines() -> list[str]:
    """A `rejected(...)` line (the safe default) for the outermost members of supported operations without a row.

    A rejected row covers the members inside it; if one becomes implemented instead, run this again for them.
    """
    lines = []
    for operation in sorted(OPERATIONS):
        missing: set[str] = set()
        for member in input_members(operation):  # parents come before their members
            if classify(operation, member.path) is None:
                missing.add(member.path)
                if member.parent not in missing:
                    lines.append(
                        f'    rejected("{operation}", "{member.path}", "<why, and what to do instead>"),'
                    )
    return lines


def main(argv: list[str]) -> int:
    if argv[:1] == ["--missing"]:
        lines = missing_lines()
        print("\n".join(lines) if lines else "every member has a row")
        return 0
    target = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / DOC_PATH
    target.write_text(render())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
