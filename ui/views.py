"""From a model and its data to the arrays and figure specs the pages show.

Every number comes from ``softmax_core`` (through the model or :mod:`ui.report`); this module
lays out grids and picks the figure for the data's dimension. Plain Python: what it draws is
passed in (a reference fit, a plane, from :mod:`ui.services`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from softmax_core import (
    Directions,
    SoftmaxRegression,
    Step,
    TrainingData,
    accuracy,
    confusion_matrix,
    cross_entropy,
    curvatures,
    extent_for,
    grid_size_for,
    loss_surface,
    objective_gradient,
    project_path,
    softmax,
    symmetric_parameters,
)
from softmax_core.datasets import to_csv
from softmax_core.diagnostics import design_curvature

from . import data as datasets
from . import explain, figures
from .report import Reference, RunReport, format_number
from .settings import Schedule, View

if TYPE_CHECKING:  # ui.lab imports this module
    from .lab import Lab

GRID_1D = 300
GRID_2D = 80


def grid_1d(X: np.ndarray) -> np.ndarray:
    low, high = float(X[:, 0].min()), float(X[:, 0].max())
    pad = 0.05 * (high - low or 1.0)
    return np.linspace(low - pad, high + pad, GRID_1D)


def grid_2d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid axes and the ``(GRID_2D**2, 2)`` points, covering the data with a margin."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * np.maximum(high - low, 1.0)
    gx = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID_2D)
    gy = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID_2D)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.column_stack([xx.ravel(), yy.ravel()])


def probabilities(model, dataset: datasets.Dataset, points: np.ndarray) -> np.ndarray:
    """A model's probabilities at points given on the data set's original axes."""
    return model.predict_proba(dataset.features(points))


def model_figure(
    model,
    dataset: datasets.Dataset,
    *,
    reference: Reference | None,
    title: str,
    large: bool,
    height: int,
    chosen: int | None = None,
    frames: Sequence[tuple[np.ndarray, np.ndarray]] = (),
) -> dict:
    """Probability curves (1-D) or decision regions (2-D) of a fitted model over the data;
    with ``reference``, scikit-learn's curves (dashed) or boundaries (dashed contours).

    ``frames`` are earlier parameters ``(coef, intercept)``, oldest first, for the browser to
    animate through on its way to the model's (see :func:`figures.autoplay`).
    """
    names = dataset.class_names
    label = reference.label if reference is not None else ""

    def earlier(points: np.ndarray, shape: tuple = (-1,)) -> list[np.ndarray]:
        features = dataset.features(points)
        return [
            softmax(features @ coef.T + intercept, axis=1).reshape(shape)
            for coef, intercept in frames
        ]

    if dataset.n_features == 1:
        grid = grid_1d(dataset.X)
        points = grid.reshape(-1, 1)
        return figures.probability_curves(
            grid,
            probabilities(model, dataset, points),
            dataset.X,
            dataset.y,
            names,
            reference=None
            if reference is None
            else probabilities(reference.model, dataset, points),
            held_out=dataset.test,
            chosen=chosen,
            reference_label=label,
            title=title,
            x_title=dataset.feature_names[0],
            large=large,
            height=height,
            frames=earlier(points, (points.shape[0], -1)),
        )
    gx, gy, points = grid_2d(dataset.X)
    shape = (gy.size, gx.size, -1)
    return figures.decision_regions(
        gx,
        gy,
        probabilities(model, dataset, points).reshape(shape),
        dataset.X,
        dataset.y,
        names,
        reference=None
        if reference is None
        else probabilities(reference.model, dataset, points).reshape(shape),
        held_out=dataset.test,
        chosen=chosen,
        reference_label=label,
        title=title,
        feature_names=dataset.feature_names,
        large=large,
        height=height,
        frames=earlier(points, shape),
    )


def animated(spec: dict, chart: str, token: str, n_frames: int, seconds: float) -> dict:
    """``spec`` with its ``n_frames`` frames played over 90% of ``seconds`` (ending before the
    next Play tick brings the next ones), once per ``token`` and chart."""
    redraw = any(trace["type"] != "scatter" for trace in spec["data"])
    frame_ms = 900 * seconds / n_frames
    # The model's axes are fixed (the grid, probabilities): it can be drawn at the first frame.
    return figures.autoplay(
        spec, f"{chart}:{token}", frame_ms, redraw=redraw, from_first=chart == "model"
    )


def model_chart(
    model,
    dataset: datasets.Dataset,
    report: RunReport,
    view: View,
    frames,
    seconds: float,
    *,
    large: bool,
    height: int,
) -> dict:
    """The Train page's model chart: the figure of the run as it stands, and, during Play at
    an animated speed ("fast", "smooth"), the tick's iterates as frames the browser animates
    through on its way there (``frames`` from :meth:`ui.lab.Lab.frames`, played over
    ``seconds``). The frames and the figure share every trace and axis: the figure is the
    last frame."""
    title = f"From scratch, iteration {report.n_iter:,}"
    earlier: tuple = ()
    if frames is not None:
        title += f" (played from {frames.iterations[0]:,})"
        earlier = tuple(zip(frames.coefs[:-1], frames.intercepts[:-1], strict=True))
    spec = model_figure(
        model,
        dataset,
        reference=report.reference if view.show_target else None,
        title=title,
        large=large,
        height=height,
        chosen=view.point,
        frames=earlier,
    )
    figures.describe(spec, model_sentence(report))
    if frames is None:
        return spec
    return animated(spec, "model", frames.token, len(frames.iterations), seconds)


def loss_chart(
    model: SoftmaxRegression,
    report: RunReport,
    schedule: Schedule,
    view: View,
    frames,
    seconds: float,
    *,
    ghosts: tuple[tuple[str, np.ndarray], ...] = (),
    heldout: tuple[np.ndarray, np.ndarray] | None = None,
    large: bool,
    height: int,
) -> dict:
    """The Train page's loss chart, with an animated Play tick's frames (see
    :func:`model_chart`)."""
    spec = loss_figure(
        model,
        report,
        schedule,
        view,
        ghosts=ghosts,
        heldout=heldout,
        title=f"Loss, iteration {report.n_iter:,}",
        large=large,
        height=height,
        animate_from=None if frames is None else frames.iterations[0],
    )
    figures.describe(spec, loss_sentence(report, target=view.show_target))
    if frames is None:
        return spec
    return animated(spec, "loss", frames.token, len(frames.iterations), seconds)


def loss_sentence(report: RunReport, *, target: bool) -> str:
    """The loss chart's text alternative: the run's loss at its iteration, as the metrics
    show them, and the target J* when the chart draws it (``target``)."""
    sentence = f"Loss at iteration {report.n_iter:,} is {format_number(report.loss)}"
    if target and report.reference_loss is not None:
        sentence += f"; the target J* is {format_number(report.reference_loss)}"
    return sentence + "."


def model_sentence(report: RunReport) -> str:
    """The model chart's text alternative: the iteration, the training accuracy and the
    loss, as the metrics show them."""
    return (
        f"From scratch, iteration {report.n_iter:,}: accuracy {report.accuracy:.1%} on the "
        f"training points, loss {format_number(report.loss)}."
    )


def rate_changes(schedule: Schedule) -> list[int]:
    """The iterations at which the learning rate changed during a run."""
    boundaries = np.cumsum([count for _, count in schedule])[:-1]
    return [int(i) for i in boundaries]


def loss_figure(
    model: SoftmaxRegression,
    report: RunReport,
    schedule: Schedule,
    view: View,
    *,
    ghosts: tuple[tuple[str, np.ndarray], ...] = (),
    heldout: tuple[np.ndarray, np.ndarray] | None = None,
    title: str,
    large: bool,
    height: int,
    animate_from: int | None = None,
) -> dict:
    return figures.loss_history(
        model.loss_history(),
        reference=report.reference_loss if view.show_target else None,
        reference_label="J* (target)",
        rate_changes=rate_changes(schedule),
        ghosts=ghosts,
        heldout=heldout,
        log_y=view.log_y,
        window=view.loss_window,
        title=title,
        large=large,
        height=height,
        animate_from=animate_from,
        **_batch_losses(model, report),
    )


def _batch_losses(model: SoftmaxRegression, report: RunReport) -> dict:
    """The loss chart's mini-batch losses and epoch length, for an sgd run of more than one
    batch an epoch (a full batch's J_B is J itself)."""
    if report.solver != "sgd" or report.epoch_steps <= 1:
        return {}
    return {
        "batch_losses": np.asarray(model.batch_loss_curve_, dtype=float),
        "epoch_steps": report.epoch_steps,
    }


def class_counts(dataset: datasets.Dataset) -> dict[str, int]:
    counts = np.bincount(dataset.y, minlength=dataset.n_classes)
    return {name: int(count) for name, count in zip(dataset.class_names, counts, strict=True)}


def data_sentence(dataset: datasets.Dataset, counts: dict[str, int]) -> str:
    """The Data chart's text alternative: how many points of each class (``counts``, the
    table beside it), and how many are held out."""
    classes = ", ".join(f"{count:,} of class {name}" for name, count in counts.items())
    features = " and ".join(dataset.feature_names)
    sentence = f"{len(dataset.y):,} points over {features}: {classes}"
    if dataset.test.size:
        sentence += f"; {dataset.test.size:,} of them held out"
    return sentence + "."


def bars_sentence(
    who: str, names: Sequence[str], proba: np.ndarray, tempered: np.ndarray, temperature: float
) -> str:
    """A probability-bars chart's text alternative (``figures.probability_bars``): ``who``'s
    probability of each class, to the four decimals its bars' hover labels show, and at
    ``temperature`` when it is not 1."""

    def listed(values: np.ndarray) -> str:
        return ", ".join(f"{name} {value:.4f}" for name, value in zip(names, values, strict=True))

    sentence = f"{who}'s probabilities: {listed(proba)}"
    if temperature != 1:
        sentence += f"; at temperature T = {temperature:g}: {listed(tempered)}"
    return sentence + "."


def csv_text(dataset: datasets.Dataset, label_name: str = "label") -> str:
    """The data set as CSV, as drawn (original features): its own column names and class
    labels (a file's as in the file), spreadsheet formulas neutralised (the core's
    :func:`~softmax_core.datasets.to_csv`)."""
    return to_csv(dataset.X, dataset.y, dataset.feature_names, dataset.class_names, label_name)


def simplex_figure(
    model: SoftmaxRegression,
    dataset: datasets.Dataset,
    *,
    chosen: int | None,
    title: str,
    large: bool,
    height: int,
) -> dict:
    """Every point's three probabilities as a dot in the triangle (three classes only)."""
    return figures.probability_simplex(
        probabilities(model, dataset, dataset.X),
        dataset.y,
        dataset.class_names,
        chosen=chosen,
        title=title,
        large=large,
        height=height,
    )


def tempered(scores: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(z / T): the same ranking as softmax(z), sharper below T = 1, flatter above."""
    return softmax(scores / temperature)


@dataclass(frozen=True)
class StepSizeFacts:
    """Where the stable step size comes from, and what a step does, at the current point."""

    gram_top: float  # lambda_max([X | 1]^T [X | 1] / n) of the training points
    lipschitz: float  # L = gram_top / 2 + 1 / (C n), the model's
    limit: float  # 2 / L, the model's
    learning_rate: float
    steepest: float  # lambda_max of the Hessian here (zero-sum directions)
    flattest: float  # lambda_min of the Hessian here

    @property
    def steep_factor(self) -> float:
        """|1 - lr lambda_max|: how a step scales the error along the steepest direction."""
        return abs(1.0 - self.learning_rate * self.steepest)

    @property
    def flat_factor(self) -> float:
        return abs(1.0 - self.learning_rate * self.flattest)


def step_size_facts(model: SoftmaxRegression, training: TrainingData) -> StepSizeFacts:
    """The core's numbers behind the step size, on the training points where the run stands."""
    spectrum = curvatures(model.coef_, model.intercept_, training.X, model.C)
    return StepSizeFacts(
        gram_top=2.0 * design_curvature(training.X, model.fit_intercept),
        lipschitz=model.lipschitz_,
        limit=model.learning_rate_limit_,
        learning_rate=model.learning_rate_,
        steepest=float(spectrum[-1]),
        flattest=float(spectrum[0]),
    )


def latex_vector(values: np.ndarray) -> str:
    """A row of numbers in LaTeX."""
    return r"\begin{pmatrix}" + " & ".join(f"{v:.4f}" for v in values) + r"\end{pmatrix}"


def latex_matrix(values: np.ndarray) -> str:
    """A matrix of numbers in LaTeX."""
    rows = (" & ".join(f"{v:.4f}" for v in row) for row in values)
    return r"\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


def heldout_loss(theta: np.ndarray, dataset: datasets.Dataset) -> float:
    """Mean cross-entropy on the held-out points at stacked parameters ``[W | b]``."""
    return objective_gradient(theta[:, :-1], theta[:, -1], dataset.X_test, dataset.y_test)[0]


def generalisation_table(
    model: SoftmaxRegression, reference, dataset: datasets.Dataset
) -> dict[str, list]:
    """Accuracy and mean cross-entropy of both models on the training points and, if any,
    the held-out ones (the core's metrics, on the features as the models see them)."""
    sets = [("training", dataset.X_train, dataset.y_train)]
    if dataset.test.size:
        sets.append(("held out", dataset.X_test, dataset.y_test))
    table: dict[str, list] = {"model": ["from scratch", reference.label]}
    coef, intercept = symmetric_parameters(reference.model)
    for name, X, y in sets:
        table[f"accuracy, {name}"] = [
            accuracy(y, model.predict(X)),
            accuracy(y, reference.model.predict(X)),
        ]
        table[f"cross-entropy, {name}"] = [
            float(np.mean(cross_entropy(model.class_scores(X), y))),
            # Scores, not log(probabilities): a probability that underflows to 0 has a
            # finite score, and the core's log-softmax is stable.
            float(np.mean(cross_entropy(X @ coef.T + intercept, y))),
        ]
    return table


def confusion_table(model: SoftmaxRegression, dataset: datasets.Dataset) -> tuple[str, dict]:
    """The scratch model's confusion matrix on the held-out points (the training points if
    none are held out): rows the true class, columns the predicted one."""
    held = dataset.test.size > 0
    X, y = (dataset.X_test, dataset.y_test) if held else (dataset.X_train, dataset.y_train)
    labels = np.arange(dataset.n_classes)
    counts = confusion_matrix(y, model.predict(X), labels)
    table = {"true class": list(dataset.class_names)}
    for j, name in enumerate(dataset.class_names):
        table[f"predicted {name}"] = counts[:, j]
    return ("held-out" if held else "training"), table


def parameter_table(model: SoftmaxRegression, names: tuple[str, ...]) -> dict[str, object]:
    """W and b, and the gradient at the current point, one row per class."""
    table: dict[str, object] = {"class": list(names)}
    n_features = model.coef_.shape[1]
    for j in range(n_features):
        table[f"w{j + 1}"] = model.coef_[:, j]
    table["b"] = model.intercept_
    for j in range(n_features):
        table[f"∂J/∂w{j + 1}"] = model.grad_coef_[:, j]
    table["∂J/∂b"] = model.grad_intercept_
    return table


# The columns of the next-step table, per solver: (caption, which array of the step).
NEXT_STEP_PARTS = {
    "gd": (("now", "start"), ("∂J/∂· now", "point_grad"), ("next", "theta")),
    "nesterov": (
        ("now", "start"),
        ("look-ahead y", "point"),
        ("∂J/∂· at y", "point_grad"),
        ("next", "theta"),
    ),
    "newton": (
        ("now", "start"),
        ("∂J/∂· now", "point_grad"),
        ("direction d", "direction"),
        ("next", "theta"),
    ),
    # The batch's gradient, not J's: the full gradient is in the parameter table.
    "sgd": (("now", "start"), ("∂J_B/∂· now", "point_grad"), ("next", "theta")),
}


def next_step_table(
    model: SoftmaxRegression, data, names: tuple[str, ...]
) -> tuple[Step, dict[str, object]]:
    """The next iteration as the core will take it (the run is not changed), and its table:
    per class, the parameters now, what the solver uses, and the parameters after."""
    step = model.preview_step(data)
    arrays = {"start": np.column_stack([model.coef_, model.intercept_]), **step._asdict()}
    columns = [f"w{j + 1}" for j in range(model.coef_.shape[1])] + ["b"]
    table: dict[str, object] = {"class": list(names)}
    for caption, part in NEXT_STEP_PARTS[model.solver]:
        for j, name in enumerate(columns):
            table[f"{name} {caption}"] = arrays[part][:, j]
    return step, table


# grid_size^2 * n_samples * n_classes of one landscape: about 60 ms on this machine.
LANDSCAPE_WORK = 30_000_000
# Off the landscape's plane by more than this share of its width: drawn as a shadow.
OFF_PLANE = 1e-3


@dataclass(frozen=True)
class Offsets:
    """How far what the landscape draws lies off its plane (Euclidean, in parameter space)."""

    path: float  # the path's iterates, on average
    optimum: float | None  # the optimum, whose shadow is drawn (None: it is on the plane)


def landscape_figure(
    model: SoftmaxRegression,
    training: TrainingData,
    directions: Directions,
    optimum: np.ndarray,
    *,
    kind: str,
    ghosts: tuple[tuple[str, np.ndarray], ...] = (),
    title: str,
    subtitle: Callable[[Offsets], str] | None = None,
    large: bool,
    height: int,
) -> tuple[dict, Offsets]:
    """J on the plane through the current parameters, the path so far and the optimum;
    with how far, on average, the path lies off that plane."""
    _, thetas = model.path()
    center = thetas[-1]
    path = project_path(thetas, center, directions)
    projected = project_path(optimum[None], center, directions)
    optimum_xy, optimum_off = projected.coords[0], float(projected.off_plane[0])
    ghost_paths = [(label, project_path(g, center, directions).coords) for label, g in ghosts]
    every = np.vstack([path.coords, *(g for _, g in ghost_paths)])
    extent = extent_for(every, optimum_xy, margin=0.15, minimum=0.5)
    # The optimum lies on the plane (up to rounding) or off it, where only its shadow is.
    shadow = optimum_off > OFF_PLANE * max(extent[1] - extent[0], extent[3] - extent[2])
    grid = grid_size_for(training.n_samples, training.classes.size, LANDSCAPE_WORK)
    surface = loss_surface(
        model.coef_,
        model.intercept_,
        training.X,
        training.y_encoded,
        model.C,
        directions,
        extent,
        grid,
        max_work=LANDSCAPE_WORK,
    )
    steepest, second = directions.eigenvalues
    y_title = "toward the start" if kind == "start" else f"second steepest, λ = {second:.3g}"
    offsets = Offsets(float(np.mean(path.off_plane)), optimum_off if shadow else None)
    spec = figures.loss_landscape(
        surface.a,
        surface.b,
        surface.loss,
        path.coords,
        optimum_xy,
        optimum_off_plane=optimum_off if shadow else None,
        x_title=f"steepest direction, λ = {steepest:.3g}",
        y_title=y_title,
        title=title,
        subtitle="" if subtitle is None else subtitle(offsets),
        ghosts=ghost_paths,
        large=large,
        height=height,
    )
    return spec, offsets


@dataclass(frozen=True)
class PointTrace:
    """One data point through the model: scores, probabilities, loss and gradient."""

    index: int
    x: np.ndarray  # as drawn
    x_model: np.ndarray  # as the model sees it (scaled when standardised)
    label: int
    scores: np.ndarray
    proba: np.ndarray
    loss: float
    grad_coef: np.ndarray
    grad_intercept: np.ndarray
    predicted: int  # the class the model predicts (the highest score, as ``predict``)


def trace_point(model: SoftmaxRegression, dataset: datasets.Dataset, index: int) -> PointTrace:
    """The forward and backward pass for the point at ``index``: its own loss and gradient
    (the objective on this one point, without the penalty, which belongs to the whole), on
    the features as the model sees them."""
    x_row = dataset.features(dataset.X[index : index + 1])
    label = dataset.y[index : index + 1]
    scores = model.class_scores(x_row)[0]
    loss, grad_coef, grad_intercept = objective_gradient(
        model.coef_, model.intercept_, x_row, label
    )
    return PointTrace(
        index=index,
        x=dataset.X[index],
        x_model=x_row[0],
        label=int(label[0]),
        scores=scores,
        proba=softmax(scores),
        loss=loss,
        grad_coef=grad_coef,
        grad_intercept=grad_intercept,
        predicted=int(np.argmax(scores)),
    )


def pins_table(pins, reference_loss: float | None, C: float | None) -> dict[str, list]:
    """Where each pinned run ended: its solver, rate(s), iterations, final J and J − J*,
    where ``reference_loss`` is J* of the penalty ``C`` (None: the target has another
    objective): pins of another penalty minimise another objective, and get none."""
    table: dict[str, list] = {
        "pin": [pin.label for pin in pins],
        "solver": [
            f"sgd, batch {pin.spec.batch_size:,}, seed {pin.spec.batch_seed}"
            if pin.spec.solver == "sgd"
            else pin.spec.solver
            for pin in pins
        ],
        "rate": [
            "–"
            if pin.spec.solver == "newton"
            else " → ".join(
                "1/L" if lr is None else f"{lr:.4g}"
                for lr in dict.fromkeys(rate for rate, _ in pin.spec.schedule)
            )
            or "–"
            for pin in pins
        ],
        "iterations": [pin.spec.n_iter for pin in pins],
        "final J": [pin.final_loss for pin in pins],
    }
    if reference_loss is not None:
        table["J − J*"] = [
            pin.final_loss - reference_loss if pin.spec.C == C else None for pin in pins
        ]
    return table


# ------------------------------------------------------------ the Train page's two charts


# The height of the charts' row (each chart's figure leaves room for its title), on a
# screen and on a projector (``large``: the rows above leave less of 720 pixels).
CHART_HEIGHT = {False: 340, True: 300}
CHART_TITLE_ROOM = 45


@dataclass(frozen=True)
class PanelFigure:
    """The left chart of a run (the model's probabilities, the simplex or the landscape):
    its chart key, its figure, whether a click on a point chooses it, and its caption."""

    key: str
    spec: dict
    clickable: bool
    caption: str | None = None


def model_panel_figure(lab: Lab, report: RunReport, *, large: bool, height: int) -> PanelFigure:
    """The left chart the lab's view asks for, ``height`` pixels high (its figure; on a
    projector, ``large``, the landscape's subtitle says what its caption would)."""
    view, dataset = lab.view, lab.dataset
    if view.panel == "simplex":
        spec = simplex_figure(
            lab.model,
            dataset,
            chosen=view.point,
            title=f"Every point's probabilities, iteration {report.n_iter:,}",
            large=large,
            height=height,
        )
        figures.describe(
            spec,
            f"Every point's probabilities on the simplex, iteration {report.n_iter:,}: "
            f"accuracy {report.accuracy:.1%} on the training points.",
        )
        return PanelFigure("w.train.simplex", spec, clickable=True)
    if view.panel == "landscape":
        directions, optimum = lab.plane()
        spec, offsets = landscape_figure(
            lab.model,
            lab.training,
            directions,
            optimum,
            kind=view.plane,
            ghosts=tuple((pin.label, pin.path) for pin in lab.pins),
            title=f"Loss landscape, iteration {report.n_iter:,}",
            subtitle=explain.landscape_subtitle if large else None,
            large=large,
            height=height,
        )
        caption = None if large else explain.landscape_caption(directions.eigenvalues[1], offsets)
        figures.describe(
            spec,
            f"Loss landscape around the current point and the path so far, iteration "
            f"{report.n_iter:,}: the loss J is {format_number(report.loss)}.",
        )
        return PanelFigure("w.train.landscape", spec, clickable=False, caption=caption)
    spec = model_chart(
        lab.model,
        dataset,
        report,
        view,
        lab.frames(),
        lab.play_timing()[0],
        large=large,
        height=height,
    )
    return PanelFigure("w.train.model_chart", spec, clickable=True)


def loss_panel_figure(lab: Lab, report: RunReport, *, large: bool, height: int) -> dict:
    """The right chart: the loss history, with the pins' ghosts, ``height`` pixels high."""
    return loss_chart(
        lab.model,
        report,
        lab.run.schedule,
        lab.view,
        lab.frames(),
        lab.play_timing()[0],
        ghosts=tuple((pin.label, pin.losses) for pin in lab.pins),
        heldout=lab.heldout_history(),
        large=large,
        height=height,
    )


@dataclass(frozen=True)
class Pinned:
    """A run's pins as drawn under the loss chart: the table of where each ended
    (:func:`pins_table`); the chart's legend names their ghosts."""

    table: dict[str, list]


def pinned(lab: Lab, report: RunReport) -> Pinned | None:
    """The lab's pins as drawn (None without pins)."""
    if not lab.pins:
        return None
    table = pins_table(lab.pins, report.reference_loss if report.same_objective else None, report.C)
    return Pinned(table)
