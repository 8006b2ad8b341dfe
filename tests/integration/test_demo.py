"""The demo: the example study loads through the normal path with no finding at all."""

from synthetic_data import EXAMPLES
from trial.demo import build_demo
from trial.store import Store
from schemas import DOMAINS


def test_the_demo_loads_every_domain_cleanly_and_rebuilds(tmp_path):
    db = tmp_path / "demo.duckdb"
    for _ in range(2):  # the second run replaces the first demo database
        results = build_demo(db, EXAMPLES, user="demo")
        assert [r.status for r in results] == ["loaded"] * len(DOMAINS)
        assert [r.domain for r in results] == list(DOMAINS)
        assert all(not r.findings for r in results), [f.sentence for r in results for f in r.findings]
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM subjects") == 12
        assert store.scalar("SELECT count(*) FROM uploads") == len(DOMAINS)
