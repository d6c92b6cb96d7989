"""Test data: realistic Norwegian records (``norwegian``) and values for checklist rows that both tenants accept
(``values``). Used by the suite, the soak, the barriers and the scaffold."""
