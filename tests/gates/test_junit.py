"""JUnit XML: parses with xml.etree, one suite per target, failures carry the message."""

import xml.etree.ElementTree as ET

import pytest

from actinit_cli.gates import junit
from actinit_cli.gates.verdict import Result


def test_structure_and_counts():
    results = [Result("a.yaml", "act_m2", True, 3, 1.0, "[0.1, 10]", "ok"),
               Result("a.yaml", "nonfinite", False, 2, 5, "[-inf, 0]", "layer 2 is 5, above max 0"),
               Result("b.yaml", "act_m2", False, 4, 0.05, "[0.1, 10]", "layer 4 is 0.05, below min 0.1")]
    root = ET.fromstring(junit.xml(results).split("\n", 1)[1])
    assert root.get("tests") == "3" and root.get("failures") == "2" and root.get("errors") == "0"
    suites = root.findall("testsuite")
    assert all(s.get("errors") == "0" and s.get("skipped") == "0" for s in suites)  # the common schema's counts
    assert [s.get("name") for s in suites] == ["a.yaml", "b.yaml"] and suites[0].get("failures") == "1"
    failure = suites[1].find("testcase/failure")
    assert failure.get("message") == "layer 4 is 0.05, below min 0.1" and "layer 4" in failure.text


@pytest.mark.parametrize("target, name, shown", [
    ("a.yaml", "bell\a and esc\x1b", "bell\\x07 and esc\\x1b"),  # a check's own name: from YAML "\a", "\e"
    ("x_\udcff.yaml", "act_m2", "act_m2"),  # a file name that is not UTF-8 (os.fsdecode's surrogate)
    ("a\x00.yaml", "nul\x00", "nul\\x00"),
    ("a.yaml", "tab\tok é \U0001f600", "tab\tok é \U0001f600"),  # characters XML holds stay as they are
])
def test_characters_xml_cannot_hold_are_escaped(target, name, shown):
    results = [Result(target, name, False, 1, 2.0, "<= 1", f"{name} failed")]
    document = junit.xml(results, {target: 0.5}).encode()  # as the gate writes it: UTF-8
    root = ET.fromstring(document)
    case = root.find("testsuite/testcase")
    assert case.get("name") == shown and case.find("failure").get("message") == f"{shown} failed"
    assert root.find("testsuite").get("time") == "0.500"
