"""autocnn.course: variants with exact keys, grading with partial credit and named mistakes,
student code isolated in a child process, exporters, the classroom folder, inject."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest
import sympy

from autocnn import course
from autocnn.cli import main
from tests.course_solutions import SOURCE

ENGINE_EXERCISES = ["conv2d-lesson", "conv2d-2ch", "batchnorm", "maxpool", "softmax-ce"]


# ----------------------------------------------------------------------------- variants
@pytest.mark.parametrize("name", list(course.EXERCISES))
def test_same_seed_same_instance_and_seeds_differ(name: str) -> None:
    a, b = course.variant(name, 11), course.variant(name, 11)
    assert repr(a.inputs) == repr(b.inputs) and repr(a.key) == repr(b.key)
    keys = {repr(course.variant(name, s).key) for s in range(8)}
    assert len(keys) >= 3, f"{name}: seeds give too few different instances"


def test_a_variant_is_pinned_across_machines() -> None:
    # random.Random("maxpool:0") — string seeding hashes with SHA-512, stable everywhere
    v = course.variant("maxpool", 0)
    assert v.inputs["x"].reshape(-1).tolist() == [7, 3, 4, -7, 6, 5, 2, -8, -3, -5, -4, 0,
                                                  -9, 8, 1, -1]
    assert course.variant("softmax-ce", 0).key["loss"] == (sympy.log(9) + sympy.log(13)) / 2


@pytest.mark.parametrize("name", ENGINE_EXERCISES)
def test_keys_are_exact_rationals_where_promised(name: str) -> None:
    v = course.variant(name, 3)
    for part, value in v.key.items():
        if part == "loss":
            continue  # −log of a fraction: exact, not rational
        for entry in np.asarray(value, dtype=object).reshape(-1):
            assert sympy.sympify(entry).is_Rational, (part, entry)


def test_batchnorm_sigma_is_whole_and_pool_has_no_ties() -> None:
    for seed in range(10):
        bn = course.variant("batchnorm", seed)
        x = np.asarray(bn.inputs["x"], dtype=object)
        var = ((x - x.mean(axis=0)) ** 2).mean(axis=0)
        assert all(sympy.sqrt(v).is_Integer for v in var)
        pool = course.variant("maxpool", seed).inputs["x"].reshape(-1).tolist()
        assert len(set(pool)) == 16


def test_unknown_exercise_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"1=conv2d-lesson, 2=conv2d-2ch.*softmax-ce"):
        course.variant("dropout", 0)
    assert course.variant(3, 0).exercise == "batchnorm"


def test_worked_solutions_in_markdown_and_ascii_latex() -> None:
    v = course.variant("conv2d-lesson", 2)
    assert "rot180" in v.solution_latex and "$$" in v.solution_markdown
    assert v.solution_latex.isascii()
    assert sympy.latex(sympy.Matrix(v.key["dw"][0, 0].tolist())) in v.solution_latex


# ----------------------------------------------------------------------------- grading
def test_a_correct_engine_solution_gets_full_marks() -> None:
    from autocnn.course.grading import grade_all

    results = grade_all(SOURCE, [(name, 5) for name in ENGINE_EXERCISES])
    for result in results:  # one child process for all five exercises
        assert result and result.score == result.max_score, str(result)



def test_partial_credit_per_entry_and_every_part_runs() -> None:
    v = course.variant("maxpool", 1)
    dx = np.asarray(v.key_floats()["dx"]).copy()
    dx[0, 0, 0, 0] += 1  # one of 16 entries wrong
    result = course.grade({"y": v.key_floats()["y"], "dx": dx}, "maxpool", 1)
    y, gx = result.parts
    assert y.status == "correct" and y.score == 2
    assert gx.status == "partial" and gx.correct_entries == 15 and gx.score == 4 * 15 / 16


def test_raise_loop_and_wrong_shape_are_per_part_zeros() -> None:
    source = SOURCE + '''
def bn_grad_gamma(x, gamma, beta, g, eps):
    while True:
        try:
            pass
        except Exception:   # cannot swallow the time limit
            pass

def bn_grad_beta(x, gamma, beta, g, eps):
    return np.zeros(5)

def bn_grad_input(x, gamma, beta, g, eps):
    return 1 / 0
'''
    result = course.grade(source, "batchnorm", 2, timeout=1.0)
    dx, dgamma, dbeta = result.parts
    assert dx.status == "error" and "ZeroDivisionError" in dx.message and dx.score == 0
    assert "line " in dx.message
    assert dgamma.status == "timeout" and dgamma.score == 0
    assert dbeta.status == "shape" and "shape (5,), expected (2,)" in dbeta.message


def test_a_function_submission_runs_in_a_child_with_a_deadline() -> None:
    def forever(**kwargs):
        while True:
            pass

    result = course.grade({"y": forever, "dx": lambda **k: 1 / 0}, "maxpool", 0, timeout=1)
    assert [p.status for p in result.parts] == ["timeout", "error"]


def test_mistakes_are_named_in_the_feedback() -> None:
    def wrong_ce(logits, target):  # forgot the one-hot
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True) / len(target)

    v = course.variant("softmax-ce", 4)
    answers = {"p": v.key_floats()["p"], "loss": v.key_floats()["loss"],
               "dlogits": wrong_ce(**v.float_inputs())}
    result = course.grade(answers, "softmax-ce", 4)
    assert result.parts[2].mistake_keys == ["onehot_not_subtracted"]
    assert "one-hot target not subtracted" in result.feedback()
    from autocnn.symbolic.exercises import CATALOGUE

    v = course.variant("batchnorm", 6)
    inp = v.float_inputs()
    no_gamma = CATALOGUE["batch_norm"]["gamma_forgotten"].rule(
        inp["g"], inp["x"], inp["gamma"], inp["beta"], eps=0)["x"]
    bn = course.grade({"dx": no_gamma, "dgamma": v.key_floats()["dgamma"],
                       "dbeta": v.key_floats()["dbeta"]}, "batchnorm", 6)
    assert bn.parts[0].mistake_keys == ["gamma_forgotten"], str(bn)
    assert bn.score == 4 + 6 * bn.parts[0].correct_entries / 8


def test_kernel_not_rotated_is_named_for_the_lesson_conv() -> None:
    v = course.variant("conv2d-lesson", 8)
    from autocnn.symbolic.conv2d import conv2d_backward_formula

    x, w, g = (v.float_inputs()[k] for k in ("x", "w", "g"))
    wrong = conv2d_backward_formula(x, w, g, 1, 0, rotate=False)["x"].astype(float)
    result = course.grade({"y": v.key_floats()["y"], "dx": wrong, "dw": v.key_floats()["dw"]},
                          "conv2d-lesson", 8)
    assert result.parts[1].mistake_keys == ["kernel_not_rotated"], str(result)
    assert result.parts[2].passed


def test_gradescope_and_otter_exports() -> None:
    v = course.variant("maxpool", 3)
    result = course.grade({"y": v.key_floats()["y"], "dx": np.zeros((1, 1, 4, 4))}, "maxpool", 3)
    assert result.parts[1].mistake_keys == ["all_zeros"]
    gs = course.to_gradescope(result)
    assert set(gs) >= {"score", "output", "tests", "visibility", "stdout_visibility"}
    assert gs["score"] == result.score
    for test in gs["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "status"}
        assert test["status"] in ("passed", "failed")
    json.dumps(gs)
    otter = course.to_otter(result)
    assert otter["total"] == result.score and all(
        {"name", "score", "possible", "passed"} <= set(t) for t in otter["tests"].values())


def test_find_the_bug_is_graded_by_the_mistake_key() -> None:
    v = course.variant("find-the-bug", 2)
    assert course.grade({"mistake": v.key["mistake"]}, "find-the-bug", 2)
    assert not course.grade({"mistake": "no_idea"}, "find-the-bug", 2)


# ----------------------------------------------------------------------------- classroom
@pytest.fixture()
def classroom(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nada,Ada Lovelace\nalan,Alan Turing\ngrace,Grace Hopper\n")
    out = tmp_path / "course"
    assert main(["course", "make", "--exercises", "1,3,5", "--students", str(roster),
                 "--out", str(out)]) == 0
    return out


def test_make_writes_a_notebook_per_student_and_no_key_value(classroom) -> None:
    key = json.loads((classroom / "key" / "key.json").read_text())
    assert sorted(key["students"]) == ["ada", "alan", "grace"]
    for sid, info in key["students"].items():
        text = (classroom / "students" / f"{sid}.ipynb").read_text()
        json.loads(text)
        assert "Worked solution" not in text
        for ex, seed in info["seeds"].items():
            v = course.variant(ex, seed)
            for part, value in v.key.items():
                for entry in np.asarray(value, dtype=object).reshape(-1):
                    e = sympy.sympify(entry)
                    if e.is_Integer and abs(int(e)) < 100:
                        continue  # small whole numbers are in every data cell too
                    assert str(e) not in text, (sid, ex, part, e)
                    assert f"{float(e):.4f}" not in text, (sid, ex, part, e)


def test_grade_folder_writes_scores_and_feedback(classroom) -> None:
    from autocnn.course.classroom import notebook_with_answers

    subs = classroom / "submissions"
    notebook_with_answers(classroom / "students" / "ada.ipynb", SOURCE, subs / "ada.ipynb")
    broken = SOURCE.replace("return _bn(x, gamma, beta, g, eps)[0]", "return 1 / 0")
    notebook_with_answers(classroom / "students" / "alan.ipynb", broken, subs / "alan.ipynb")
    assert main(["course", "grade", str(subs), "--key", str(classroom / "key")]) == 0
    grades = classroom / "grades"
    rows = {r["student"]: r for r in csv.DictReader((grades / "scores.csv").open())}
    assert float(rows["ada"]["total"]) == float(rows["ada"]["max"]) == 28
    assert float(rows["alan"]["total"]) == 22 and float(rows["alan"]["batchnorm"]) == 4
    assert float(rows["grace"]["total"]) == 0
    alan = (grades / "feedback" / "alan.md").read_text()
    assert "ZeroDivisionError" in alan and "dL/dgamma: 2 / 2" in alan
    assert "No submission" in (grades / "feedback" / "grace.md").read_text()
    assert json.loads((grades / "results" / "ada.json").read_text())["score"] == 28


def test_course_list_and_bad_roster(tmp_path, capsys) -> None:
    assert main(["course", "list"]) == 0
    assert "1. conv2d-lesson" in capsys.readouterr().out
    bad = tmp_path / "r.csv"
    bad.write_text("id\nada\nada\n")
    assert main(["course", "make", "--exercises", "1", "--students", str(bad), "--out",
                 str(tmp_path / "o")]) == 2
    assert "appears twice" in capsys.readouterr().err


# ----------------------------------------------------------------------------- inject
def _bn_inputs():
    import autocnn as ac

    rng = np.random.default_rng(0)
    return [ac.tensor(rng.standard_normal((4, 3)), requires_grad=True),
            ac.tensor(rng.uniform(0.5, 2, 3), requires_grad=True),
            ac.tensor(rng.standard_normal(3), requires_grad=True)]


def _bn(x, w, b):
    from autocnn import functional as F

    return F.batch_norm(x, None, None, w, b, training=True)


def test_inject_breaks_gradcheck_inside_and_never_outside() -> None:
    from autocnn.autograd import gradcheck

    assert gradcheck(_bn, _bn_inputs())
    with course.inject("batch_norm", "gamma_forgotten") as text:
        assert "γ forgotten" in text
        with pytest.raises(Exception, match="gradcheck failed"):
            gradcheck(_bn, _bn_inputs())
    assert gradcheck(_bn, _bn_inputs())


def test_inject_is_undone_after_an_exception() -> None:
    from autocnn import functional as F
    from autocnn.ops import Sigmoid

    conv, backward = F.conv2d, Sigmoid.__dict__["backward"]
    with pytest.raises(RuntimeError, match="boom"), course.inject("conv2d",
                                                                    "kernel_not_rotated"):
        assert F.conv2d is not conv
        raise RuntimeError("boom")
    assert F.conv2d is conv
    with pytest.raises(KeyError), course.inject("sigmoid", "derivative_is_output"):
        raise KeyError("x")
    assert Sigmoid.__dict__["backward"] is backward


def test_injected_gradient_is_the_catalogued_rule_and_shows_on_the_edges() -> None:
    import autocnn as ac
    from autocnn.symbolic.exercises import CATALOGUE

    x, w, b = _bn_inputs()
    g = np.random.default_rng(1).standard_normal((4, 3))
    with course.inject("batch_norm", "eps_outside_sqrt"):
        y = _bn(x, w, b)
        assert "Injected" in type(y.grad_fn).__name__  # the node the graph picture shows
        y.backward(ac.tensor(g))
    rule = CATALOGUE["batch_norm"]["eps_outside_sqrt"].rule(g, x.data, w.data, b.data)
    assert np.allclose(x.grad.data, rule["x"])
    assert np.allclose(b.grad.data, g.sum(0))  # the untouched input keeps the right rule


def test_inject_shows_in_a_training_curve() -> None:
    import autocnn as ac
    from autocnn import functional as F

    def curve():
        rng = np.random.default_rng(0)
        xs = ac.tensor(rng.standard_normal((16, 4)))
        ys = np.arange(16) % 3
        w = ac.tensor(np.zeros((3, 4)), requires_grad=True)
        losses = []
        for _ in range(10):
            loss = F.cross_entropy(F.linear(xs, w), ys)
            losses.append(float(loss.data))
            w.grad = None
            loss.backward()
            w.data -= 0.5 * w.grad.data
        return losses

    good = curve()
    with course.inject("cross_entropy", "sign_error_onehot_term"):
        bad = curve()
    assert good[-1] < good[0] and bad[-1] > good[-1] + 0.05


def test_inject_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="known: "), course.inject("batch_norm", "nonsense"):
        pass
    with pytest.raises(ValueError, match="unknown op"), course.inject("nonsense", "sign_error"):
        pass


def test_find_the_bug_demo_shows_a_failing_gradcheck() -> None:
    from autocnn.course.classroom import injected_bug_demo

    v = course.variant("find-the-bug", 0)
    text = injected_bug_demo(v.inputs["op"], 0)
    assert "injected mistake" in text and re.search(r"\d+ of \d+ entries", text)


def test_the_graph_picture_shows_the_injected_node_and_its_gradients() -> None:
    import autocnn as ac
    from autocnn import viz

    def picture():
        x, w, b = _bn_inputs()
        loss = (_bn(x, w, b) ** 2).sum()
        loss.backward()
        return viz.to_dot(loss, show_grads=True).source, x.grad.data

    right, right_grad = picture()
    with course.inject("batch_norm", "gamma_forgotten"):
        wrong, wrong_grad = picture()
    assert "mistake=gamma_forgotten" in wrong and "mistake=" not in right
    assert not np.allclose(right_grad, wrong_grad)
    assert isinstance(ac.tensor(1.0), ac.Tensor)


def test_an_unreadable_notebook_is_a_per_part_error(tmp_path) -> None:
    bad = tmp_path / "ada.ipynb"
    bad.write_text("{not json")
    result = course.grade(bad, "maxpool", 0)
    assert [p.status for p in result.parts] == ["error", "error"]
    assert "could not be read" in result.parts[0].message


def test_student_notebooks_carry_nbgrader_metadata(classroom) -> None:
    nb = json.loads((classroom / "students" / "ada.ipynb").read_text())
    ids = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
           if "nbgrader" in c["metadata"]]
    assert "batchnorm-dx" in ids and "batchnorm-checks" in ids
    assert len(ids) == len(set(ids))


def test_find_the_bug_notebook_shows_the_evidence_but_not_the_seed(tmp_path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("id\nada\n")
    from autocnn.course.classroom import make, student_seed

    make(["find-the-bug"], roster, tmp_path / "c")
    text = (tmp_path / "c" / "students" / "ada.ipynb").read_text()
    assert "gradcheck" in text and str(student_seed("ada", "find-the-bug")) not in text


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex is not installed")
def test_the_key_solutions_compile_with_pdflatex(classroom) -> None:
    import subprocess

    folder = classroom / "key" / "solutions"
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "-no-shell-escape", "ada.tex"], cwd=folder, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (folder / "ada.pdf").exists()
