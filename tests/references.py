"""Independent references the core tests compare with, written out in plain NumPy."""

import numpy as np


def reference_gradient(theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(P - Y)^T [X | 1] / n`` for stacked parameters ``theta = [W | b]`` (no penalty)."""
    X_aug = np.column_stack([X, np.ones(len(y))])
    scores = X_aug @ theta.T
    proba = np.exp(scores - scores.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    proba[np.arange(len(y)), y] -= 1.0
    return proba.T @ X_aug / len(y)
