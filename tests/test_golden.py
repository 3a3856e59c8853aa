"""The regression baseline: a fresh run of each golden preset matches its stored files byte
for byte. The files change only through ``tests/golden/make_golden.py`` (see its docstring)."""

import importlib.util
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)


@pytest.mark.parametrize("preset", list(make_golden.PRESETS))
def test_preset_matches_golden_files(preset):
    fresh = make_golden.render(preset)
    for name, text in fresh.items():
        stored = (GOLDEN / preset / name).read_text()
        if stored != text:
            old, new = stored.splitlines(), text.splitlines()
            first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
            pytest.fail(f"{preset}/{name} differs from the regression baseline from line {first + 1}:\n"
                        f"  stored: {old[first] if first < len(old) else '<end>'}\n"
                        f"  fresh:  {new[first] if first < len(new) else '<end>'}\n"
                        "If the change is intended, rewrite with tests/golden/make_golden.py and say why in the commit.")
