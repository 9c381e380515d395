"""JUnit XML for check results: one testsuite per target, one testcase per check, which every CI
system renders (GitHub Actions via a reporter, GitLab, Jenkins, Azure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from actinit_cli.gates.verdict import Result


def xml(results: list[Result], seconds: dict[str, float] | None = None) -> str:
    """The JUnit document for `results` (failures carry the message; passing cases their detail). A suite's
    `time` is its target's run time (0 for a saved run re-read); a check itself takes no measurable time."""
    seconds = seconds or {}
    suites = ET.Element("testsuites", name="actinit check", tests=str(len(results)),
                        failures=str(sum(not r.passed for r in results)),
                        time=f"{sum(seconds.get(t, 0.0) for t in dict.fromkeys(r.target for r in results)):.3f}")
    for target, group in groupby(results, key=lambda r: r.target):
        cases = list(group)
        suite = ET.SubElement(suites, "testsuite", name=target, tests=str(len(cases)),
                              failures=str(sum(not r.passed for r in cases)), errors="0",
                              time=f"{seconds.get(target, 0.0):.3f}")
        for r in cases:
            case = ET.SubElement(suite, "testcase", classname=target, name=r.name, time="0")
            if not r.passed:
                failure = ET.SubElement(case, "failure", message=r.message, type="CheckFailed")
                where = "" if r.layer is None else f"layer {r.layer}, "
                failure.text = f"{r.name}: {r.message} ({where}value {r.value}, bound {r.bound})"
            else:
                ET.SubElement(case, "system-out").text = r.message
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
