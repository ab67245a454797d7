"""scikit-learn's own estimator checks for ``SoftmaxRegression``: the API contract (``fit``
returns ``self``, ``__init__`` only stores, ``predict_proba`` follows ``classes_``, cloning,
pickling, input validation, ...), for the default model and a penalised Nesterov one.

scikit-learn itself skips its two array-API checks ("SCIPY_ARRAY_API is not set"); that is
expected and not a failure of ours.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from softmax_core import SoftmaxRegression


# Several checks fit tiny separable data sets with the default max_iter=1000 and no penalty:
# there the unpenalised optimum is at infinity, so the model cannot converge and warns. That
# warning is correct behaviour and says nothing about API compatibility.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([SoftmaxRegression(), SoftmaxRegression(solver="nesterov", C=1.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
