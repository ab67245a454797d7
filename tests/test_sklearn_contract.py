"""scikit-learn 1.9.1's own ``LogisticRegression`` tests
(``sklearn/linear_model/tests/test_logistic.py``), re-aimed at ``SoftmaxRegression``, and the
parts of the classifier contract they do not cover (``decision_function``,
``predict_log_proba``, parameter validation).

Two conventions change every port. ``global_random_seed`` (scikit-learn's fixture) becomes
the seeds 0 and 1. For two classes scikit-learn fits one vector ``v``; our two rows differ by
``v`` and carry half its penalty, so ``SoftmaxRegression(C=C)`` is compared with
``LogisticRegression(C=2 C)`` and with ``v = coef_[1] - coef_[0]`` (``binary_vector``).

Ported (dense data; our solvers where theirs were): ``test_predict_2_classes``,
``test_predict_3_classes``, ``test_logistic_glmnet``, ``test_check_solver_option`` (an
unknown solver), ``test_inconsistent_input``, ``test_write_parameters``, ``test_nan``,
``test_multinomial_logistic_regression_string_inputs`` (without the CV half),
``test_logistic_regression_solvers``, ``test_logistic_regression_solvers_multiclass`` and
``..._unpenalized`` (each of our solvers against the others and against lbfgs),
``test_logistic_regression_sample_weights`` (``"single"``),
``test_logistic_regression_solver_class_weights``,
``test_logistic_regression_class_weights``, ``test_liblinear_decision_function_zero`` (a
zero decision is the first class), ``test_logreg_intercept_scaling_zero`` (no intercept is
0), ``test_logreg_predict_proba_multinomial``,
``test_max_iter``, ``test_n_iter`` (``n_iter_`` is an int here, scikit-learn's an array of
one), ``test_warm_start``, ``test_warm_start_newton_solver`` (for all our solvers, exactly),
``test_warm_start_converge_LR``, ``test_dtype_match`` (the accuracy half), ``test_penalty_none``
and ``test_c_inf_no_warning`` (``C=inf`` is the unpenalised model, no warning but the
convergence one), ``test_multinomial_identifiability_on_iris``,
``test_sample_weight_not_modified``, ``test_single_feature_newton_cg`` (Newton) and
``test_zero_max_iter`` (``max_iter >= 1`` here: ``advance(n_steps=0)`` is iteration 0).

Skipped, and why: sparse input (``test_sparsify``, ``test_logistic_cv_sparse``,
``test_large_sparse_matrix`` and the ``csr_container`` halves: the model is dense only and
refuses sparse input, as ``check_estimator`` checks); the cross-validating estimator and
the regularisation path (``LogisticRegressionCV``, ``_logistic_regression_path``,
``_log_reg_scoring_path``: ``test_consistency_path``, ``test_logistic_cv*``,
``test_multinomial_cv_iris``, ``test_LogisticRegressionCV_*``, the scoring and
metadata-routing tests; ``GridSearchCV`` over ``C`` is tested in ``test_model.py``); L1 and
elastic-net penalties and their solvers (``test_logreg_l1``, ``test_elastic_net_*``,
``test_saga_vs_liblinear``, ``test_l1_ratio_*``, ``test_penalty_deprecated``,
``test_lr_penalty_l1ratio_incompatible``: only L2 here); solver specifics of liblinear,
sag/saga, newton-cholesky and lbfgs (``test_liblinear_*``,
``test_logisticregression_liblinear_sample_weight``,
``test_sample_and_class_weight_equivalence_liblinear``,
``test_newton_cholesky_fallback_to_lbfgs``, ``test_logistic_regression_path_convergence_fail``,
the dual formulation, ``intercept_scaling``, ``n_jobs``); the array API (the model is
NumPy); scikit-learn's experimental callbacks; and the dtype half of ``test_dtype_match``
(``coef_`` is float64 whatever the input).
"""

import re
import warnings

import numpy as np
import pytest
from scipy import special
from sklearn.datasets import load_iris, make_classification, make_low_rank_matrix
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import LabelEncoder, scale
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import InvalidParameterError

