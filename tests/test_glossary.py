"""The glossary in 00_index promises each term's Korean name in the lesson that introduces it.

The glossary is a markdown table ``| English | 한국어 | lesson |`` with one term per row. For
every row, the lesson's markdown must hold the English term and its Korean name in the same
paragraph (a paragraph, a list item or a table row), at most ``NEAR`` characters apart, so a
reader meets both together ("**velocity** (속도)", "first moment (the mean, 1차 모멘트)"). Text
in parentheses in either column is an optional alternative ("기울기 (그래디언트)": 기울기 is
required) and is not checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HEADER = re.compile(r"^\|\s*English\s*\|\s*한국어\s*\|\s*lesson\s*\|\s*$")
NEAR = 60  # characters between the English term and the Korean name, at most
BLOCK_START = re.compile(r"^\s*(?:[*+-]\s|\d+\.\s|\|)")  # list item or table row


def _markdown(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def _lesson(number: str) -> Path:
    found = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))
    assert len(found) == 1, f"expected one notebook {number}_*.ipynb, found {found}"
    return found[0]


def glossary() -> list[tuple[str, str, str]]:
    """The rows (English, Korean, lesson) of the glossary table in 00_index."""
    for text in _markdown(_lesson("00")):
        lines = text.splitlines()
        starts = [i for i, line in enumerate(lines) if HEADER.match(line)]
        if not starts:
            continue
        rows = []
        for line in lines[starts[0] + 2 :]:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            assert len(cells) == 3 and all(cells), f"glossary row needs 3 filled cells: {line}"
            rows.append((cells[0], cells[1], cells[2]))
        return rows
    raise AssertionError("00_index has no glossary table | English | 한국어 | lesson |")


def _required(cell: str) -> str:
    """The part of a glossary cell before any parenthesised alternative."""
    return cell.split(" (")[0].strip()


def _english_forms(term: str) -> list[str]:
    forms = [term, term + "s"]
    if term.endswith("um"):
        forms.append(term[:-2] + "a")  # minimum -> minima
    return forms


def paragraphs(texts: list[str]) -> list[str]:
    """Markdown split at blank lines, list items and table rows; whitespace collapsed."""
    out: list[str] = []
    for text in texts:
        for chunk in re.split(r"\n\s*\n", text):
            block: list[str] = []
            for line in chunk.splitlines():
                if BLOCK_START.match(line) and block:
                    out.append(" ".join(block))
                    block = []
                block.append(line.strip())
            if block:
                out.append(" ".join(block))
    return [re.sub(r"\s+", " ", p) for p in out]


def introduces(paragraph: str, english: str, korean: str) -> bool:
    """Whether the paragraph has the English term (a whole word, any case, or its plural)
    and the Korean name at most NEAR characters apart, in either order."""
    lower = paragraph.lower()
    names = [(k.start(), k.end()) for k in re.finditer(re.escape(korean), paragraph)]
    for form in _english_forms(english):
        pattern = r"(?<![\w-])" + re.escape(form.lower()) + r"(?![\w])"
        for e in re.finditer(pattern, lower):
            if any(max(start - e.end(), e.start() - end) <= NEAR for start, end in names):
                return True
    return False


ROWS = glossary()


def test_glossary_is_well_formed():
    assert len(ROWS) >= 30
    english = [_required(e).lower() for e, _, _ in ROWS]
    assert len(english) == len(set(english)), "a term is listed twice"
    for e, k, lesson in ROWS:
        assert re.fullmatch(r"\d\d", lesson) and lesson != "00" and any(
            NOTEBOOKS.glob(f"{lesson}_*.ipynb")), f"{e}: no lesson {lesson!r}"  # fmt: skip
        assert re.search(r"[가-힣]", k), f"{e}: the Korean name has no Hangul: {k!r}"
        assert "," not in _required(e) and "/" not in _required(e), f"one term per row: {e}"


@pytest.mark.parametrize(
    "english, korean, lesson", ROWS, ids=[f"{lesson}-{_required(e)}" for e, _, lesson in ROWS]
)
def test_term_and_korean_name_appear_together_in_its_lesson(english, korean, lesson):
    term, name = _required(english), _required(korean)
    path = _lesson(lesson)
    hits = [p for p in paragraphs(_markdown(path)) if introduces(p, term, name)]
    assert hits, (
        f"{path.name}: no paragraph has both '{term}' and '{name}'; the glossary in "
        f"00_index assigns the term to lesson {lesson}"
    )


@pytest.mark.parametrize(
    "paragraph, found",
    [
        ("The **learning rate** (학습률) $\\eta$.", True),
        ("four local minima (지역 최솟값), all with $f = 0$", True),
        ("the learning rate $\\eta$.\n\nIts Korean name is 학습률.", False),
        ("* the learning rate\n* 학습률", False),
        ("a learning-rate schedule (학습률)", False),
        ("learning rate " + "x" * 59 + " 학습률", False),  # 61 apart
        ("학습률 " + "x" * 58 + " learning rate", True),  # 60 apart
    ],
)
def test_the_matching_rule(paragraph, found):
    """Together means the same paragraph, list item or table row, and close; a hyphenated
    compound is not the term."""
    hits = [p for p in paragraphs([paragraph]) if introduces(p, "learning rate", "학습률")]
    hits += [p for p in paragraphs([paragraph]) if introduces(p, "local minimum", "지역 최솟값")]
    assert bool(hits) == found
