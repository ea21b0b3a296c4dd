"""Print the fuzz test's outcome counts in the terminal summary, with or without `-s`.

The test records its report as a user property, which xdist carries from the worker
to the controller process, where this hook runs.
"""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reports = [
        str(value)
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        for name, value in getattr(report, "user_properties", [])
        if name == "fuzz report"
    ]
    if reports:
        terminalreporter.section("fuzzed specs: outcomes per kind")
        for text in reports:
            terminalreporter.write_line(text)
