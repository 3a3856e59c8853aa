"""`simlib example your_pond`: a new user with only the wheel gets the README path's data, drawn
without the engine, identical to the files the repository ships, and never over their own files."""

import ast
import inspect

import simlib.example_data as example_data
from simlib.cli.main import main

from conftest import ROOT

SHIPPED = ROOT / "examples" / "your_pond"


def test_the_generator_imports_only_numpy_and_the_standard_library():
    tree = ast.parse(inspect.getsource(example_data))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert names <= {"numpy", "json", "pathlib", "__future__"}, names
    assert not any(isinstance(n, ast.ImportFrom) and n.level > 0 for n in ast.walk(tree))   # nothing of simlib


def test_the_command_writes_the_shipped_files_and_the_offers(tmp_path, capsys):
    out = tmp_path / "yp"
    assert main(["example", "your_pond", "--out", str(out)]) == 0
    for name in ("orders.csv", "past_ab.csv", "next_ab.csv", "truth.json"):
        assert (out / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    assert "off_share: 0.2" in (out / "coupon20.yaml").read_text() and "extends: twin/twin.yaml" in \
        (out / "coupon20.yaml").read_text()
    assert "next: cd" in capsys.readouterr().out


def test_it_never_writes_over_files_already_there(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text("member_id,order_date,paid_cny\nmine,2024-01-01,5\n")
    assert main(["example", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already holds orders.csv" in err and "Traceback" not in err
    assert "mine" in (tmp_path / "orders.csv").read_text()
    assert main(["example", "yourpond"]) == 2 and "Did you mean 'your_pond'" in capsys.readouterr().err
