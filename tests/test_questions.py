"""ui.questions: every answer checked against a plain NumPy gradient descent written here,
the asked run unchanged, the same question for the same run."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softmax_core import (
    DivergenceWarning,
    SoftmaxRegression,
    TrainingData,
    fit_sklearn,
    make_noisy_blobs,
    make_noisy_classes,
    symmetric_parameters,
)
from ui import questions
from ui.questions import (
    DIRECTIONS,
    MAX_LOOKAHEAD_STEPS,
    MAX_RACE_STEPS,
    QUESTION_WORK_BUDGET,
    Question,
    QuestionUnavailableError,
    learning_rate_race_question,
    loss_direction_question,
    option_labels,
    point_class_question,
)
from ui.rooms import MAX_OPTION_LENGTH, SqliteRoomStore

# ------------------------------------------------------------- an independent computation


def numpy_loss(W, b, X, y, C=math.inf):
    """Mean cross-entropy plus ||W||² / (2 C n), written out (no core function)."""
    Z = X @ W.T + b
    Z = Z - Z.max(axis=1, keepdims=True)
    log_p = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    penalty = 0.0 if math.isinf(C) else np.sum(W**2) / (2 * C * X.shape[0])
    return -log_p[np.arange(X.shape[0]), y].mean() + penalty


def numpy_gradient(W, b, X, y, C=math.inf):
    """``(dJ/dW, dJ/db)``: ``(P - Y)^T X / n + W / (C n)`` and the mean of ``P - Y``."""
    n = X.shape[0]
    Z = X @ W.T + b
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G = (P - np.eye(W.shape[0])[y]) / n
    return G.T @ X + (0.0 if math.isinf(C) else W / (C * n)), G.sum(axis=0)


def numpy_gd(W, b, X, y, lr, n_steps, C=math.inf):
    """Plain gradient descent from ``(W, b)``: the parameters after, and every loss."""
    W, b = W.copy(), b.copy()
    losses = [numpy_loss(W, b, X, y, C)]
    for _ in range(n_steps):
        grad_W, grad_b = numpy_gradient(W, b, X, y, C)
        W, b = W - lr * grad_W, b - lr * grad_b
        losses.append(numpy_loss(W, b, X, y, C))
    return W, b, np.array(losses)


def numpy_proba(W, b, x):
    z = W @ x + b
    p = np.exp(z - z.max())
    return p / p.sum()


def sklearn_optimum(X, y, C):
    """J*: scikit-learn's fit of the same objective, scored by the formula above."""
    coef, intercept = symmetric_parameters(fit_sklearn(X, y, same_objective_as=C))
    return numpy_loss(coef, intercept, X, y, C)


# ------------------------------------------------------------------------------ the runs


