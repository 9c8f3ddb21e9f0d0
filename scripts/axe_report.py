"""Turn the axe-core results of the browser test into the table of docs/accessibility.md.

Usage: .venv/bin/python -m pytest tests/e2e/test_accessibility.py   (writes artifacts/axe-results.json)
       .venv/bin/python scripts/axe_report.py                       (prints the Markdown table)
"""
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

RESULTS = Path(__file__).resolve().parent.parent / "artifacts" / "axe-results.json"
IMPACTS = ("critical", "serious", "moderate", "minor")


def main(path: Path = RESULTS) -> None:
    runs = json.loads(path.read_text(encoding="utf-8"))
    rows: dict[tuple[str, str], Counter] = defaultdict(Counter)
    rules: dict[tuple[str, str], set[str]] = defaultdict(set)
    combos: dict[tuple[str, str], set[str]] = defaultdict(set)
    for run in runs:
        key = (run["seite"], run["teil"])
        combos[key].add(f"{run['geraet']}/{run['sprache']}")
        for v in run["verstoesse"]:
            rows[key][v["impact"]] += 1
            rules[key].add(f"{v['id']} ({v['impact']})")
    print("| Seite | Teil | geprüft | kritisch | schwer | mittel | gering | Regeln |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for key in sorted(combos, key=lambda k: (k[0], k[1] != "Seite")):
        counts = rows[key]
        print(f"| `{key[0]}` | {key[1]} | {', '.join(sorted(combos[key]))} | "
              + " | ".join(str(counts.get(i, 0)) for i in IMPACTS) + f" | {', '.join(sorted(rules[key])) or '–'} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS)
