from __future__ import annotations

from pathlib import Path

import pytest

from harness.report.offline import main, make_offline

PAGE = """<html><head><script src="data:text/javascript;base64,AAAA"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('config', 'G-X', {"reportUuid": "u"});
    </script>
</head><body>report</body></html>"""


def test_the_analytics_scripts_are_removed_and_the_report_kept() -> None:
    cleaned = make_offline(PAGE)
    assert "googletagmanager" not in cleaned and "gtag" not in cleaned, cleaned
    assert "data:text/javascript;base64,AAAA" in cleaned and "<body>report</body>" in cleaned, cleaned


def test_another_remote_script_is_refused() -> None:
    with pytest.raises(ValueError, match="remote script"):
        make_offline('<script src="https://cdn.example/x.js"></script>')


def test_a_missing_report_exits_2_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "index.html")]) == 2
    assert "index.html: no report was generated" in capsys.readouterr().err
