"""The documentation's links resolve, and the front page stays a front page.

Every relative Markdown link ``[text](target)`` in README.md, docs/*.md and config/README.md
must name a file that exists relative to the linking file. A link with ``#anchor`` must name a
heading of the target Markdown file (the linking file itself for a bare ``#anchor``), by
GitHub's slug rules: lowercase, spaces to '-', punctuation other than '-' and '_' dropped, a
repeated slug numbered -1, -2, ... Links to http(s) and mailto addresses are not checked;
fenced code blocks and inline code are not read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "config" / "README.md"]

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*$", re.M)


def prose(page: Path) -> str:
    """The page's text without its fenced code blocks."""
    return FENCE.sub("", page.read_text(encoding="utf-8"))


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page``."""
    found: set[str] = set()
    for title in HEADING.findall(prose(page)):
        slug = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        anchor, repeat = slug, 0
        while anchor in found:
            repeat += 1
            anchor = f"{slug}-{repeat}"
        found.add(anchor)
    return found


def relative_links() -> list[tuple[Path, str]]:
    """(page, target) of every link of the pages that is not to a web or mail address."""
    return [
        (page, target)
        for page in PAGES
        for target in LINK.findall(INLINE_CODE.sub("", prose(page)))
        if not target.startswith(("http://", "https://", "mailto:"))
    ]


@pytest.mark.parametrize(
    "page, target", relative_links(),
    ids=lambda value: str(value.relative_to(REPO)) if isinstance(value, Path) else value,
)
def test_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{page.relative_to(REPO)}: {target}: no such file"
    if anchor and linked.suffix == ".md":
        assert anchor in anchors(linked), f"{page.relative_to(REPO)}: {target}: no such heading"


def test_the_readme_is_a_front_page_of_at_most_250_lines():
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_docs_has_at_least_four_pages():
    assert len(list((REPO / "docs").glob("*.md"))) >= 4
