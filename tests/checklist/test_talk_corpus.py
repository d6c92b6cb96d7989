"""Shapes found in Sesam Talk's published corpus of checklists, read from excerpts of the real files.

The corpus: repository datanav/docs, branch ``systemtype-docs-test`` (commit f57c77c0feadd81c9410f9ea9dee3317b0141ed3,
2024-11-13), folder ``technical/``, 1,152 checklists. Each file in ``corpus/`` keeps the real file's head (title,
``Generated:``, Introduction) and the sections named in ``PROVENANCE``, byte for byte (CRLF included); nothing else
is changed. The reader refused 59 corpus files before these shapes were read (every one with a conditional
sentence) and wrote 256 others back otherwise (233 without flows, 29 with an empty system name, 4 with a condition
cell ending in spaces).

With ``TALK_CORPUS`` set to a checkout of that ``technical/`` folder, two more tests check the excerpts against it and
read the whole corpus (``scripts/bench_checklists.py`` reports the same with timings).
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import (
    Checklist,
    ChecklistError,
    Clause,
    DataType,
    Endpoint,
    Flow,
    MergeRow,
    PropertyRow,
    Template,
    lint,
    parse_bytes,
    parse_file,
    parse_text,
    to_rst,
)
from harness.checklist.sentences import read_paragraph

CORPUS = Path(__file__).parent / "corpus"
SOURCE = "datanav/docs@systemtype-docs-test (f57c77c0fe), technical/"

# excerpt -> (the corpus file, the sections kept, each with the line of its heading there)
PROVENANCE: dict[str, tuple[str, tuple[tuple[str, int], ...]]] = {
    "hubspot-businesscentral.rst": (
        "technical/hubspot-businesscentral.rst",
        (("HubSpot Company to Business Central Companies", 12), ("HubSpot Deal to Business Central Salesorders", 28)),
    ),
    "hubspot-squarespace.rst": ("technical/hubspot-squarespace.rst", (("HubSpot Deal to  Order", 34),)),
    "zendesk-hubspot.rst": ("technical/zendesk-hubspot.rst", (("Zendesk Users to HubSpot User", 63),)),
    "tripletex-businesscentral.rst": (
        "technical/tripletex-businesscentral.rst",
        (
            ("Tripletex Customer to Business Central Customers (human data)", 170),
            ("Tripletex Product to Business Central Items", 541),
        ),
    ),
    "businesscentral-squarespace.rst": (
        "technical/businesscentral-squarespace.rst",
        (("Business Central Items to  Inventory", 28), ("Business Central Salesorders to  Order", 75)),
    ),
    "asana-asana.rst": ("technical/asana-asana.rst", ()),
    "tripletex-youtrack.rst": ("technical/tripletex-youtrack.rst", (("Tripletex Employee to Youtrack Users", 67),)),
}

GENERATED = datetime(2024, 11, 13)
HUBSPOT_GENERATED = datetime(2024, 11, 13, 0, 0, 23)  # HubSpot's files were written 23 seconds later
NA, S = DataType.NOT_APPLICABLE, DataType.STRING
BC, HUBSPOT, TRIPLETEX = "Business Central", "HubSpot", "Tripletex"


def _checklist(source: str, target: str, *flows: Flow, generated: datetime = GENERATED) -> Checklist:
    return Checklist(f"{source} to {target} Dataflow", source, target, generated, flows)


def _conditional(source: Endpoint, target: Endpoint, condition: str, *rows: PropertyRow) -> Flow:
    return Flow(source, target, Template.CONDITIONAL, properties=rows, condition=condition)


def _every(source: Endpoint, target: Endpoint, *rows: PropertyRow) -> Flow:
    return Flow(source, target, Template.EVERY, properties=rows)


HUBSPOT_DEAL = "When a HubSpot Deal has a 100% probability of beeing sold"
PERSON_CUSTOMERS = "removed person customers for now until that pattern is resolved"
SUPPLIERS = "preliminary mapping until we can sort out suppliers. This removes all supplier products for now"

# Read off the excerpts by hand, not produced by the reader.
EXPECTED: dict[str, Checklist] = {
    "hubspot-businesscentral.rst": _checklist(
        HUBSPOT,
        BC,
        _every(Endpoint(HUBSPOT, "Company"), Endpoint(BC, "Companies")),
        _conditional(
            Endpoint(HUBSPOT, "Deal"),
            Endpoint(BC, "Salesorders"),
            HUBSPOT_DEAL,
            PropertyRow("properties.closedate", "orderDate", NA),
            PropertyRow("properties.closedate", "requestedDeliveryDate", NA),
            PropertyRow("properties.deal_currency_code", "currencyId", S),
        ),
        generated=HUBSPOT_GENERATED,
    ),
    "hubspot-squarespace.rst": _checklist(
        HUBSPOT,
        "",
        _conditional(Endpoint(HUBSPOT, "Deal"), Endpoint("", "Order"), HUBSPOT_DEAL),
        generated=HUBSPOT_GENERATED,
    ),
    "zendesk-hubspot.rst": _checklist(
        "Zendesk",
        HUBSPOT,
        _conditional(
            Endpoint("Zendesk", "Users"),
            Endpoint(HUBSPOT, "User"),
            "When a Zendesk User is of type Agent",
            PropertyRow("email", "email", S),
        ),
    ),
    "tripletex-businesscentral.rst": _checklist(
        TRIPLETEX,
        BC,
        _conditional(Endpoint(TRIPLETEX, "Customer"), Endpoint(BC, "Customers", "human data"), PERSON_CUSTOMERS),
        _conditional(
            Endpoint(TRIPLETEX, "Product"),
            Endpoint(BC, "Items"),
            SUPPLIERS,
            PropertyRow("costExcludingVatCurrency", "unitCost", NA),
            PropertyRow("ean", "gtin", S),
            PropertyRow("name", "displayName", S),
            PropertyRow("priceExcludingVatCurrency", "unitPrice", NA),
        ),
    ),
    "businesscentral-squarespace.rst": _checklist(
        BC,
        "",
        _every(Endpoint(BC, "Items"), Endpoint("", "Inventory"), PropertyRow("inventory", "quantity", S)),
        _every(Endpoint(BC, "Salesorders"), Endpoint("", "Order")),
    ),
    "asana-asana.rst": _checklist("Asana", "Asana"),
    "tripletex-youtrack.rst": _checklist(
        TRIPLETEX,
        "Youtrack",
        Flow(
            Endpoint(TRIPLETEX, "Employee"),
            Endpoint("Youtrack", "Users"),
            Template.LINK_ONLY,
            merge=(MergeRow("email", "profile.email.email"),),
            properties=(
                *(
                    PropertyRow(
                        "department.id",
                        target,
                        S,
                        # Verbatim, the path's emptiness and the two spaces included.
                        source_condition=f"Dependant on having wd:{qid} in  ",
                    )
                    for qid, target in (
                        ("Q43229", "groups.id"),
                        ("Q214339", "organizationRoles.id"),
                        ("Q214339", "projectRoles.id"),
                        ("Q214339", "sourcedOrganizationRoles.id"),
                        ("Q214339", "sourcedProjectRoles.id"),
                        ("Q43229", "teams.id"),
                        ("Q43229", "transitiveGroups.id"),
                        ("Q214339", "transitiveOrganizationRoles.id"),
                        ("Q214339", "transitiveProjectRoles.id"),
                        ("Q43229", "transitiveTeams.id"),
                    )
                ),
                PropertyRow("email", "profile.email.email", S),
            ),
        ),
    ),
}
NAMES = sorted(PROVENANCE)


def _excerpt(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_every_excerpt_has_its_provenance_and_its_model() -> None:
    on_disk = sorted(path.name for path in CORPUS.glob("*.rst"))
    assert on_disk == NAMES == sorted(EXPECTED), f"expected one provenance and one model per excerpt, found {on_disk}"


@pytest.mark.parametrize("name", NAMES)
def test_an_excerpt_reads_as_the_model_read_off_it(name: str) -> None:
    parsed = parse_file(CORPUS / name)
    expected = EXPECTED[name]
    assert parsed == expected, f"{name} (from {PROVENANCE[name][0]}): expected\n{expected}\nfound\n{parsed}"
    notes = [*parsed.notes, *(note for flow in parsed.flows for note in flow.notes)]
    assert notes == [], f"{name}: expected every line recognised, found {notes}"


@pytest.mark.parametrize("name", NAMES)
def test_an_excerpt_is_written_back_as_the_generator_wrote_it(name: str) -> None:
    original = _excerpt(name)
    written = to_rst(parse_bytes(original, name), newline="\r\n").encode()
    assert written == original, f"{name}: expected the writer to reproduce the file byte for byte"


@pytest.mark.parametrize(
    ("name", "heading", "condition"),
    [
        ("hubspot-businesscentral.rst", "HubSpot Deal to Business Central Salesorders", HUBSPOT_DEAL),
        ("zendesk-hubspot.rst", "Zendesk Users to HubSpot User", "When a Zendesk User is of type Agent"),
        ("tripletex-businesscentral.rst", "Tripletex Product to Business Central Items", SUPPLIERS),
    ],
)
def test_the_condition_is_the_free_text_before_it_will_be_synchronized(name: str, heading: str, condition: str) -> None:
    # The generator put a comment from the flow's configuration before ", it  will be synchronized with a <target>.":
    # "When a <source> has ..." for HubSpot deals, but also "... is of type Agent" and notes to itself.
    (flow,) = [flow for flow in parse_file(CORPUS / name).flows if flow.heading == heading]
    assert (flow.template, flow.condition) == (Template.CONDITIONAL, condition), (flow.template, flow.condition)
    (sentence,) = [mention for mention in flow.mentions if mention.clause is Clause.CONDITIONAL]
    assert sentence.text.startswith(condition + ", it  will be synchronized with a "), sentence.text


def test_show_json_prints_a_real_conditional_flow(capsys: pytest.CaptureFixture[str]) -> None:
    status = harness.cli.main(["checklist", "show", "--json", str(CORPUS / "hubspot-businesscentral.rst")])
    out, err = capsys.readouterr()
    assert (status, err) == (0, ""), (status, err)
    flow = json.loads(out)["flows"][1]
    assert (flow["template"], flow["condition"]) == ("conditional", HUBSPOT_DEAL), flow
    assert flow["target"] == {"system": BC, "datatype": "Salesorders", "classification": None}, flow["target"]


def test_lint_notes_each_real_conditional_flow() -> None:
    found = [(f.code, f.message) for f in lint(parse_file(CORPUS / "zendesk-hubspot.rst")) if f.code.startswith("cond")]
    assert found == [
        (
            "conditional-flow",
            "the flow syncs only the Zendesk Users records its condition selects ('When a Zendesk User is of type "
            "Agent'); the others are never synchronized",
        )
    ], found


def test_an_empty_system_is_written_with_the_generators_space() -> None:
    # "Business Central to  Dataflow": Squarespace had no name, and every "<system> <datatype>" kept its space.
    text = _excerpt("businesscentral-squarespace.rst").decode()
    checklist = parse_text(text, "bc-squarespace.rst")
    assert [flow.target for flow in checklist.flows] == [Endpoint("", "Inventory"), Endpoint("", "Order")]
    written = to_rst(checklist, newline="\r\n")
    for line in ("Business Central Items to  Inventory\r\n", "     -  Inventory Property\r\n", "     -  Data Type\r\n"):
        assert line in written, f"expected {line!r} written back"


def test_a_checklist_without_flows_ends_with_its_introduction() -> None:
    original = _excerpt("asana-asana.rst")
    assert original.endswith(b"without written permission is prohibited.\r\n"), original[-60:]
    assert to_rst(parse_bytes(original), newline="\r\n").encode() == original


# -- reading sentences as a reStructuredText reader does --------------------------------------------------------


DEAL = "HubSpot Deal to Business Central Salesorders"
REAL_SENTENCE = (
    "When a HubSpot Deal has a 100% probability of beeing sold, it  will be synchronized with a Business Central "
    "Salesorders."
)


def _deal_flow(text: str) -> Flow:
    (flow,) = [flow for flow in parse_text(text, "deals.rst").flows if flow.heading == DEAL]
    return flow


@pytest.mark.parametrize(
    "respelled",
    [
        REAL_SENTENCE.replace("it  will", "it will"),
        REAL_SENTENCE.replace("it  will be ", "it\r\nwill be "),
        REAL_SENTENCE.replace(" with a Business Central ", " with\r\na Business Central\r\n"),
    ],
    ids=["one-space", "wrapped-in-the-slot-free-words", "wrapped-in-the-target"],
)
def test_a_conditional_sentence_spaced_or_wrapped_otherwise_reads_the_same(respelled: str) -> None:
    original = _excerpt("hubspot-businesscentral.rst").decode()
    assert original.count(REAL_SENTENCE) == 1
    text = original.replace(REAL_SENTENCE, respelled)
    expected = EXPECTED["hubspot-businesscentral.rst"]
    parsed = parse_text(text, "deals.rst")
    assert parsed == expected, parsed
    assert _deal_flow(text).notes == (), _deal_flow(text).notes
    # The designed normalisation: the generator's spelling, one sentence to a line, "it  will" with two spaces.
    assert to_rst(parsed, newline="\r\n") == original


def test_any_fixed_sentence_may_wrap() -> None:
    original = _excerpt("hubspot-businesscentral.rst").decode()
    keep = (
        "Once a link between a HubSpot Deal and a Business Central Salesorders is established, it will keep in sync "
        "between the two systems, regardless of where it is edited."
    )
    text = original.replace(keep, keep.replace(" is established, ", "\r\nis established,\r\n"))
    assert text != original
    flow = _deal_flow(text)
    assert flow.notes == (), flow.notes
    assert Clause.KEEP_IN_SYNC in {mention.clause for mention in flow.mentions}
    assert to_rst(parse_text(text), newline="\r\n") == original


def test_a_condition_never_swallows_a_sentence_above_it() -> None:
    every = "Every HubSpot Deal will be synchronized with a Business Central Salesorders."
    sentences = list(read_paragraph(f"{every}\n{REAL_SENTENCE}"))
    shown = [(s.line, s.found.clause if s.found else None, s.text) for s in sentences]
    assert shown == [(0, Clause.EVERY, every), (1, Clause.CONDITIONAL, REAL_SENTENCE)], shown


def test_a_condition_that_starts_like_every_is_still_a_condition() -> None:
    sentence = "Every Deal that is won, it  will be synchronized with a Business Central Salesorders."
    (read,) = read_paragraph(sentence)
    assert read.found is not None and read.found.clause is Clause.CONDITIONAL, read
    assert read.found.slots == {"condition": "Every Deal that is won", "target": "Business Central Salesorders"}


def test_reading_a_long_paragraph_takes_linear_time() -> None:
    # Free text before ", it  will be synchronized" must not be searched for from every line: that was quadratic
    # (a 4,000-line paragraph took 3 s).
    lines = [f"line {number}, it will be synchronized with a" for number in range(20_000)]
    start = time.perf_counter()
    sentences = list(read_paragraph("\n".join(lines)))
    elapsed = time.perf_counter() - start
    assert len(sentences) == len(lines) and all(s.found is None for s in sentences)
    assert elapsed < 5, f"expected 20,000 unrecognised lines read in well under 5 s, took {elapsed:.1f} s"


# -- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "words"),
    [
        (REAL_SENTENCE.removesuffix("."), "no template sentence"),
        (REAL_SENTENCE.replace(HUBSPOT_DEAL, ""), "no template sentence"),
        (REAL_SENTENCE.replace("synchronized", "synchronised"), "no template sentence"),
    ],
    ids=["no-full-stop", "no-condition", "misspelt"],
)
def test_a_broken_conditional_sentence_is_refused_naming_file_line_and_section(broken: str, words: str) -> None:
    text = _excerpt("hubspot-businesscentral.rst").decode().replace(REAL_SENTENCE, broken)
    with pytest.raises(ChecklistError) as caught:
        parse_text(text, "hubspot-businesscentral.rst")
    error = caught.value
    assert (error.path, error.line) == ("hubspot-businesscentral.rst", 28), str(error)
    assert words in error.message and repr(DEAL) in error.message, error.message
    assert "'<condition>, it will be synchronized with a <target>.'" in error.message, error.message


# -- against the corpus itself, when it is at hand -------------------------------------------------------------

TALK_CORPUS = os.environ.get("TALK_CORPUS")
needs_corpus = pytest.mark.skipif(not TALK_CORPUS, reason="TALK_CORPUS (datanav/docs technical/) not set")


def _sections(lines: list[bytes]) -> tuple[list[bytes], dict[int, list[bytes]]]:
    """A checklist's lines (split at CRLF) -> its head, and each section by its heading's line number: the blank
    line above the heading to the last line before the next section's blank line."""
    starts = [
        index
        for index in range(lines.index(b"Introduction") + 2, len(lines) - 1)
        if lines[index + 1] and set(lines[index + 1]) == {ord("-")} and len(lines[index + 1]) == len(lines[index])
    ]
    ends = [start - 1 for start in starts[1:]] + [len(lines)]
    head = lines[: starts[0] - 1] if starts else lines
    return head, {start + 1: lines[start - 1 : end] for start, end in zip(starts, ends, strict=False)}


