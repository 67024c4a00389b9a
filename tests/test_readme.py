"""The README's Python API example runs as written (shortened: 1 epoch, k = 2)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_python_api_example_runs(tmp_path, monkeypatch):
    text = README.read_text()
    section = text[text.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    for long, short in (("epochs=10", "epochs=1"), ("num_samples=5000", "num_samples=2")):
        assert long in code, f"the README example no longer has {long!r}"
        code = code.replace(long, short)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.optimizer.iterations.numpy() == 500  # one epoch of 50,000 in batches of 100
    assert list((tmp_path / "samples").glob("*.png"))
    assert (tmp_path / "vae.keras").is_file()
    assert (tmp_path / "exported" / "vae" / "1" / "saved_model.pb").is_file()
