"""How far ``sgd``'s mini-batch gradients stray from the full gradient, where a run stands.

A mini-batch step follows ``grad J_B``, the gradient of the objective on one batch ``B``
(the unbiased estimate of :func:`softmax_core.functions.subset_kernel`), not ``grad J``.
:func:`minibatch_gradient_spread` computes, at a model's current parameters, the gradient of
every batch of the epoch its next step belongs to (the very batches the run visits, from its
seed) against the full gradient: their norms, the cosine of each with ``grad J``, and the
distance ``||grad J_B - grad J||``. Weighted by ``|B| / n`` the batch gradients of an epoch
average to ``grad J`` exactly (up to rounding).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .functions import subset_kernel
from .model import SoftmaxRegression
from .solvers import batches_per_epoch, epoch_order, evaluator, minibatch
from .training_data import TrainingData


class GradientSpread(NamedTuple):
    """The mini-batch gradients of one epoch against the full gradient, at one point.

    Attributes
    ----------
    epoch : int
        The epoch (from 0) whose batches these are: that of the model's next step.
    next_batch : int
        The position in the epoch of the next step's batch.
    full_norm : float
        ``||grad J||`` at the current parameters (all the training points).
    sizes : ndarray of shape (n_batches,), int
        ``|B|`` of each batch of the epoch.
    batch_norms : ndarray of shape (n_batches,)
        ``||grad J_B||`` of each batch.
    cosines : ndarray of shape (n_batches,)
        ``<grad J_B, grad J> / (||grad J_B|| ||grad J||)``; NaN where a norm is 0.
    deviations : ndarray of shape (n_batches,)
        ``||grad J_B - grad J||`` of each batch.
    mean_error : float
        ``||sum_B (|B| / n) grad J_B - grad J||``: 0 but for rounding.
    """

    epoch: int
    next_batch: int
    full_norm: float
    sizes: np.ndarray
    batch_norms: np.ndarray
    cosines: np.ndarray
    deviations: np.ndarray
    mean_error: float

    @property
    def n_batches(self) -> int:
        return int(self.sizes.shape[0])

    @property
    def next_norm(self) -> float:
        """``||grad J_B||`` of the next step's batch."""
        return float(self.batch_norms[self.next_batch])

    @property
    def next_cosine(self) -> float:
        """The cosine between the next step's batch gradient and the full gradient."""
        return float(self.cosines[self.next_batch])

    @property
    def rms_deviation(self) -> float:
        """``sqrt(sum_B (|B| / n) ||grad J_B - grad J||^2)``: the spread of the epoch's batch
        gradients around the full gradient."""
        weights = self.sizes / self.sizes.sum()
        return float(np.sqrt(np.sum(weights * self.deviations**2)))


def minibatch_gradient_spread(model: SoftmaxRegression, data: TrainingData) -> GradientSpread:
    """The gradients of the mini-batches of ``model``'s next epoch at its current parameters,
    against the full gradient on ``data``.

    Parameters
    ----------
    model : SoftmaxRegression
        A started ``sgd`` model (``step(data, n_steps=0)`` at least); its ``batch_size``,
        ``batch_seed_`` and ``n_iter_`` choose the batches, as its steps do.
    data : TrainingData
        The data it trains on.

    Returns
    -------
    GradientSpread

    Raises
    ------
    ValueError
        If ``model`` is not an ``sgd`` model, or ``data`` is not a ``TrainingData`` the
        model can step on.
    """
    if not isinstance(model, SoftmaxRegression) or model.solver != "sgd":
        raise ValueError("minibatch_gradient_spread needs a SoftmaxRegression with solver='sgd'")
    check_is_fitted(model)
    model.step(data, n_steps=0)  # checks the data and evaluates J and grad J where it stands
    kernel, alpha = model._kernel, model._alpha
    theta = np.column_stack([model.coef_, model.intercept_])
    full = np.column_stack([model.grad_coef_, model.grad_intercept_])
    n_samples = data.n_samples
    per_epoch = batches_per_epoch(n_samples, model.batch_size)
    epoch, next_batch = divmod(model.n_iter_, per_epoch)
    seed = model.batch_seed_
    order = epoch_order(seed, epoch, n_samples) if per_epoch > 1 else None
    sizes, gradients = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(per_epoch):
            batch = minibatch(epoch * per_epoch + j, n_samples, model.batch_size, seed, order)
            if batch is None:  # a full batch: the full gradient itself
                sizes.append(n_samples)
                gradients.append(full.copy())
                continue
            evaluate = evaluator(
                subset_kernel(kernel, batch),
                alpha,
                seed_order=False,
                fit_intercept=model.fit_intercept,
            )
            sizes.append(len(batch))
            gradients.append(evaluate(theta)[1])
    stacked = np.array(gradients).reshape(per_epoch, -1)
    flat = full.ravel()
    full_norm = float(np.linalg.norm(flat))
    batch_norms = np.linalg.norm(stacked, axis=1)
    denominators = batch_norms * full_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        cosines = np.where(denominators > 0, stacked @ flat / denominators, np.nan)
    sizes_array = np.array(sizes)
    mean = (sizes_array / n_samples) @ stacked
    return GradientSpread(
        epoch=int(epoch),
        next_batch=int(next_batch),
        full_norm=full_norm,
        sizes=sizes_array,
        batch_norms=batch_norms,
        cosines=np.clip(cosines, -1.0, 1.0),
        deviations=np.linalg.norm(stacked - flat, axis=1),
        mean_error=float(np.linalg.norm(mean - flat)),
    )