@pytest.fixture(scope="module")
def seed_data():
    """The seed note's data: 100 points on a line, 3 classes."""
    X, y = make_noisy_classes(100, 3, 0.1, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def blobs():
    """90 standardised 2-D points in 3 overlapping blobs: the race finishes here (C = 1)."""
    X, y = make_noisy_blobs(90, 3, 0.5, random_state=1)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def start(X, y, *, steps=0, **params):
    data = TrainingData(X, y, classes=np.arange(3))
    model = SoftmaxRegression(**params).step(data, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        model.step(data, steps)
    return model, data


def state_of(model):
    """Everything the run is: its snapshot, its history, its path, its settings."""
    snapshot = model.snapshot()
    iterations, thetas = model.path()
    return (
        tuple(np.asarray(v).tobytes() if isinstance(v, np.ndarray) else v for v in snapshot),
        model.loss_history().tobytes(),
        iterations.tobytes(),
        thetas.tobytes(),
        model.get_params(),
        model.learning_rate_,
    )


# ------------------------------------------------------------------ the loss, next step


def test_the_loss_direction_agrees_with_numpy_along_a_chaotic_run(seed_data):
    # The seed's rate 0.5 is above 2/L: the loss goes up and down. Each question starts
    # NumPy from the run's current parameters.
    X, y = seed_data
    model, data = start(X, y, learning_rate=0.5)
    seen = set()
    for _ in range(40):
        question = loss_direction_question(model, data)
        _, _, losses = numpy_gd(model.coef_, model.intercept_, X, y, 0.5, 1)
        assert losses[1] == pytest.approx(question.numbers["loss_after"], rel=1e-12)
        assert question.numbers["loss_before"] == pytest.approx(losses[0], rel=1e-12)
        expected = "up" if losses[1] > losses[0] else "down"
        assert abs(losses[1] - losses[0]) > 1e-6  # far from the no-change band here
        assert question.answer == expected and question.options == DIRECTIONS
        assert f"{question.numbers['loss_after']:.10g}" in question.reveal
        assert "above the stable limit" in question.reveal
        seen.add(question.answer)
        model.step(data, 1)
    assert seen == {"up", "down"}


@settings(max_examples=25, derandomize=True, deadline=None)
@given(lr=st.floats(1e-3, 1.5), steps=st.integers(0, 15))
def test_the_loss_direction_is_the_sign_of_one_numpy_step(seed_data, lr, steps):
    X, y = seed_data
    model, data = start(X, y, learning_rate=lr, steps=steps)
    if model.diverged_:
        with pytest.raises(QuestionUnavailableError, match="diverged"):
            loss_direction_question(model, data)
        return
    question = loss_direction_question(model, data)
    _, _, losses = numpy_gd(model.coef_, model.intercept_, X, y, lr, 1)
    change = losses[1] - losses[0]
    band = questions.NO_CHANGE_TOLERANCE * max(abs(losses[0]), 1.0)
    if abs(change) > 2 * band:  # beyond rounding, NumPy and the core agree on the sign
        assert question.answer == ("up" if change > 0 else "down")
    if lr < model.learning_rate_limit_:
        assert question.answer in ("down", "no change")  # the descent lemma


def test_at_the_optimum_the_answer_is_no_change(seed_data):
    X, y = seed_data
    model, data = start(X, y, solver="newton", steps=40)
    grad_W, grad_b = numpy_gradient(model.coef_, model.intercept_, X, y)
    # NumPy's judge: no first-order change is left.
    assert np.linalg.norm(grad_W) + np.linalg.norm(grad_b) < 1e-8
    question = loss_direction_question(model, data)
    assert question.answer == "no change"
    assert abs(question.numbers["change"]) <= question.numbers["tolerance"]
    assert "Newton" in question.reveal


def test_a_question_the_run_cannot_ask_says_why(seed_data):
    X, y = seed_data
    data = TrainingData(X, y, classes=np.arange(3))
    with pytest.raises(QuestionUnavailableError, match="not started"):
        loss_direction_question(SoftmaxRegression(), data)
    diverged, data = start(X, y, learning_rate=1e3, steps=30)
    assert diverged.diverged_
    for ask in (
        lambda: loss_direction_question(diverged, data),
        lambda: point_class_question(diverged, data, X[0], 1, "abc", point_number=0),
        lambda: learning_rate_race_question(diverged, data, [0.1, 0.2], 0.5),
    ):
        with pytest.raises(QuestionUnavailableError, match="diverged"):
            ask()
    finished, data = start(X, y, learning_rate=0.1, max_iter=5, steps=5)
    with pytest.raises(QuestionUnavailableError, match="max_iter"):
        loss_direction_question(finished, data)
    with pytest.raises(QuestionUnavailableError, match="max_iter"):
        point_class_question(finished, data, X[0], 1, "abc", point_number=0)
    with pytest.raises(TypeError):
        loss_direction_question(finished, (X, y))


# ------------------------------------------------------------------ a point, N steps on


@pytest.mark.parametrize("n_steps", [1, 7, 60, 400])
@pytest.mark.parametrize("steps_done", [0, 25])
def test_the_point_class_is_numpys_argmax_after_n_steps(blobs, n_steps, steps_done):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0, steps=steps_done)
    names = ["setosa", "versicolor", "virginica"]
    answers = set()
    for point in (0, 1, 2, 30, 31, 60, 61, 89):
        question = point_class_question(model, data, X[point], n_steps, names, point_number=point)
        W, b, _ = numpy_gd(model.coef_, model.intercept_, X, y, 1.0, n_steps, C=1.0)
        expected = numpy_proba(W, b, X[point])
        np.testing.assert_allclose(question.numbers["probabilities_after"], expected, atol=1e-10)
        assert question.answer == names[int(np.argmax(expected))]
        assert question.options == tuple(names)
        assert f"#{point}" in question.text and f"after {n_steps:,} more steps" in question.text
        answers.add(question.answer)
    if n_steps >= 60:
        assert answers == set(names)  # the points are of all three classes


def test_a_tie_after_the_steps_is_not_asked():
    # Two mirrored classes: the point midway stays at probability 1/2 each, step after step.
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    data = TrainingData(X, y)
    model = SoftmaxRegression(learning_rate=0.5).step(data, 3)
    with pytest.raises(QuestionUnavailableError, match="tied"):
        point_class_question(model, data, [0.0], 10, ["left", "right"], point_number=4)
    question = point_class_question(model, data, [1.5], 10, ["left", "right"], point_number=3)
    assert question.answer == "right"


def test_the_lookahead_is_bounded(seed_data):
    X, y = seed_data
    model, data = start(X, y, learning_rate=0.1, max_iter=100_000)
    for bad in (0, -1, MAX_LOOKAHEAD_STEPS + 1, 2.5, True):
        with pytest.raises(ValueError, match="n_steps"):
            point_class_question(model, data, X[0], bad, "abc", point_number=0)
    with pytest.raises(ValueError, match="x must be"):
        point_class_question(model, data, [1.0, 2.0], 1, "abc", point_number=0)
    with pytest.raises(ValueError, match="x must be"):
        point_class_question(model, data, [math.nan], 1, "abc", point_number=0)
    with pytest.raises(ValueError, match="class_names"):
        point_class_question(model, data, X[0], 1, ["a", "b"], point_number=0)
    # On a large data set the work budget caps the steps below MAX_LOOKAHEAD_STEPS.
    X_big, y_big = make_noisy_classes(50_000, 3, 0.1, random_state=0)
    big_model, big_data = start(X_big, y_big, learning_rate=0.1)
    cap = QUESTION_WORK_BUDGET // 50_000
    assert cap < MAX_LOOKAHEAD_STEPS
    with pytest.raises(ValueError, match=f"from 1 to {cap:,} on 50,000 points"):
        point_class_question(big_model, big_data, X_big[0], cap + 1, "abc", point_number=0)


def test_class_names_become_plain_distinct_bounded_options():
    assert option_labels(["0", "1", "2"]) == ("0", "1", "2")
    long = ["x" * 100 + "a", "x" * 100 + "b"]
    labels = option_labels(long)
    assert len(set(labels)) == 2 and all(len(label) <= MAX_OPTION_LENGTH for label in labels)
    assert labels[0].startswith("0: ") and labels[1].startswith("1: ")
    markup = option_labels(["<b>bold</b>", "*star*", "tab\there"])
    assert markup[:2] == ("<b>bold</b>", "*star*") and markup[2].isprintable()
    assert option_labels(["", "a"]) == ("0:", "1: a")  # plain text: no trailing space


# ---------------------------------------------------------------- the learning-rate race


def numpy_race(model, X, y, rates, j_star, gap, max_steps, C):
    """Steps of each rate to J − J* < gap from the run's parameters (None: not within)."""
    results = []
    for rate in rates:
        with np.errstate(over="ignore", invalid="ignore"):
            _, _, losses = numpy_gd(model.coef_, model.intercept_, X, y, rate, max_steps, C=C)
        below = np.flatnonzero(losses[1:] - j_star < gap)
        results.append(int(below[0]) + 1 if below.size else None)
    return results


@pytest.mark.parametrize("steps_done", [0, 3])
def test_the_race_winner_is_the_rate_numpy_finishes_first(blobs, steps_done):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0, steps=steps_done)
    j_star = sklearn_optimum(X, y, 1.0)
    limit = model.learning_rate_limit_
    rates = [0.25 * limit, 0.5 * limit, 0.9 * limit, 1.5 * limit]
    question = learning_rate_race_question(model, data, rates, j_star)
    expected = numpy_race(model, X, y, rates, j_star, 1e-3, MAX_RACE_STEPS, 1.0)
    lanes = question.numbers["lanes"]
    assert [lane.steps for lane in lanes] == expected
    fastest = min((steps, i) for i, steps in enumerate(expected) if steps)[1]
    assert question.answer == question.options[fastest] == f"{rates[fastest]:.4g}"
    assert question.options[-1] == f"none within {MAX_RACE_STEPS:,} steps"
    assert len(question.options) == 5
    assert f"{expected[fastest]:,} steps" in question.reveal


