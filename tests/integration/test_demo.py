"""The demo: a scenario written as site files and loaded through the normal path, with no error."""

import pytest
from click.testing import CliRunner

from schemas import DOMAINS
from synthetic_data.demo import build_demo, files_folder
from trial.cli import main
from trial.errors import TrialError
from trial.store import Store


def test_the_demo_loads_every_domain_and_rebuilds(tmp_path):
    db = tmp_path / "demo.duckdb"
    for _ in range(2):  # the second run replaces the first demo database
        results = build_demo(db, user="demo")
        assert [r.status for r in results] == ["loaded"] * len(DOMAINS)
        assert [r.domain for r in results] == list(DOMAINS)
        assert not [f for r in results for f in r.errors]
    with Store.open(db, read_only=True) as store:
        assert store.study.study.id == "MN-DEMO"
        assert store.scalar("SELECT count(*) FROM randomization") == 100
        assert store.scalar("SELECT count(*) FROM uploads") == len(DOMAINS)
    assert (files_folder(db) / "study.toml").is_file()


def test_the_demo_never_replaces_a_real_study(tmp_path):
    db = tmp_path / "study.duckdb"
    CliRunner().invoke(main, ["init", "--db", str(db)])
    with pytest.raises(TrialError, match="not the demo"):
        build_demo(db, user="demo")


def test_demo_command_for_the_single_arm_scenario(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--scenario", "starace2019", "--no-serve", "--db", str(tmp_path / "d.duckdb")])
    assert result.exit_code == 0, result.output
    assert "starace2019 study is in" in result.output
