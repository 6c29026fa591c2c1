import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support import corpus  # noqa: E402


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """The Appendix A corpus (with DCMTK-compressed variants), generated once per session."""
    return Path(corpus.generate(str(tmp_path_factory.mktemp("corpus") / "data")))


@pytest.fixture
def work(tmp_path, data_dir) -> Path:
    """A scratch directory holding ``data/`` (a copy of the corpus) and ``my.cfg``."""
    shutil.copytree(data_dir, tmp_path / "data")
    (tmp_path / "my.cfg").write_text(corpus.MY_CFG)
    return tmp_path