def test_when_no_rate_finishes_the_answer_is_none_within_n_steps(blobs):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0)
    j_star = sklearn_optimum(X, y, 1.0)
    rates = [0.01, 0.02, 0.05]
    question = learning_rate_race_question(model, data, rates, j_star, max_steps=30)
    assert numpy_race(model, X, y, rates, j_star, 1e-3, 30, 1.0) == [None, None, None]
    assert question.answer == question.options[-1] == "none within 30 steps"
    assert "At most 30 steps each" in question.text and "None finished" in question.reveal


def test_rates_finishing_at_the_same_step_are_split_by_the_lower_loss(blobs):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0)
    j_star = sklearn_optimum(X, y, 1.0)
    rates = [3.3, 3.4]
    steps = numpy_race(model, X, y, rates, j_star, 1e-3, 100, 1.0)
    assert steps[0] == steps[1] is not None  # the setting of this test: a tie on steps
    finals = [
        numpy_gd(model.coef_, model.intercept_, X, y, r, steps[0], C=1.0)[2][-1] for r in rates
    ]
    question = learning_rate_race_question(model, data, rates, j_star)
    assert question.answer == f"{rates[int(np.argmin(finals))]:.4g}"
    lanes = question.numbers["lanes"]
    assert [lane.loss for lane in lanes] == pytest.approx(finals, rel=1e-12)