from softmax_core import SoftmaxRegression, TrainingData, fit_sklearn

SEEDS = [0, 1]
X = [[-1, 0], [0, 1], [1, 1]]
Y1 = [0, 1, 1]
Y2 = [2, 1, 0]
IRIS = load_iris()
FULL_BATCH = ("gd", "nesterov", "newton")


def binary_vector(model):
    """Our two rows as scikit-learn's single binomial vector (and intercept)."""
    return model.coef_[1] - model.coef_[0], model.intercept_[1] - model.intercept_[0]


def converged(solver="newton", **params):
    """A model that runs to its optimum (a tolerance at rounding level, a large budget)."""
    defaults = {"tol": 1e-13, "max_iter": 100 if solver == "newton" else 200_000}
    return SoftmaxRegression(solver=solver, **{**defaults, **params})


def check_predictions(clf, X, y):
    """Check that the model is able to fit the classification data (scikit-learn's helper)."""
    n_samples = len(y)
    classes = np.unique(y)
    n_classes = classes.shape[0]
    predicted = clf.fit(X, y).predict(X)
    np.testing.assert_array_equal(clf.classes_, classes)
    assert predicted.shape == (n_samples,)
    np.testing.assert_array_equal(predicted, y)
    probabilities = clf.predict_proba(X)
    assert probabilities.shape == (n_samples, n_classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), np.ones(n_samples))
    np.testing.assert_array_equal(probabilities.argmax(axis=1), y)


# ------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_predict_2_classes(solver):
    check_predictions(SoftmaxRegression(solver=solver, C=0.5), X, Y1)  # LogisticRegression()
    check_predictions(SoftmaxRegression(solver=solver, C=50), X, Y1)
    check_predictions(SoftmaxRegression(solver=solver, C=0.5, fit_intercept=False), X, Y1)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_predict_3_classes(solver):
    check_predictions(SoftmaxRegression(solver=solver, C=10), X, Y2)


