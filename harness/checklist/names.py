"""Reading the names in a checklist: the title's two systems, and ``<System> <Datatype>[ (<classification>)]``.

System names contain spaces ("Business Central", "PowerOffice GO"), so a name cannot be split on whitespace
alone: the document title ``<A> to <B> Dataflow`` says which systems the document is about, and every endpoint
text is split after the leading words that spell one of them (case- and space-insensitively: sections of one
file may say "BusinessCentral" under a title that says "Business Central"), or, failing that, after the longest
run of leading words that is the start of the system's name (a heading may say "Exact Items" under a title that
says "Exact Online"); a short form that could be either system is refused, never guessed.

What follows the system is the datatype and its classification. Across Sesam's corpus the datatype is a single
capitalised word ("Contacts", "Salesorderlines", "Contactcompanyassociation", "Businesscentral-salesorderlines");
the classification is either a parenthesised suffix ("Contacts (human data)", the format since mid-September
2024) or the bare words after the datatype ("Contacts person", "Contactsinformation person customer relation",
the format before). Reading both the same way is what makes "Contacts person" and "Contacts (human data)" the same
flow with a changed classification.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.checklist.model import Endpoint, normalise_name

__all__ = ["TITLE_SUFFIX", "AmbiguousSystem", "parse_endpoint", "split_pair", "split_title"]

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


class AmbiguousSystem(ValueError):
    """A section spells a system by a short form that could be either of the title's systems."""

    def __init__(self, spelled: str, candidates: tuple[str, str]) -> None:
        super().__init__(f"{spelled!r} could name either {candidates[0]!r} or {candidates[1]!r}")
        self.spelled = spelled
        self.candidates = candidates


def parse_endpoint(text: str, system: str, other: str | None = None) -> Endpoint | None:
    """Read ``<system> <Datatype>[ (<classification>)]``; None unless ``text`` starts with a spelling of ``system``.

    The system is spelled exactly (up to case and spaces), or by a shorter form: the longest run of leading words
    that is a prefix of the title's name, word for word ("Exact" for "Exact Online"). A short form that could as
    well be ``other`` (the title's other system) raises :class:`AmbiguousSystem` rather than guess.
    """
    text = text.strip()
    cuts = [0, *(index for index, char in enumerate(text) if char == " ")]
    wanted = normalise_name(system)
    found = _endpoint_at(text, (cut for cut in cuts if normalise_name(text[:cut]) == wanted))
    if found is not None or not system:
        return found
    short = [cut for cut in cuts if cut and _is_short_form(text[:cut], system, text[cut:])]
    found = _endpoint_at(text, list(reversed(short)))
    if found is None or other is None or normalise_name(other) == normalise_name(system):
        return found
    if normalise_name(found.system) == normalise_name(other) or _is_short_form(found.system, other, ""):
        raise AmbiguousSystem(found.system, (system, other))
    return found


def _endpoint_at(text: str, cuts: Iterable[int]) -> Endpoint | None:
    """The endpoint read with the system ending at the first of ``cuts`` that leaves a datatype after it."""
    for cut in cuts:
        datatype, classification = _split_datatype(text[cut:].strip())
        if datatype:
            return Endpoint(text[:cut].strip(), datatype, classification)
    return None


def _is_short_form(spelled: str, system: str, rest: str) -> bool:
    """Whether ``spelled`` is the first words of ``system`` but not all of them, and ``rest`` (what the text goes on
    with) does not go on with the system's next word: "Business Central" is the whole name, not "Business" and a
    datatype "Central". Case- and space-insensitive."""
    words = [normalise_name(word) for word in system.split()]
    wanted = normalise_name(spelled)
    for count in range(1, len(words)):
        if "".join(words[:count]) == wanted:
            following = rest.split()
            return not following or normalise_name(following[0]) != words[count]
    return False


def split_pair(text: str, separator: str, source_system: str, target_system: str) -> tuple[Endpoint, Endpoint] | None:
    """Split ``<source endpoint><separator><target endpoint>`` at the first separator that reads on both sides."""
    start = 0
    while (index := text.find(separator, start)) >= 0:
        source = parse_endpoint(text[:index], source_system, target_system)
        target = parse_endpoint(text[index + len(separator) :], target_system, source_system)
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
