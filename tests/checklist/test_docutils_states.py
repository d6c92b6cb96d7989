"""The adapted docutils parser builds the very doctree stock docutils builds, header-only tables apart."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from harness.checklist.docutils_states import ChecklistParser

DATA = Path(__file__).parent / "data"
SETTINGS = get_default_settings(Parser)
SETTINGS.report_level = 5
SETTINGS.halt_level = 5

# Lists of every kind, nested in each other and in list-table cells, so that reused list machines meet every
# initial state (BulletList, EnumeratedList with its extra settings, DefinitionList, FieldList, OptionList,
# LineBlock, Explicit) more than once in one document.
RICH = """\
Title
=====

Section
-------

* one

  1. first
  2. second

     #. auto
     #. numbered

* two

  term
     definition

  :field: value
  :other: more

  -a         option A
  --bee=VAL  option B

| line one
| line two

.. note:: a directive

   * inside a directive

.. list-table::
   :header-rows: 1

   * - Head A
     - Head B
   * - * nested bullet
       * in a cell
     - 3. enumerated from three
       4. and four
   * - term
          definition in a cell
     - | a line block
       | in a cell

i. roman
ii. numerals

A. upper
B. alpha

.. [1] a footnote
.. _target: https://example.org
"""


def _doctree(parser: Parser, text: str) -> str:
    document = new_document("<test>", copy.copy(SETTINGS))
    parser.parse(text, document)
    return document.pformat()


@pytest.mark.parametrize("repeat", [1, 3])
def test_rich_document_gives_the_same_doctree(repeat: int) -> None:
    text = RICH + "\n".join(RICH.split("\n")[3:]) * (repeat - 1)
    stock, adapted = _doctree(Parser(), text), _doctree(ChecklistParser(), text)
    assert adapted == stock, f"expected the stock doctree ({len(stock)} chars), found a different one ({len(adapted)})"


@pytest.mark.parametrize("name", ["crmoffice-hubspot.rst", "businesscentral-freshteam.rst", "crmoffice-crmoffice.rst"])
def test_samples_without_empty_tables_give_the_same_doctree(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    stock, adapted = _doctree(Parser(), text), _doctree(ChecklistParser(), text)
    assert adapted == stock, f"{name}: expected the stock doctree, found a different one"


def test_header_only_table_is_a_table_with_an_empty_body() -> None:
    text = ".. list-table::\n   :header-rows: 1\n\n   * - A\n     - B\n"
    document = new_document("<test>", copy.copy(SETTINGS))
    ChecklistParser().parse(text, document)
    tables = list(document.findall(nodes.table))
    assert len(tables) == 1, f"expected one table node, found {document.pformat()}"
    bodies = list(tables[0].findall(nodes.tbody))
    assert len(bodies) == 1 and len(bodies[0].children) == 0, f"expected an empty tbody, found {tables[0].pformat()}"
