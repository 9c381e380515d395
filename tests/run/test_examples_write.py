"""`actinit init` of an example with a model file, on a disk that fills at the spec: the model file it copied just
before is removed again (it was left alone, beside no spec); one that was there before is left as it was. ENOSPC
is simulated, no mount needed."""

import errno
import os
from pathlib import Path

import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.run import examples
from tests.cases import REPO

MODEL = (REPO / "examples" / "torch_models.py").read_bytes()


def _full_at_the_spec(real):
    def write_bytes(self, data):
        if self.name.startswith(".torch_cnn_he.yaml."):  # write_atomic's temporary file for the spec
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)
    return write_bytes


CASES = [  # (model file there before, what is left in the folder)
    (None, []),
    (MODEL, ["torch_models.py"]),
]


@pytest.mark.parametrize("before, left", CASES, ids=["no model file yet", "the same model file already"])
def test_a_full_disk_at_the_spec_leaves_no_model_file_of_its_own(tmp_path, monkeypatch, before, left):
    if before is not None:
        (tmp_path / "torch_models.py").write_bytes(before)
    monkeypatch.setattr(Path, "write_bytes", _full_at_the_spec(Path.write_bytes))
    with pytest.raises(ActinitError, match=r"^--output: cannot write .*torch_cnn_he\.yaml.*No space left on device"):
        examples.write("torch_cnn_he", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == left
    if before is not None:
        assert (tmp_path / "torch_models.py").read_bytes() == before


def test_a_full_disk_removes_the_model_file_written_through_a_link_and_keeps_the_link(tmp_path, monkeypatch):
    (tmp_path / "torch_models.py").symlink_to("shared/torch_models.py")  # dangling: init writes its target
    monkeypatch.setattr(Path, "write_bytes", _full_at_the_spec(Path.write_bytes))
    with pytest.raises(ActinitError, match=r"No space left on device"):
        examples.write("torch_cnn_he", tmp_path)
    assert (tmp_path / "torch_models.py").is_symlink()  # the user's link was unlinked, its new target left
    assert not (tmp_path / "shared" / "torch_models.py").exists()
