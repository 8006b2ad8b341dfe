"""Study definitions: the built-ins are valid, and a broken file says what is wrong."""

import pytest

from trial.errors import StudyDefinitionError
from trial.study import builtin_study_text, load_study, parse_study


def test_the_demo_study():
    study = load_study()
    assert study.arm_codes == ["MINOX", "MINOX_MN"] and study.control_arm.code == "MINOX"
    assert study.primary_visit.code == "WEEK_12" and study.baseline_visit.code == "BASELINE"
    week4 = next(v for v in study.visits if v.code == "WEEK_4")
    assert (week4.earliest_day, week4.latest_day) == (21, 35)
    assert study.pull_test.positive_above_pct == 10


def test_the_single_arm_study_is_declared_without_code():
    study = load_study("single_arm")
    assert study.study.design == "single-arm" and study.control_arm is None
    assert study.procedures.sessions == 3 and study.procedures.interval_days == 28
    assert study.eligibility.diagnoses == ("AGA", "TE")


@pytest.mark.parametrize(
    "edit, words",
    [
        (("control = true", "control = false"), "exactly one control arm"),
        (("primary = true", "primary = false"), "primary = true"),
        (('visit = "WEEK_12"', 'visit = "WEEK_13"'), "endpoint visit WEEK_13"),
        (("min_age = 18", "min_age = 90"), "min_age 90 is above max_age 80"),
        (('code = "WEEK_8"', 'code = "WEEK_4"'), "visit WEEK_4 is declared more than once"),
        (("needle_mm = 1.5", "needle_mm = 9"), "procedures → needle_mm"),
        (("[study]", "[study]\ncolour = 'blue'"), "study → colour"),
        (("window = 7", "window = 'seven'"), "window"),
        (("[study]", "[study"), "not valid TOML"),
    ],
)
def test_a_broken_study_definition_names_the_problem(edit, words):
    text = builtin_study_text("demo").replace(*edit, 1)
    with pytest.raises(StudyDefinitionError) as caught:
        parse_study(text, "my.toml")
    assert words in str(caught.value) and "my.toml" in str(caught.value)


def test_a_missing_study_file_is_a_sentence(tmp_path):
    with pytest.raises(StudyDefinitionError, match="does not exist"):
        load_study(tmp_path / "nope.toml")


@pytest.mark.parametrize("name", ["demo", "single_arm"])
def test_a_study_written_as_toml_reads_back_equal_whatever_its_text_holds(name):
    """The writer's promise: parse_study(study_to_toml(s)) == s, also for a title with a newline,
    quotes, a backslash, a tab or a control character, and with a comment above."""
    from trial.study import study_to_toml

    study = load_study(name)
    awkward = study.model_copy(update={"study": study.study.model_copy(
        update={"title": 'Line one\nline "two"\\ with\ta tab and \x07 a bell'})})
    for each in (study, awkward):
        text = study_to_toml(each, "made by a test\n\nwith a blank line")
        assert text.startswith("# made by a test\n#\n# with a blank line\n")
        assert parse_study(text) == each
