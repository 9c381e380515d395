"""A missing extra is one line naming the install command."""

import pytest

from actinit_cli import extras
from actinit_cli.errors import ActinitError


def test_missing_extra_names_the_install_command():
    with pytest.raises(ActinitError, match=r'^a torch: model spec needs PyTorch \(no_such_module_xyz is not installed\); '
                                           r'install it with: pip install "actinit\[torch\]"$'):
        extras.need("no_such_module_xyz", "torch", "a torch: model spec")


def test_present_module_is_returned():
    assert extras.need("json", "torch", "x").dumps([1]) == "[1]"
