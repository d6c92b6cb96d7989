"""Traceability: the sync contract and its tags (``contract``), which scenarios prove which checklist row and rule
(``coverage``), and the Examples rows a changed checklist needs (``scaffold``). Used by the suite and the report."""
