"""docutils' reStructuredText parser, adapted to checklists by subclassing its state classes (docutils itself is
never patched, and other docutils users in the process are unaffected).

Two adaptations:

1. ``list-table`` accepts a table made of its header row only. docutils 0.23 rejects one ("no data remaining for
   table body"), but that is how Sesam writes an empty property table, and it must read as zero rows.
2. Speed. docutils builds a fresh nested state machine (fifteen states, each with its transition table) for every
   bullet list it meets, and a list-table holds one bullet list per row, so that construction and the garbage it
   left were half the time of reading a checklist. An idle machine is reused instead, as docutils already does
   for ``nested_parse`` (``RSTState.nested_sm_cache``): ``StateMachine.run`` resets a machine's position and
   state, and the per-call settings (``blank_finish``, ``extra_settings``) are set on every use, as docutils sets
   them on a fresh machine. A reused machine's states are bound to a document once per document.
"""

from __future__ import annotations

from collections.abc import Mapping
from re import Match
from typing import Any, ClassVar

from docutils.parsers.rst import Parser, states
from docutils.parsers.rst.directives.tables import ListTable

__all__ = ["ChecklistParser"]

_LIST_TABLE = "list-table"


class _ListTableAllowingHeaderOnly(ListTable):
    """``list-table`` that accepts a table made of its header rows only (an empty checklist table)."""

    def check_table_dimensions(self, rows: list[object], header_rows: int, stub_columns: int) -> None:
        if rows and len(rows) == header_rows:
            return
        super().check_table_dimensions(rows, header_rows, stub_columns)


class _ReusesListMachines(states.RSTState):
    # Caches of their own, so that machines built from these state classes never serve stock docutils states.
    # Class-level like docutils' nested_sm_cache: list.pop() and list.append() hand a machine to one user at a time.
    nested_sm_cache: list[Any] = []  # noqa: RUF012
    idle_list_machines: ClassVar[dict[str, list[Any]]] = {}

    def __init__(self, state_machine: Any, debug: bool = False) -> None:
        super().__init__(state_machine, debug)
        # Changed in place: StateWS also holds this very dict as its indent_sm_kwargs.
        self.nested_sm_kwargs["state_classes"] = STATE_CLASSES

    def runtime_init(self) -> None:
        # A reused machine runs many times over one document; binding its states to the document once is enough
        # (the same memo means the same document, inliner and reporter).
        if self.__dict__.get("memo") is not getattr(self.state_machine, "memo", None):
            super().runtime_init()

    def nested_list_parse(
        self,
        block: Any,
        input_offset: int,
        node: Any,
        initial_state: Any,
        blank_finish: Any,
        blank_finish_state: Any = None,
        extra_settings: Mapping[str, Any] | None = None,
        match_titles: bool = False,
        state_machine_class: Any = None,
        state_machine_kwargs: Any = None,
    ) -> tuple[int, Any]:
        if state_machine_class is not None or state_machine_kwargs is not None or match_titles:
            return super().nested_list_parse(  # type: ignore[no-any-return]
                block,
                input_offset,
                node,
                initial_state,
                blank_finish,
                blank_finish_state,
                dict(extra_settings or {}),
                match_titles,
                state_machine_class,
                state_machine_kwargs,
            )
        idle = self.idle_list_machines.setdefault(initial_state, [])
        machine = idle.pop() if idle else states.NestedStateMachine(STATE_CLASSES, initial_state, self.debug)
        machine.parent_state_machine = self.state_machine
        machine_states: dict[str, Any] = machine.states
        finish_state = blank_finish_state or initial_state
        machine_states[finish_state].blank_finish = blank_finish
        for key, value in (extra_settings or {}).items():
            setattr(machine_states[initial_state], key, value)
        machine.run(block, input_offset, memo=self.memo, node=node, match_titles=match_titles)
        result = machine.abs_line_offset(), machine_states[finish_state].blank_finish
        idle.append(machine)
        return result


class _RelaxedListTable(states.Body):
    def run_directive(self, directive: Any, match: Match[str], type_name: str, option_presets: Any) -> Any:
        if directive is ListTable:
            directive = _ListTableAllowingHeaderOnly
        return super().run_directive(directive, match, type_name, option_presets)  # type: ignore[no-untyped-call]


def _adapt(state_class: type[states.RSTState]) -> type[states.RSTState]:
    # The state machine finds states by class name, so the adapted classes keep docutils' names.
    bases: tuple[type, ...] = (_ReusesListMachines, state_class)
    if issubclass(state_class, states.Body):
        bases = (_RelaxedListTable, *bases)
    return type(state_class.__name__, bases, {"__module__": __name__})


STATE_CLASSES: tuple[type[states.RSTState], ...] = tuple(_adapt(cls) for cls in states.state_classes)


class ChecklistParser(Parser):
    """The reStructuredText parser with the adapted state classes."""

    def __init__(self) -> None:
        super().__init__()
        self.state_classes = STATE_CLASSES