def test_a_diverging_rate_never_finishes(seed_data):
    X, y = seed_data
    model, data = start(X, y, learning_rate=0.1)
    j_star = sklearn_optimum(X, y, math.inf)
    question = learning_rate_race_question(model, data, [0.1, 100.0], j_star, max_steps=200)
    diverging = question.numbers["lanes"][1]
    assert diverging.diverged and diverging.steps is None
    assert "100: diverged" in question.reveal


def test_a_race_the_run_cannot_hold_says_why(seed_data, blobs):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0)
    j_star = sklearn_optimum(X, y, 1.0)
    for bad in ([0.1], [0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.1], [0.10001, 0.1], [0.0, 0.1]):
        with pytest.raises(ValueError):
            learning_rate_race_question(model, data, bad, j_star)
    for bad_reference in (math.nan, math.inf):
        with pytest.raises(ValueError, match="reference_loss"):
            learning_rate_race_question(model, data, [0.1, 0.2], bad_reference)
    with pytest.raises(QuestionUnavailableError, match="already within"):
        learning_rate_race_question(model, data, [0.1, 0.2], model.loss_)
    newton, newton_data = start(X, y, solver="newton", C=1.0)
    with pytest.raises(QuestionUnavailableError, match="Newton"):
        learning_rate_race_question(newton, newton_data, [0.1, 0.2], j_star)


def test_the_race_is_bounded_by_the_work_budget(monkeypatch):
    # A smaller budget on a smaller data set: the same arithmetic, a fiftieth of the time.
    monkeypatch.setattr(questions, "QUESTION_WORK_BUDGET", QUESTION_WORK_BUDGET // 50)
    X, y = make_noisy_classes(1_000, 3, 0.1, random_state=0)
    model, data = start(X, y, learning_rate=0.1)
    question = learning_rate_race_question(model, data, [1e-4, 2e-4], -1.0)
    cap = QUESTION_WORK_BUDGET // 50 // (2 * 1_000)
    assert question.numbers["max_steps"] == cap < MAX_RACE_STEPS
    assert question.answer == f"none within {cap:,} steps"
    assert all(lane.steps is None for lane in question.numbers["lanes"])
    assert model.n_iter_ == 0


# ------------------------------------------------------------ the run and the questions


def test_asking_leaves_the_run_as_it_was(blobs):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0, steps=5)
    twin, twin_data = start(X, y, learning_rate=1.0, C=1.0, steps=5)
    before, attributes = state_of(model), set(vars(model))
    j_star = sklearn_optimum(X, y, 1.0)
    loss_direction_question(model, data)
    point_class_question(model, data, X[3], 50, "abc", point_number=3)
    learning_rate_race_question(model, data, [0.5, 3.0, 6.0], j_star)
    assert state_of(model) == before and set(vars(model)) == attributes
    # And it trains on exactly as a run nobody asked about.
    model.step(data, 20)
    twin.step(twin_data, 20)
    assert model.loss_history().tobytes() == twin.loss_history().tobytes()
    np.testing.assert_array_equal(model.coef_, twin.coef_)


