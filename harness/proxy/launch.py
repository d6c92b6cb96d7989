"""Starting and stopping mitmproxy as ``harness proxy``'s engine.

mitmproxy runs as ``mitmdump`` from a virtual environment of its own (``.venv-proxy``, made by ``make proxy-env``):
on the Python versions the harness supports, the mitmproxy release available pins an older ``h11`` and
``cryptography`` than the harness's HTTP client needs (see ``docs/architecture.md``). It is given the addon
(:mod:`harness.proxy.addon`), one reverse-mode listener per tenant, and a config file (mode 0600: it holds the
control key) in a private folder removed when the proxy stops.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["DEFAULT_CONFDIR", "ROOT", "Engine", "EngineError", "Upstream", "find_mitmdump"]

ROOT = Path(__file__).resolve().parents[2]
"""The project's folder: mitmproxy's process finds the addon's modules here."""
_ADDON = Path(__file__).with_name("script.py")
DEFAULT_CONFDIR = ROOT / ".harness-proxy"
"""Where ``--tls`` keeps mitmproxy's CA between runs (``mitmproxy-ca-cert.pem`` is the one a product trusts)."""


class EngineError(RuntimeError):
    """mitmproxy could not be found or started; the message says what to do."""


@dataclass(frozen=True)
class Upstream:
    tenant: str
    url: str
    """The tenant's API URL as the product is to be given it (its origin is what the front forwards to)."""

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def base_path(self) -> str:
        return urlsplit(self.url).path or "/"


def find_mitmdump(explicit: str | None = None) -> Path:
    """``--mitmdump``, else ``HARNESS_MITMDUMP``, else ``.venv-proxy/bin/mitmdump`` of the project, else PATH."""
    candidates = [explicit, os.environ.get("HARNESS_MITMDUMP"), str(ROOT / ".venv-proxy" / "bin" / "mitmdump")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    found = shutil.which("mitmdump")
    if found:
        return Path(found)
    looked = ", ".join(c for c in candidates if c)
    raise EngineError(
        f"mitmdump not found (looked at {looked} and PATH); `make proxy-env` installs mitmproxy in .venv-proxy"
    )


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def reachable(url: str, timeout: float = 5.0) -> str | None:
    """None when a TCP connection to ``url``'s host opens; otherwise why not."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return None
    except OSError as exc:
        return str(exc) or type(exc).__name__


@dataclass
class Engine:
    upstreams: Sequence[Upstream]
    entity_sets: Mapping[str, Sequence[str]]
    host: str = "127.0.0.1"
    tls: bool = False
    confdir: Path | None = None
    """mitmproxy's folder (its CA for ``--tls``); a private temporary one when not given."""
    mitmdump: Path | None = None
    key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    fronts: dict[str, str] = field(default_factory=dict)
    """tenant → the URL the product is to use (the upstream URL with scheme, host and port changed)."""
    control_url: str = ""
    _process: subprocess.Popen[bytes] | None = None
    _folder: Path | None = None

    @property
    def ca_certificate(self) -> Path | None:
        return (self._confdir / "mitmproxy-ca-cert.pem") if self.tls else None

    @property
    def _confdir(self) -> Path:
        # With TLS the CA must outlive the run, so that a product trusts it once; without, nothing of it is used.
        if self.confdir is not None:
            return self.confdir
        if self.tls:
            return DEFAULT_CONFDIR
        assert self._folder is not None
        return self._folder / "mitmproxy"

    def start(self, *, ready_within: float = 30.0) -> None:
        mitmdump = self.mitmdump or find_mitmdump()
        self._folder = Path(tempfile.mkdtemp(prefix="harness-proxy-"))
        scheme = "https" if self.tls else "http"
        fronts, modes = [], []
        for upstream in self.upstreams:
            port = _free_port(self.host)
            origin = f"{scheme}://{self.host}:{port}"
            parts = urlsplit(upstream.url)
            self.fronts[upstream.tenant] = parts._replace(scheme=scheme, netloc=f"{self.host}:{port}").geturl()
            fronts.append(
                {
                    "tenant": upstream.tenant,
                    "port": port,
                    "origin": origin,
                    "upstream": upstream.origin,
                    "base_path": upstream.base_path,
                }
            )
            modes += ["--mode", f"reverse:{upstream.origin}@{self.host}:{port}"]
        control_port = _free_port(self.host)
        config = {
            "fronts": fronts,
            "control_port": control_port,
            "key": self.key,
            "entity_sets": {k: sorted(v) for k, v in self.entity_sets.items()},
        }
        config_path = self._folder / "config.json"
        config_path.touch(mode=0o600)
        config_path.write_text(json.dumps(config), encoding="utf-8")
        self.control_url = f"http://harness:{self.key}@{self.host}:{control_port}/"
        command = [
            str(mitmdump),
            "--quiet",
            *modes,
            "--set",
            f"confdir={self._confdir}",
            "--set",
            "flow_detail=0",
            "--set",
            "termlog_verbosity=error",
            "--set",
            "connection_strategy=lazy",
            "-s",
            str(_ADDON),
            "--set",
            f"harness_proxy_config={config_path}",
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        with (self._folder / "mitmdump.log").open("wb") as log:  # mitmdump writes to its own copy of the file
            try:
                self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            except OSError as exc:
                self.stop()  # the folder holds the control key
                raise EngineError(f"cannot run {mitmdump}: {exc.strerror or exc}") from None
        self._wait_ready(ready_within)

    def _wait_ready(self, within: float) -> None:
        deadline = time.monotonic() + within
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise EngineError(f"mitmdump stopped at start (exit {self._process.returncode}): {self.log_tail()}")
                try:
                    if client.get(self.control_url + "health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise EngineError(f"mitmdump did not answer within {within:g} s: {self.log_tail()}")

    def log_tail(self, lines: int = 3) -> str:
        path = self._folder / "mitmdump.log" if self._folder else None
        if path is None or not path.exists():
            return "(no output)"
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) or "(no output)"

    def meters(self) -> dict[str, Any] | None:
        try:
            with httpx.Client(timeout=5.0) as client:
                answer = client.get(self.control_url + "meters")
                return dict(answer.json()) if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> int | None:
        status = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            status = self._process.returncode
            self._process = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)  # the config holds the control key
            self._folder = None
        return status
