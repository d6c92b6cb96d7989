"""Reading the names in a checklist: the title's two systems, and ``<System> <Datatype>[ (<classification>)]``.

System names contain spaces ("Business Central", "PowerOffice GO"), so a name cannot be split on whitespace
alone: the document title ``<A> to <B> Dataflow`` says which systems the document is about, and every endpoint
text is split after the leading words that spell one of them (case- and space-insensitively: sections of one
file may say "BusinessCentral" under a title that says "Business Central").

What follows the system is the datatype and its classification. Across Sesam's corpus the datatype is a single
capitalised word ("Contacts", "Salesorderlines", "Contactcompanyassociation", "Businesscentral-salesorderlines");
the classification is either a parenthesised suffix ("Contacts (human data)", the format since mid-September
2024) or the bare words after the datatype ("Contacts person", "Contactsinformation person customer relation",
the format before). Reading both the same way is what makes "Contacts person" and "Contacts (human data)" the same
flow with a changed classification.
"""

from __future__ import annotations

from harness.checklist.model import Endpoint, normalise_name

__all__ = ["TITLE_SUFFIX", "parse_endpoint", "split_pair", "split_title"]

TITLE_SUFFIX = " Dataflow"
_SYSTEMS_SEPARATOR = " to "


def split_title(title: str) -> tuple[str, str] | None:
    """``CRMOffice to Business Central Dataflow`` -> ``("CRMOffice", "Business Central")``; None if not a title.

    A system name may be empty: Sesam published "Businesscentral to  Dataflow" in November 2023.
    """
    if not title.endswith(TITLE_SUFFIX):
        return None
    body = title[: -len(TITLE_SUFFIX)]
    source, separator, target = body.partition(_SYSTEMS_SEPARATOR)
    if not separator and body.endswith(_SYSTEMS_SEPARATOR.rstrip()):
        # "A to " with an empty target system: the title's double space has become the suffix's own space.
        source, separator, target = body[: -len(_SYSTEMS_SEPARATOR.rstrip())], _SYSTEMS_SEPARATOR, ""
    if not separator:
        return None
    return source.strip(), target.strip()


def parse_endpoint(text: str, system: str) -> Endpoint | None:
    """Read ``<system> <Datatype>[ (<classification>)]``; None unless ``text`` starts with ``system``."""
    text = text.strip()
    wanted = normalise_name(system)
    cuts = [0, *(index for index, char in enumerate(text) if char == " ")]
    for cut in cuts:
        if normalise_name(text[:cut]) != wanted:
            continue
        rest = text[cut:].strip()
        datatype, classification = _split_datatype(rest)
        if datatype:
            return Endpoint(text[:cut].strip(), datatype, classification)
    return None


def split_pair(text: str, separator: str, source_system: str, target_system: str) -> tuple[Endpoint, Endpoint] | None:
    """Split ``<source endpoint><separator><target endpoint>`` at the first separator that reads on both sides."""
    start = 0
    while (index := text.find(separator, start)) >= 0:
        source = parse_endpoint(text[:index], source_system)
        target = parse_endpoint(text[index + len(separator) :], target_system)
        if source is not None and target is not None:
            return source, target
        start = index + 1
    return None


def _split_datatype(text: str) -> tuple[str, str | None]:
    parenthesised = None
    head = text
    if text.endswith(")") and " (" in text:
        head, _, inside = text[:-1].partition(" (")
        parenthesised = inside.strip() or None
    words = head.split()
    if not words:
        return "", None
    bare = " ".join(words[1:]) or None
    if bare and parenthesised:
        return words[0], f"{bare} ({parenthesised})"
    return words[0], bare or parenthesised