def test_logistic_glmnet():
    """Compare with glmnet's L2-penalised fit (lambda = 1; its values from scikit-learn's
    test): C = 1 / (lambda n), halved for two classes."""
    X = np.array([[-4, -3, -2, -1, 0, 1, 2, 3, 4], [0, 0, 1, 0, 1, 1, 1, 0, 0]]).T
    y = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])
    glm = converged(C=1 / 1 / y.shape[0] / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        glm.fit(X, y)
    coef, intercept = binary_vector(glm)
    np.testing.assert_allclose(intercept, 0.89230405539, rtol=1e-5)
    np.testing.assert_allclose(coef, [0.44464569182, 0.01457563448], rtol=1e-5)

    y = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    glm.set_params(C=1 / y.shape[0]).fit(X, y)
    np.testing.assert_allclose(
        glm.intercept_, [-0.12004759652, 2.251747383e-01, -0.1051271418], rtol=1e-5
    )
    np.testing.assert_allclose(
        glm.coef_,
        [
            [-0.38023389305, -0.01226499932],
            [-8.164030176e-05, 4.734548012e-02],
            [0.3803155334, -0.0350804808],
        ],
        rtol=1e-5,
        atol=1e-8,
    )


def test_check_solver_option():
    """An unknown solver is refused by name (scikit-learn's checks of solver and penalty
    combinations have no counterpart: every solver here supports every option)."""
    with pytest.raises(InvalidParameterError, match="The 'solver' parameter of SoftmaxRegression"):
        SoftmaxRegression(solver="liblinear").fit(IRIS.data, IRIS.target)


def test_inconsistent_input():
    rng = np.random.RandomState(0)
    X_ = rng.random_sample((5, 10))
    y_ = np.ones(X_.shape[0])
    y_[0] = 0
    clf = SoftmaxRegression(random_state=0, C=0.5)
    with pytest.raises(ValueError, match="Found input variables with inconsistent number"):
        clf.fit(X, y_[:-1])
    with pytest.raises(ValueError, match="X has 12 features, but"):
        clf.fit(X_, y_).predict(rng.random_sample((3, 12)))


def test_write_parameters():
    clf = SoftmaxRegression(C=0.5).fit(X, Y1)
    clf.coef_[:] = 0
    clf.intercept_[:] = 0
    np.testing.assert_array_almost_equal(clf.decision_function(X), 0)


def test_nan():
    Xnan = np.array(X, dtype=np.float64)
    Xnan[0, 1] = np.nan
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN.")):
        SoftmaxRegression().fit(Xnan, Y1)


def test_decision_function_zero_is_the_first_class():
    """(test_liblinear_decision_function_zero) A zero decision predicts classes_[0]."""
    X, y = make_classification(n_samples=5, n_features=5, random_state=0)
    clf = SoftmaxRegression(fit_intercept=False, C=0.5).fit(X, y)
    np.testing.assert_array_equal(clf.decision_function(np.zeros((5, 5))), 0.0)
    np.testing.assert_array_equal(clf.predict(np.zeros((5, 5))), np.zeros(5))


def test_no_intercept_is_zero():
    """(test_logreg_intercept_scaling_zero) fit_intercept=False leaves the intercept at 0."""
    for solver in ("gd", "nesterov", "newton", "sgd"):
        clf = SoftmaxRegression(fit_intercept=False, solver=solver, C=0.5).fit(X, Y1)
        np.testing.assert_array_equal(clf.intercept_, 0.0)


def test_multinomial_logistic_regression_string_inputs():
    n_samples, n_features, n_classes = 50, 5, 3
    X_ref, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_classes=n_classes,
        n_informative=3,
        random_state=0,
    )
    y_str = LabelEncoder().fit(["bar", "baz", "foo"]).inverse_transform(y)
    y = np.array(y) - 1  # labels from (-1, 0, 1)
    lr = SoftmaxRegression(C=1.0).fit(X_ref, y)
    lr_str = SoftmaxRegression(C=1.0).fit(X_ref, y_str)
    np.testing.assert_allclose(lr.coef_, lr_str.coef_)
    np.testing.assert_allclose(lr.predict_proba(X_ref), lr_str.predict_proba(X_ref))
    assert sorted(lr_str.classes_) == ["bar", "baz", "foo"]
    assert sorted(np.unique(lr_str.predict(X_ref))) == ["bar", "baz", "foo"]
    # Class weights can be given with string labels; a weight of 0 drops a class.
    lr_cw = SoftmaxRegression(C=1.0, class_weight={"bar": 1, "baz": 2, "foo": 0}, solver="newton")
    assert sorted(np.unique(lr_cw.fit(X_ref, y_str).predict(X_ref))) == ["bar", "baz"]


# ------------------------------------------------------------ the same optimum, solvers


