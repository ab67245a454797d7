"""The seed note's code, copied verbatim (prints removed), as the reference for tests."""

# ruff: noqa: NPY002  (the seed's legacy global RandomState is the point)

import numpy as np


def seed_data():
    np.random.seed(0)
    X = np.linspace(0, 10, 100).reshape(-1, 1)
    y = np.zeros_like(X, dtype=int)
    y[X[:, 0] > 3.3] = 1
    y[X[:, 0] > 6.6] = 2
    noise = (np.random.rand(*y.shape) > 0.9).astype(int)
    y = (y + noise) % 3
    return X, y


class MySoftmaxRegression:
    def __init__(self, learning_rate=0.1, max_iter=1000, tol=1e-6):
        self.alpha = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.W = None
        self.b = None

    def softmax(self, z):
        exp_z = np.exp(z - np.max(z, axis=1, keepdims=True))
        return exp_z / np.sum(exp_z, axis=1, keepdims=True)

    def compute_loss(self, y_hat, y_true):
        n_samples = y_true.shape[0]
        y_one_hot = np.eye(self.W.shape[1])[y_true.flatten()]
        loss = -np.sum(y_one_hot * np.log(y_hat + 1e-15)) / n_samples
        return loss

    def fit(self, X, y):
        n_samples, n_features = X.shape
        n_classes = np.max(y) + 1
        self.W = np.zeros((n_features, n_classes))
        self.b = np.zeros((1, n_classes))
        prev_loss = float("inf")
        self.losses = []
        for i in range(self.max_iter):
            z = np.dot(X, self.W) + self.b
            y_hat = self.softmax(z)
            loss = self.compute_loss(y_hat, y)
            if abs(prev_loss - loss) < self.tol:
                self.converged_at = i
                break
            prev_loss = loss
            self.losses.append(loss)
            y_one_hot = np.eye(n_classes)[y.flatten()]
            dz = (y_hat - y_one_hot) / n_samples
            dW = np.dot(X.T, dz)
            db = np.sum(dz, axis=0, keepdims=True)
            self.W -= self.alpha * dW
            self.b -= self.alpha * db

    def predict_proba(self, X):
        z = np.dot(X, self.W) + self.b
        return self.softmax(z)

    def predict(self, X):
        y_hat = self.predict_proba(X)
        return np.argmax(y_hat, axis=1)
