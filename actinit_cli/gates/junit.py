"""JUnit XML for check results: one testsuite per target, one testcase per check, which every CI
system renders (GitHub Actions via a reporter, GitLab, Jenkins, Azure)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from itertools import groupby

from actinit_cli.gates.verdict import Result

# characters XML 1.0 cannot hold (control characters; lone surrogates from a file name that is not UTF-8)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """`text` with every character XML cannot hold written as its escape (\\x1b, \\udcff)."""
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _clean(r: Result) -> Result:
    return replace(r, target=_xml_text(r.target), name=_xml_text(r.name), bound=_xml_text(r.bound),
                   message=_xml_text(r.message))


def xml(results: list[Result], seconds: dict[str, float] | None = None) -> str:
    """The JUnit document for `results` (failures carry the message; passing cases their detail). A suite's
    `time` is its target's run time (0 for a saved run re-read); a check itself takes no measurable time."""
    seconds = {_xml_text(t): v for t, v in (seconds or {}).items()}
    results = [_clean(r) for r in results]
    suites = ET.Element("testsuites", name="actinit check", tests=str(len(results)),
                        failures=str(sum(not r.passed for r in results)), errors="0",
                        time=f"{sum(seconds.get(t, 0.0) for t in dict.fromkeys(r.target for r in results)):.3f}")
    for target, group in groupby(results, key=lambda r: r.target):
        cases = list(group)
        suite = ET.SubElement(suites, "testsuite", name=target, tests=str(len(cases)),
                              failures=str(sum(not r.passed for r in cases)), errors="0",
                              skipped="0", time=f"{seconds.get(target, 0.0):.3f}")
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
