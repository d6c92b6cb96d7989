"""Property: any checklist Sesam's generator could write reads back as the model it was written from."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.checklist import (
    Checklist,
    DataType,
    Endpoint,
    Flow,
    MergeRow,
    PropertyRow,
    Template,
    parse_text,
    to_rst,
)

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Capitalised words of two letters or more cannot be mistaken for the sentences' own words ("a", "to", "and").
_system_word = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_LETTERS.upper()),
    st.text(alphabet=_LETTERS + _LETTERS.upper(), min_size=1, max_size=9),
)
systems = st.lists(_system_word, min_size=1, max_size=3).map(" ".join)
datatypes = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_LETTERS.upper()),
    st.text(alphabet=_LETTERS + "-", min_size=0, max_size=20).filter(lambda text: not text.endswith("-")),
)
classifications = st.none() | st.lists(
    st.sampled_from(["human", "organisation", "classification", "product", "data", "person", "company"]),
    min_size=1,
    max_size=3,
).map(" ".join)
_segment = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_LETTERS + _LETTERS.upper() + "_"),
    st.text(alphabet=_LETTERS + _LETTERS.upper() + "0123456789_*", max_size=12),
)
properties = st.lists(_segment, min_size=1, max_size=4).map(".".join)
conditions = st.none() | st.builds(
    lambda value, path: f"Dependant on having {value} in {path}",
    st.sampled_from(["wd:Q17517", "NO", "", "BusinessCentral-contact"]),
    properties,
)
known_types = st.sampled_from(
    [DataType.STRING, DataType.INTEGER, DataType.FLOAT, DataType.BOOLEAN, DataType.NOT_APPLICABLE]
)
property_rows = st.one_of(
    st.builds(
        PropertyRow, properties, properties, known_types, source_condition=conditions, target_condition=conditions
    ),
    st.builds(
        lambda source, target, text: PropertyRow(source, target, DataType.UNKNOWN, type_text=text),
        properties,
        properties,
        st.sampled_from(['"date"', '"list"', '"replace"," ","", "string"]', "string"]),
    ),
)
merge_rows = st.builds(MergeRow, properties, properties)
# What a conditional flow's sentence says before ", it  will be synchronized with a <target>.": free text, as in
# Sesam's corpus (the first three), or "When a <source> has" and words with commas, percent signs and both kinds of
# quotes. It opens a paragraph, so it starts with a letter: "- " or "1. " there would make it a list, for any reader.
_conditions_corpus = st.sampled_from(
    [
        "When a HubSpot Deal has a 100% probability of beeing sold",
        "When a Zendesk User is of type Agent",
        "preliminary mapping until we can sort out suppliers. This removes all supplier products for now",
    ]
)
_condition_words = st.one_of(
    st.sampled_from(["a 100% probability", "a status of 'Won', 'Lost' or \"Closed\"", "an amount above 1,000 NOK"]),
    st.lists(
        st.text(alphabet=_LETTERS + _LETTERS.upper() + "0123456789%'\",.-", min_size=1, max_size=8),
        min_size=1,
        max_size=6,
    ).map(" ".join),
)


def conditions_in_words(source: Endpoint) -> st.SearchStrategy[str]:
    return _conditions_corpus | _condition_words.map(lambda words: f"When a {source.label()} has {words}")


@st.composite
def checklists(draw: st.DrawFn) -> Checklist:
    source_system, target_system = draw(systems), draw(systems)
    flows = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        source = Endpoint(source_system, draw(datatypes), draw(classifications))
        target = Endpoint(target_system, draw(datatypes), draw(classifications))
        template = draw(st.sampled_from(Template))
        merge = tuple(draw(st.lists(merge_rows, max_size=3))) if template is not Template.EVERY else ()
        created_when = None
        if template is Template.LINK_ONLY and draw(st.booleans()):
            created_when = f"connected to a {source.label()} that is synchronized into {target_system}"
        condition = draw(conditions_in_words(source)) if template is Template.CONDITIONAL else None
        rows = tuple(draw(st.lists(property_rows, max_size=8)))
        flows.append(Flow(source, target, template, merge, rows, created_when, condition))
    generated = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31))).replace(
        microsecond=0
    )
    return Checklist(
        f"{source_system} to {target_system} Dataflow", source_system, target_system, generated, tuple(flows)
    )


@settings(max_examples=150, deadline=None)
@given(checklist=checklists(), newline=st.sampled_from(["\n", "\r\n"]))
def test_written_checklist_reads_back_as_the_same_model(checklist: Checklist, newline: str) -> None:
    text = to_rst(checklist, newline=newline)
    parsed = parse_text(text, "generated.rst")
    assert parsed == checklist, f"expected the model written, found {parsed}\n--- text ---\n{text}"
    unplaced = [note for flow in parsed.flows for note in flow.notes]
    assert not unplaced, f"expected every line of a generated checklist recognised, found {unplaced}\n{text}"
