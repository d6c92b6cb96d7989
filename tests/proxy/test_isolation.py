"""What runs inside mitmproxy's process imports only what its own environment has: the standard library, mitmproxy,
and the pure modules of ``harness.proxy`` and ``harness.traffic``."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSIDE = ["harness/proxy/addon.py", "harness/proxy/script.py", "harness/proxy/faults.py", "harness/proxy/holds.py",
          "harness/proxy/control.py", "harness/proxy/product.py", "harness/proxy/__init__.py",
          "harness/traffic/__init__.py", "harness/traffic/routes.py", "harness/traffic/meters.py",
          "harness/traffic/limits.py"]  # fmt: skip
ALLOWED = {f"harness.{Path(p).parent.name}.{Path(p).stem}" for p in INSIDE} | {
    "harness",
    "harness.proxy",
    "harness.traffic",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_modules_mitmproxy_loads_import_nothing_its_environment_lacks() -> None:
    strangers = {}
    for name in INSIDE:
        for module in _imports(ROOT / name):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top == "mitmproxy" or module == "__future__":
                continue
            if module not in ALLOWED:
                strangers.setdefault(name, []).append(module)
    assert not strangers, f"imported inside mitmproxy's process but not there: {strangers}"