@pytest.mark.parametrize("learning_rate", [0.5, 1.0])  # above 2/L the seed's order of sums
def test_the_answer_is_what_the_run_then_does_bit_for_bit(seed_data, learning_rate):
    X, y = seed_data
    model, data = start(X, y, learning_rate=learning_rate, steps=3)
    direction = loss_direction_question(model, data)
    point = point_class_question(model, data, X[10], 25, "abc", point_number=10)
    model.step(data, 1)
    assert model.loss_ == direction.numbers["loss_after"]
    model.step(data, 24)
    assert model.predict_proba(X[10:11])[0].tolist() == point.numbers["probabilities_after"]


def test_the_same_run_asks_the_same_questions(blobs):
    X, y = blobs

    def ask_all():
        model, data = start(X, y, learning_rate=1.0, C=1.0, steps=2)
        j_star = sklearn_optimum(X, y, 1.0)
        return (
            loss_direction_question(model, data),
            point_class_question(model, data, X[40], 30, "abc", point_number=40),
            learning_rate_race_question(model, data, [0.5, 3.0], j_star),
        )

    first, second = ask_all(), ask_all()
    assert first == second
    assert copy.deepcopy(first) == first


def test_every_question_fits_a_room_and_reads_back(tmp_path, blobs):
    X, y = blobs
    model, data = start(X, y, learning_rate=1.0, C=1.0)
    names = ["a class with a rather long name, cut to fit"] * 2 + ["<i>third</i>"]
    asked = [
        loss_direction_question(model, data),
        point_class_question(model, data, X[0], 10, names, point_number=0),
        learning_rate_race_question(model, data, [0.5, 1.0, 3.0, 9.0], sklearn_optimum(X, y, 1.0)),
    ]
    store = SqliteRoomStore(tmp_path / "rooms.sqlite3")
    room = store.create_room()
    for question in asked:
        assert isinstance(question, Question) and question.answer in question.options
        number = store.open_question(room.code, room.teacher_secret, question)
        shown = store.read_question(room.code)
        assert (shown.text, shown.options, shown.answer) == (question.text, question.options, None)
        revealed = store.reveal(room.code, room.teacher_secret)
        assert (revealed.number, revealed.answer) == (number, question.answer)
        assert revealed.reveal == question.reveal
    store.close()


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_an_sgd_runs_loss_direction_is_its_next_mini_batch_step(seed_data, factor):
    X, y = seed_data
    data = TrainingData(X, y, classes=np.arange(3))
    limit = SoftmaxRegression().step(data, 0).learning_rate_limit_
    params = {"solver": "sgd", "batch_size": 10, "random_state": 4, "learning_rate": factor * limit}
    model, data = start(X, y, steps=7, **params)
    before = state_of(model)
    question = loss_direction_question(model, data)
    assert state_of(model) == before  # asking takes no step of the run
    twin, _ = start(X, y, steps=8, **params)  # the same batches: the step the run will take
    change = twin.loss_ - model.loss_
    assert question.numbers["loss_after"] == twin.loss_
    tolerance = question.numbers["tolerance"]
    assert question.answer == (
        "up" if change > tolerance else "down" if change < -tolerance else "no change"
    )
    assert "mini-batch's gradient" in question.reveal
    if factor < 1:
        assert "even below the stable limit 2/L" in question.reveal
    else:
        assert "above the stable limit 2/L" in question.reveal
    assert "every gradient step lowers the loss" not in question.reveal