@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_regression_solvers(seed):
    """Binary, C = 0.1 (LogisticRegression's; ours C = 0.05), no intercept: every solver
    finds lbfgs's optimum."""
    X, y = make_classification(n_samples=200, n_features=10, n_informative=5, random_state=seed)
    reference = LogisticRegression(C=0.1, fit_intercept=False, tol=1e-10, max_iter=1000)
    coefs = {"lbfgs": reference.fit(X, y).coef_.ravel()}
    for solver in FULL_BATCH:
        model = converged(solver, C=0.05, fit_intercept=False).fit(X, y)
        assert model.converged_
        coefs[solver] = binary_vector(model)[0]
    for one in coefs:
        for other in coefs:
            np.testing.assert_allclose(coefs[one], coefs[other], atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_logistic_regression_solvers_multiclass(fit_intercept):
    n_samples, n_features, n_classes = 20, 20, 3
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=10,
        n_classes=n_classes,
        random_state=0,
    )
    reference = LogisticRegression(fit_intercept=fit_intercept, tol=1e-10, max_iter=1000)
    fits = {"lbfgs": reference.fit(X, y)}
    for solver in FULL_BATCH:
        fits[solver] = converged(solver, C=1.0, fit_intercept=fit_intercept).fit(X, y)
        assert fits[solver].coef_.shape == (n_classes, n_features)
    # Newton and lbfgs, to scikit-learn's tolerance.
    np.testing.assert_allclose(fits["newton"].coef_, fits["lbfgs"].coef_, rtol=1e-3)
    if fit_intercept:
        np.testing.assert_allclose(fits["newton"].intercept_, fits["lbfgs"].intercept_, rtol=1e-3)
    # gd and Nesterov stop when a step changes J by less than tol (1e-13): measured, J is
    # then 3e-11 (gd) and 2e-11 (Nesterov) above Newton's, the coefficients up to 2e-5 and
    # the intercepts up to 1.2e-4 off (this problem is ill-conditioned: 20 samples, 20
    # features).
    for solver in ("gd", "nesterov"):
        assert 0 <= fits[solver].loss_ - fits["newton"].loss_ < 1e-9
        np.testing.assert_allclose(fits[solver].coef_, fits["newton"].coef_, atol=2e-4)
        np.testing.assert_allclose(fits[solver].intercept_, fits["newton"].intercept_, atol=1e-3)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_regression_solvers_multiclass_unpenalized(fit_intercept, seed):
    """C = inf on well-conditioned data drawn from a multinomial model (not separable)."""
    n_samples, n_features, n_classes = 100, 4, 3
    rng = np.random.RandomState(seed)
    X = make_low_rank_matrix(
        n_samples=n_samples,
        n_features=n_features + fit_intercept,
        effective_rank=n_features + fit_intercept,
        tail_strength=0.1,
        random_state=rng,
    )
    if fit_intercept:
        X[:, -1] = 1
    singular = np.linalg.svd(X, compute_uv=False)
    assert np.all(singular > 1e-3) and np.max(singular) / np.min(singular) < 100
    if fit_intercept:
        X = X[:, :-1]
    coef = rng.uniform(low=1, high=3, size=n_features * n_classes).reshape(n_classes, -1)
    intercept = rng.uniform(low=-1, high=1, size=n_classes) * fit_intercept
    proba = special.softmax(X @ coef.T + intercept, axis=1)
    y = np.array([np.argwhere(rng.multinomial(n=1, pvals=p))[0, 0] for p in proba])
    reference = LogisticRegression(C=np.inf, fit_intercept=fit_intercept, tol=1e-10, max_iter=1000)
    fits = {"lbfgs": reference.fit(X, y)}
    for solver in ("nesterov", "newton"):
        fits[solver] = converged(solver, fit_intercept=fit_intercept).fit(X, y)
        # The unpenalised optimum nearest zero sums to zero over the classes.
        np.testing.assert_allclose(fits[solver].coef_.sum(axis=0), 0, atol=1e-10)
    for one in fits.values():
        for other in fits.values():
            np.testing.assert_allclose(one.coef_, other.coef_, rtol=2e-3)
            if fit_intercept:
                np.testing.assert_allclose(one.intercept_, other.intercept_, rtol=1e-3)


# -------------------------------------------------------------- sample and class weights


@pytest.mark.parametrize("solver", ["nesterov", "newton"])
@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_regression_sample_weights(solver, seed):
    """Integer weights (0 to 4 on the first 200 samples) equal the rows repeated."""
    X, y = make_classification(
        n_samples=600, n_features=5, n_informative=3, n_redundant=0, random_state=seed
    )
    rng = np.random.RandomState(seed)
    sw = np.ones(y.shape[0])
    sw[:200] = rng.randint(0, 5, size=200)
    X_repeated = np.repeat(X, sw.astype(int), axis=0)
    y_repeated = np.repeat(y, sw.astype(int), axis=0)
    params = {"fit_intercept": False, "C": 0.5}
    weighted = converged(solver, **params).fit(X, y, sample_weight=sw)
    repeated = converged(solver, **params).fit(X_repeated, y_repeated)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-5)
    sk = LogisticRegression(fit_intercept=False, tol=1e-10, max_iter=1000)
    np.testing.assert_allclose(
        binary_vector(weighted)[0], sk.fit(X, y, sample_weight=sw).coef_.ravel(), atol=1e-5
    )


