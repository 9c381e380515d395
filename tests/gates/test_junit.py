"""JUnit XML: parses with xml.etree, one suite per target, failures carry the message."""

import xml.etree.ElementTree as ET

from actinit_cli.gates import junit
from actinit_cli.gates.verdict import Result


def test_structure_and_counts():
    results = [Result("a.yaml", "act_m2", True, 3, 1.0, "[0.1, 10]", "ok"),
               Result("a.yaml", "nonfinite", False, 2, 5, "[-inf, 0]", "layer 2 is 5, above max 0"),
               Result("b.yaml", "act_m2", False, 4, 0.05, "[0.1, 10]", "layer 4 is 0.05, below min 0.1")]
    root = ET.fromstring(junit.xml(results).split("\n", 1)[1])
    assert root.get("tests") == "3" and root.get("failures") == "2"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["a.yaml", "b.yaml"] and suites[0].get("failures") == "1"
    failure = suites[1].find("testcase/failure")
    assert failure.get("message") == "layer 4 is 0.05, below min 0.1" and "layer 4" in failure.text
