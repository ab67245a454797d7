"""softmax_core.minibatch_gradient_spread: the batch gradients of an epoch against the full
gradient, checked against numpy written out by hand."""

import numpy as np
import pytest

from softmax_core import (
    SoftmaxRegression,
    TrainingData,
    make_noisy_blobs,
    minibatch_gradient_spread,
)
from softmax_core.solvers import epoch_order


def by_hand_gradient(coef, intercept, X, Y, C, n_total):
    """The batch objective's gradient: the batch's mean cross-entropy gradient plus the
    full data's penalty ||W||^2 / (2 C n)."""
    scores = X @ coef.T + intercept
    scores -= scores.max(axis=1, keepdims=True)
    proba = np.exp(scores)
    proba /= proba.sum(axis=1, keepdims=True)
    error = proba - Y
    grad_coef = error.T @ X / len(X)
    if np.isfinite(C):
        grad_coef += coef / (C * n_total)
    return np.column_stack([grad_coef, error.mean(axis=0)])


@pytest.mark.parametrize(("batch_size", "C", "steps"), [(8, np.inf, 0), (8, 1.0, 13), (25, 0.1, 4)])
def test_the_spread_is_the_batch_gradients_written_out_by_hand(batch_size, C, steps):
    X, y = make_noisy_blobs(50, 3, 0.3, random_state=2)
    data = TrainingData(X, y)
    model = SoftmaxRegression(
        solver="sgd", batch_size=batch_size, random_state=11, learning_rate=0.3, C=C
    ).step(data, steps)
    spread = minibatch_gradient_spread(model, data)
    Y = np.eye(3)[y]
    full = by_hand_gradient(model.coef_, model.intercept_, X, Y, C, 50).ravel()
    per_epoch = -(-50 // batch_size)
    epoch, position = divmod(steps, per_epoch)
    order = epoch_order(11, epoch, 50)
    assert (spread.epoch, spread.next_batch, spread.n_batches) == (epoch, position, per_epoch)
    assert spread.full_norm == pytest.approx(np.linalg.norm(full), rel=1e-10)
    weighted = np.zeros_like(full)
    for j in range(per_epoch):
        batch = order[j * batch_size : (j + 1) * batch_size]
        grad = by_hand_gradient(model.coef_, model.intercept_, X[batch], Y[batch], C, 50).ravel()
        assert spread.sizes[j] == len(batch)
        assert spread.batch_norms[j] == pytest.approx(np.linalg.norm(grad), rel=1e-10)
        cosine = grad @ full / (np.linalg.norm(grad) * np.linalg.norm(full))
        assert spread.cosines[j] == pytest.approx(cosine, abs=1e-10)
        assert spread.deviations[j] == pytest.approx(np.linalg.norm(grad - full), rel=1e-9)
        weighted += len(batch) / 50 * grad
    # Weighted by their sizes, the epoch's batch gradients are the full gradient.
    np.testing.assert_allclose(weighted, full, atol=1e-14)
    assert spread.mean_error < 1e-13
    rms = np.sqrt(np.sum(spread.sizes / 50 * spread.deviations**2))
    assert spread.rms_deviation == pytest.approx(rms, rel=1e-12)
    # The next step's batch is the one the model takes: its gradient is the step's.
    preview = model.preview_step(data)
    np.testing.assert_allclose(np.linalg.norm(preview.point_grad), spread.next_norm, rtol=1e-12)
    assert model.n_iter_ == steps  # nothing was stepped


def test_a_full_batch_has_no_spread():
    X, y = make_noisy_blobs(30, 2, 0.3, random_state=0)
    data = TrainingData(X, y)
    model = SoftmaxRegression(solver="sgd", batch_size=30, random_state=1).step(data, 3)
    spread = minibatch_gradient_spread(model, data)
    assert spread.n_batches == 1 and spread.deviations[0] == 0.0
    assert spread.next_cosine == pytest.approx(1.0, abs=1e-12)


def test_only_an_sgd_model_has_batches():
    X, y = make_noisy_blobs(30, 2, 0.3, random_state=0)
    data = TrainingData(X, y)
    with pytest.raises(ValueError, match="solver='sgd'"):
        minibatch_gradient_spread(SoftmaxRegression().step(data, 1), data)
    with pytest.raises(ValueError, match="solver='sgd'"):
        minibatch_gradient_spread("model", data)