@pytest.mark.parametrize("solver", ["nesterov", "newton"])
@pytest.mark.parametrize("seed", SEEDS)
def test_logistic_regression_solver_class_weights(solver, seed):
    """class_weight {0: 1, 1: 2} is sample weights of 2 on class 1."""
    X, y = make_classification(
        n_samples=300, n_features=5, n_informative=3, n_classes=2, random_state=seed
    )
    params = {"fit_intercept": False, "C": 0.5}
    by_class = converged(solver, class_weight={0: 1, 1: 2}, **params).fit(X, y)
    by_sample = converged(solver, **params).fit(X, y, sample_weight=y + 1)
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, atol=1e-6)


def _compute_class_weight_dictionary(y):
    classes = np.unique(y)
    class_weight = compute_class_weight("balanced", classes=classes, y=y)
    return dict(zip(classes, class_weight, strict=True))


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton"])
def test_logistic_regression_class_weights(solver):
    X_iris = scale(IRIS.data)
    # Multinomial: 90% of class 0 removed.
    X, y = X_iris[45:, :], IRIS.target[45:]
    class_weight_dict = _compute_class_weight_dictionary(y)
    params = {"C": 1.0, "tol": 1e-10, "max_iter": 100_000}
    clf1 = SoftmaxRegression(solver=solver, class_weight="balanced", **params).fit(X, y)
    clf2 = SoftmaxRegression(solver=solver, class_weight=class_weight_dict, **params).fit(X, y)
    assert len(clf1.classes_) == 3
    np.testing.assert_allclose(clf1.coef_, clf2.coef_, rtol=1e-4)
    sw = np.ones(X.shape[0])
    for c in clf1.classes_:
        sw[y == c] *= class_weight_dict[c]
    clf3 = SoftmaxRegression(solver=solver, **params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(clf3.coef_, clf2.coef_, rtol=1e-4)
    # ... and LogisticRegression's, with the same class weights (at the optimum: gd and
    # Nesterov stop 1e-4 away at this tol).
    if solver == "newton":
        sk = fit_sklearn(X, y, same_objective_as=1.0, class_weight="balanced")
        np.testing.assert_allclose(clf1.coef_, sk.coef_, rtol=1e-4, atol=1e-6)
    # Binary: 90% of class 0 and all of class 2 removed.
    X, y = X_iris[45:100, :], IRIS.target[45:100]
    class_weight_dict = _compute_class_weight_dictionary(y)
    clf1 = SoftmaxRegression(solver=solver, class_weight="balanced", **params).fit(X, y)
    clf2 = SoftmaxRegression(solver=solver, class_weight=class_weight_dict, **params).fit(X, y)
    np.testing.assert_array_almost_equal(clf1.coef_, clf2.coef_, decimal=6)


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 10.0, 2: 1.0}, "balanced"])
def test_sample_weight_not_modified(class_weight):
    X, y = load_iris(return_X_y=True)
    W = np.ones(len(X))
    W[: len(X) // 2] = 2
    expected = W.copy()
    SoftmaxRegression(class_weight=class_weight, max_iter=200, solver="newton").fit(
        X, y, sample_weight=W
    )
    np.testing.assert_allclose(expected, W)


# ------------------------------------------------------------------------- the fit itself


@pytest.mark.parametrize("seed", SEEDS)
def test_logreg_predict_proba_multinomial(seed):
    """The multinomial fit's log loss is below one-vs-rest's."""
    X, y = make_classification(
        n_samples=10, n_features=20, random_state=seed, n_classes=3, n_informative=10
    )
    ours = SoftmaxRegression(C=1.0, solver="newton").fit(X, y)
    ovr = OneVsRestClassifier(LogisticRegression()).fit(X, y)
    assert log_loss(y, ovr.predict_proba(X)) > log_loss(y, ours.predict_proba(X))


@pytest.mark.parametrize("max_iter", [1, 2, 3, 4])
@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
def test_max_iter(max_iter, solver):
    X, y_bin = IRIS.data, IRIS.target.copy()
    y_bin[y_bin == 2] = 0
    lr = SoftmaxRegression(max_iter=max_iter, tol=1e-15, solver=solver, random_state=0)
    with pytest.warns(ConvergenceWarning, match=f"did not converge in max_iter={max_iter}"):
        lr.fit(X, y_bin)
    assert lr.n_iter_ == max_iter


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
def test_n_iter(solver):
    """``n_iter_`` is the number of iterations, an int (scikit-learn: an array of one)."""
    X, y = scale(IRIS.data), IRIS.target
    y_bin = np.where(y == 2, 0, y)
    for target in (y_bin, y):
        clf = SoftmaxRegression(tol=1e-2, C=1.0, solver=solver, random_state=42).fit(X, target)
        assert isinstance(clf.n_iter_, int) and 1 <= clf.n_iter_ <= clf.max_iter
        assert clf.n_iter_ == len(clf.loss_curve_)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
@pytest.mark.parametrize("warm_start", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_warm_start(solver, warm_start, fit_intercept):
    """A 1-iteration second fit stays close with a warm start, starts over without."""
    X, y = IRIS.data, IRIS.target
    clf = SoftmaxRegression(
        tol=1e-4,
        C=1.0,
        warm_start=warm_start,
        solver=solver,
        random_state=0,
        fit_intercept=fit_intercept,
    )
    coef_1 = clf.fit(X, y).coef_
    clf.max_iter = 1
    clf.fit(X, y)
    cum_diff = np.sum(np.abs(coef_1 - clf.coef_))
    if warm_start:
        assert cum_diff < 2.0
    else:
        assert cum_diff > 2.0


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [1, np.inf])
def test_warm_start_continues_exactly(solver, fit_intercept, C):
    """(test_warm_start_newton_solver) Two iterations at once equal two warm-started
    fits of one, bit for bit for every solver: a warm start resumes the run (Nesterov's
    momentum, SGD's next batch)."""
    X, y = IRIS.data, IRIS.target
    params = {"solver": solver, "fit_intercept": fit_intercept, "C": C, "random_state": 3}
    once = SoftmaxRegression(max_iter=2, **params).fit(X, y)
    twice = SoftmaxRegression(max_iter=1, warm_start=True, **params)
    twice.fit(X, y).fit(X, y)
    np.testing.assert_array_equal(twice.coef_, once.coef_)
    np.testing.assert_array_equal(twice.intercept_, once.intercept_)
    assert twice.loss_curve_ == once.loss_curve_


@pytest.mark.parametrize("seed", SEEDS)
def test_warm_start_converge_LR(seed):
    """Warm-started fits converge to the optimum of one fit."""
    rng = np.random.RandomState(seed)
    X = np.concatenate((rng.randn(100, 2) + np.array([1, 1]), rng.randn(100, 2)))
    y = np.array([1] * 100 + [-1] * 100)
    cold = SoftmaxRegression(solver="nesterov", C=0.5, tol=1e-10, max_iter=10_000).fit(X, y)
    warm = SoftmaxRegression(solver="nesterov", C=0.5, tol=1e-10, max_iter=10_000, warm_start=True)
    for _ in range(5):
        warm.fit(X, y)
    np.testing.assert_allclose(
        log_loss(y, cold.predict_proba(X)), log_loss(y, warm.predict_proba(X)), rtol=1e-5
    )


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_dtype_match(fit_intercept):
    """float32 data fit as float64 (the model computes in float64 only: coef_ is float64,
    where scikit-learn keeps float32); the same coefficients within scikit-learn's bound."""
    X_32 = np.array(X).astype(np.float32)
    y_32 = np.array(Y1).astype(np.float32)
    X_64 = np.array(X).astype(np.float64)
    y_64 = np.array(Y1).astype(np.float64)
    template = {"tol": 5e-4, "fit_intercept": fit_intercept, "C": 0.5, "solver": "newton"}
    lr_32 = SoftmaxRegression(**template).fit(X_32, y_32)
    lr_64 = SoftmaxRegression(**template).fit(X_64, y_64)
    assert lr_32.coef_.dtype == lr_64.coef_.dtype == np.float64
    np.testing.assert_allclose(lr_32.coef_, lr_64.coef_, atol=2 * 1.72 * 5e-4)


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
def test_c_inf_is_the_unpenalised_model_without_warnings(solver):
    """(test_penalty_none, test_c_inf_no_warning) C=inf is the default and the
    unpenalised objective: no warning but, perhaps, the convergence one."""
    X, y = make_classification(n_samples=100, n_redundant=0, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        model = SoftmaxRegression(C=np.inf, solver=solver, random_state=0).fit(X, y)
    # The objective is the plain log loss: no penalty.
    assert model.objective(X, y) == pytest.approx(log_loss(y, model.predict_proba(X)), rel=1e-12)
    default = SoftmaxRegression(solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        np.testing.assert_array_equal(default.fit(X, y).predict(X), model.predict(X))


@pytest.mark.parametrize("solver", ["nesterov", "newton"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_multinomial_identifiability_on_iris(solver, fit_intercept):
    """The penalised optimum satisfies the symmetric constraint sum_k coef_k = 0."""
    target = IRIS.target_names[IRIS.target]
    clf = converged(solver, C=len(IRIS.data), fit_intercept=fit_intercept)
    clf.fit(scale(IRIS.data), target)
    np.testing.assert_allclose(clf.coef_.sum(axis=0), 0, atol=1e-10)
    if fit_intercept:
        assert clf.intercept_.sum(axis=0) == pytest.approx(0, abs=1e-11)


def test_single_feature_newton():
    X = np.array([[0.5, 0.65, 1.1, 1.25, 0.8, 0.54, 0.95, 0.7]]).T
    y = np.array([1, 1, 0, 0, 1, 1, 0, 1])
    model = SoftmaxRegression(solver="newton", C=0.5).fit(X, y)
    assert model.converged_


@pytest.mark.parametrize("solver", ["gd", "nesterov", "newton", "sgd"])
def test_zero_iterations(solver):
    """(test_zero_max_iter) The state right after initialisation: max_iter must be >= 1
    here, and ``advance(n_steps=0)`` is iteration 0 (zero parameters)."""
    X, y = load_iris(return_X_y=True)
    y = y == 2
    clf = SoftmaxRegression(solver=solver).advance(X, y, n_steps=0)
    assert clf.n_iter_ == 0
    np.testing.assert_array_equal(clf.coef_, 0.0)
    np.testing.assert_allclose(clf.decision_function(X), np.zeros(X.shape[0]))
    np.testing.assert_allclose(clf.predict_proba(X), np.full((X.shape[0], 2), 0.5))
    assert clf.score(X, y) < 0.7
    with pytest.raises(InvalidParameterError, match="'max_iter' parameter"):
        SoftmaxRegression(solver=solver, max_iter=0).fit(X, y)


# ---------------------------------------------- decision_function and predict_log_proba


def test_binary_decision_function_is_logistic_regressions():
    """One column, the log-odds of classes_[1]: LogisticRegression(C=2C)'s at the optimum;
    positive exactly where classes_[1] is predicted."""
    X, y = make_classification(n_samples=200, n_features=4, random_state=0)
    labels = np.array(["no", "yes"])[y]
    ours = converged(C=0.5).fit(X, labels)
    sk = fit_sklearn(X, labels, same_objective_as=0.5)
    decision = ours.decision_function(X)
    assert decision.shape == (200,)
    np.testing.assert_allclose(decision, sk.decision_function(X), rtol=1e-6, atol=1e-7)
    scores = ours.class_scores(X)
    np.testing.assert_allclose(decision, scores[:, 1] - scores[:, 0], rtol=1e-15)
    np.testing.assert_array_equal(ours.predict(X), np.where(decision > 0, "yes", "no"))


def test_multiclass_decision_function_is_the_class_scores():
    X, y = scale(IRIS.data), IRIS.target
    ours = converged(C=1.0).fit(X, y)
    sk = fit_sklearn(X, y, same_objective_as=1.0)
    np.testing.assert_array_equal(ours.decision_function(X), ours.class_scores(X))
    np.testing.assert_allclose(ours.decision_function(X), sk.decision_function(X), atol=1e-5)
    np.testing.assert_array_equal(
        ours.predict(X), ours.classes_[ours.decision_function(X).argmax(1)]
    )


def test_predict_log_proba_is_log_softmax_where_probabilities_underflow():
    X, y = scale(IRIS.data), IRIS.target
    model = SoftmaxRegression(C=1.0, solver="newton").fit(X, y)
    np.testing.assert_allclose(
        model.predict_log_proba(X), np.log(model.predict_proba(X)), rtol=1e-12
    )
    # Scores 1e4 apart: the probabilities underflow to exactly 0, their logs to -inf.
    model.coef_ = model.coef_ * 1e4
    with np.errstate(divide="ignore"):
        naive = np.log(model.predict_proba(X))
    assert np.isneginf(naive).any()
    log_proba = model.predict_log_proba(X)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(
        log_proba, special.log_softmax(model.class_scores(X), axis=1), rtol=1e-12
    )
    assert log_proba.min() < -1e3
    np.testing.assert_allclose(special.logsumexp(log_proba, axis=1), 0.0, atol=1e-12)


# -------------------------------------------------------------------- parameters


def test_invalid_parameters_raise_scikit_learns_error_a_value_error():
    assert issubclass(InvalidParameterError, ValueError)
    X, y = load_iris(return_X_y=True)
    message = re.escape(
        "The 'C' parameter of SoftmaxRegression must be a float in the range (0.0, inf]. "
        "Got -1 instead."
    )
    for call in (
        lambda model: model.fit(X, y),
        lambda model: model.partial_fit(X, y),
        lambda model: model.advance(X, y, n_steps=2),
        lambda model: model.step(TrainingData(X, y)),
    ):
        with pytest.raises(ValueError, match=f"^{message}$"):
            call(SoftmaxRegression(C=-1))


def test_set_params_between_partial_fits_is_validated():
    """scikit-learn's _fit_context skips validation in partial_fit once fitted; ours checks
    every call, so a bad value set between calls is still refused."""
    X, y = load_iris(return_X_y=True)
    model = SoftmaxRegression().partial_fit(X, y)
    model.set_params(learning_rate=-1.0)
    with pytest.raises(InvalidParameterError, match="'learning_rate' parameter"):
        model.partial_fit(X, y)
    assert model.n_iter_ == 1
    # The app's step(TrainingData) too, which skips the validation only while every
    # parameter is the very object validated last.
    data = TrainingData(X, y)
    model.set_params(learning_rate="auto").step(data, 2)
    for name, bad in [("C", -1.0), ("max_iter", True), ("solver", "sag"), ("batch_size", 0)]:
        good = getattr(model, name)
        setattr(model, name, bad)
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            model.step(data)
        setattr(model, name, good)
    assert model.step(data).n_iter_ == 4


def test_class_weight_balanced_needs_weight_in_every_class():
    X, y = load_iris(return_X_y=True)
    message = (
        "class_weight='balanced' needs weight in every class; classes [2] have none "
        "(no sample, or weights of 0)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        SoftmaxRegression(class_weight="balanced").fit(X, y, sample_weight=(y != 2) * 1.0)
    with pytest.raises(ValueError, match=re.escape(message)):
        SoftmaxRegression(class_weight="balanced").partial_fit(
            X[y < 2], y[y < 2], classes=[0, 1, 2]
        )


def test_sample_weight_errors_are_scikit_learns():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(
        ValueError, match=re.escape("sample_weight.shape == (3,), expected (150,)!")
    ):
        SoftmaxRegression().fit(X, y, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        SoftmaxRegression().fit(X, y, sample_weight=-np.ones(150))
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        SoftmaxRegression().fit(X, y, sample_weight=np.full(150, np.nan))


def test_a_split_keeps_the_api_of_a_classifier():
    X_train, X_test, y_train, y_test = train_test_split(
        scale(IRIS.data), IRIS.target, random_state=0
    )
    model = SoftmaxRegression(C=1.0, solver="newton").fit(X_train, y_train)
    weights = np.where(y_test == 0, 2.0, 1.0)
    expected = np.average(model.predict(X_test) == y_test, weights=weights)
    assert model.score(X_test, y_test, sample_weight=weights) == pytest.approx(expected)
