#!/usr/bin/env python3
"""Check the markdown links of README.md and docs/*.md: every target exists and every #anchor matches a
heading, slugged as GitHub slugs them.  Usage: python docs/check_links.py [REPO_ROOT]"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*)$")
FENCE = re.compile(r"```.*?```", re.S)


def anchors(path: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1, -2… for repeats."""
    found: set[str] = set()
    seen: Counter[str] = Counter()
    for line in FENCE.sub("", path.read_text()).splitlines():
        match = HEADING.match(line)
        if match:
            slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
            found.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
            seen[slug] += 1
    return found


def problems(root: Path) -> tuple[int, list[str]]:
    checked, bad = 0, []
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for match in LINK.finditer(FENCE.sub("", page.read_text())):
            checked += 1
            target = match.group(1)
            if re.match(r"[a-z]+://", target):
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            name = page.relative_to(root)
            if not dest.exists():
                bad.append(f"{name}: {target}: no such file")
            elif anchor and anchor not in anchors(dest):
                bad.append(f"{name}: {target}: no heading #{anchor} in {dest.name}")
    return checked, bad


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    checked, bad = problems(root)
    print("\n".join([*bad, f"{checked} links checked, {len(bad)} broken"]))
    sys.exit(1 if bad else 0)