@needs_corpus
@pytest.mark.parametrize("name", NAMES)
def test_an_excerpt_is_a_verbatim_copy_of_its_corpus_file(name: str) -> None:
    path, kept = PROVENANCE[name]
    source = Path(str(TALK_CORPUS)) / Path(path).name
    # The file's last CRLF ends its last line; it does not start another.
    head, sections = _sections(source.read_bytes().removesuffix(b"\r\n").split(b"\r\n"))
    copied = list(head)
    for heading, line in kept:
        assert sections[line][1].decode() == heading, f"{source}:{line}: expected the section {heading!r}"
        copied += sections[line]
    assert _excerpt(name).removesuffix(b"\r\n").split(b"\r\n") == copied, (
        f"{name}: expected the head and {kept} of {source}, verbatim"
    )


@needs_corpus
def test_the_whole_corpus_reads_and_is_written_back_byte_for_byte() -> None:
    paths = sorted(Path(str(TALK_CORPUS)).glob("*.rst"))
    assert len(paths) == 1152, f"expected Sesam's 1,152 checklists in {TALK_CORPUS}, found {len(paths)}"
    refused, differing = [], []
    for path in paths:
        data = path.read_bytes()
        try:
            checklist = parse_bytes(data, str(path))
        except ChecklistError as exc:
            refused.append(str(exc))
            continue
        if to_rst(checklist, newline="\r\n").encode() != data:
            differing.append(path.name)
    assert (refused, differing) == ([], []), f"refused {refused[:3]}, written back otherwise {differing[:3]}"
