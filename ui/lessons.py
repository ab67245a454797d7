"""Three guided lessons: each a short sequence of steps over the training area.

Plain data, no Streamlit. A step names the settings it starts from, the actions that bring
the run to where the step begins (the same actions the controls take: Step, Fix, Run to the
optimum), how the charts show it, what to look at and what to do next. Opening a step (by
Next, Back or a link like ``lesson=1&step=3``) rebuilds that state from scratch, so a slide
can link to any step.

Numbers in a step's text are the run's own, filled in when it is shown (``{gap}`` and the
like, see :data:`PLACEHOLDERS`): what a lesson says holds for the run on screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .settings import SEED_NOTE, Settings


@dataclass(frozen=True)
class LessonStep:
    title: str
    text: str  # what to look at, in markdown
    task: str  # what to do now
    settings: Settings = SEED_NOTE
    actions: tuple[tuple, ...] = ()  # ("step", n), ("stable",), ("optimum",)
    view: dict = field(default_factory=dict)  # View fields to set
    # The controls the step asks for, beyond its buttons: "rate" (solver and learning rate),
    # "view" (the charts' own controls). A step shows those and both charts on one screen.
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lesson:
    title: str
    summary: str
    steps: tuple[LessonStep, ...]


# What a step's text may quote, filled in from the run as it is shown.
PLACEHOLDERS = {
    "n_iter": "iterations so far",
    "ratio": "the learning rate as a multiple of 2/L",
    "rises": "steps among the last ones that raised the loss",
    "steps": "the last steps counted",
    "gap": "max |Δp| to the target",
    "norm": "||W||",
    "confidence": "the mean probability of the most probable class",
    "accuracy": "training accuracy",
    "optimum_tol": "the change of J at which Run to the optimum stops",
    "shrink_first": "how many times J − J* shrank over the first 100 steps",
    "shrink_before": "... over the 100 steps before the last 100",
    "shrink_last": "... over the last 100 steps",
}

_STABLE_SEED = Settings(learning_rate=None)
_BLOBS = Settings(kind="blobs", n_samples=60, n_classes=3, noise=0.1, seed=4)

LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "The note's learning rate never settles",
        "The seed note trains with lr = 0.5; its loss goes up and down to the end. Why, and "
        "the fix.",
        (
            LessonStep(
                "The seed note's run",
                "This is the note's data (100 points, 3 noisy classes) and its training: "
                "gradient descent with **lr = 0.5**. At iteration 0 every class gets 1/3 and the "
                "loss is log 3 ≈ 1.0986.",
                "Press **Step ×10** and watch the loss chart.",
                view={"panel": "model"},
            ),
            LessonStep(
                "The loss goes up and down",
                "After {n_iter} steps the loss rose in {rises} of the last {steps}. The banner "
                "says why in one number: lr is **{ratio} the stable limit 2/L**. Below that "
                "limit a gradient step can never raise the loss; above it, nothing guarantees "
                "it.",
                "Press **Step** a few times: does the loss settle?",
                actions=(("step", 30),),
            ),
            LessonStep(
                "Overshooting, seen on the landscape",
                "The landscape shows the loss on a plane through the current parameters. The "
                "path zigzags across the **steepest direction**: there the loss curves so much "
                "that a step of 0.5 overshoots the minimum, lands higher on the other side, and "
                "overshoots back.",
                "Press **Step ×10** and follow the zigzag.",
                actions=(("step", 30),),
                view={"panel": "landscape", "plane": "start"},
            ),
            LessonStep(
                "The fix: a stable rate",
                "After 30 steps at lr 0.5, the *Fix* button set the rate to **1/L**, half the "
                "stable limit, and {steps} steps followed: the loss rose in {rises} of them. At "
                "1/L a step shrinks the error along every direction without flipping its sign, "
                "so after the zigzag the path slides down the valley towards the optimum.",
                "Press **Step ×10** a few times: the loss only goes down.",
                actions=(("step", 30), ("stable",), ("step", 20)),
                view={"panel": "landscape", "plane": "start"},
            ),
        ),
    ),
    Lesson(
        "From scratch lands on scikit-learn",
        "With a stable rate and the same objective, the from-scratch model reaches the same "
        "optimum as scikit-learn, probability for probability.",
        (
            LessonStep(
                "The target",
                "The dashed curves are scikit-learn's `LogisticRegression` trained on the same "
                "data with the **same objective** (no penalty). The solid ones are the model "
                "from scratch, at iteration 0: all 1/3.",
                "Press **Step ×10** and compare solid with dashed.",
                settings=_STABLE_SEED,
                view={"panel": "model", "reference": "same", "show_target": True},
            ),
            LessonStep(
                "Close, but not there",
                "After {n_iter} stable steps the curves are close, but **max |Δp|** is still "
                "{gap}: gradient descent crawls along the flattest direction of the loss. "
                "J − J* fell {shrink_first}× in the first 100 steps, then {shrink_before}× and "
                "{shrink_last}× in the last two hundreds: a nearly steady factor.",
                "Look at the loss chart with **log y**: bent at first, then nearly straight.",
                settings=_STABLE_SEED,
                actions=(("step", 1000),),
                view={"panel": "model", "log_y": True},
                controls=("view",),
            ),
            LessonStep(
                "To the optimum",
                "*Run to the optimum* went on with the same rate until a step changed the loss "
                "by less than {optimum_tol}: {n_iter} steps in all. Now **max |Δp|** is {gap}: the "
                "curves land on scikit-learn's.",
                "Read *Why they differ* on the Compare page, or try Newton from scratch.",
                settings=_STABLE_SEED,
                actions=(("step", 1000), ("optimum",)),
                view={"panel": "model", "log_y": True},
                controls=("rate",),
            ),
            LessonStep(
                "Newton's few long steps",
                "Newton's method divides the gradient by the curvature: from zero it reaches the "
                "same optimum in a handful of steps, where gradient descent needed tens of "
                "thousands.",
                "Press **Step** up to ten times and watch the landscape.",
                settings=Settings(solver="newton"),
                view={"panel": "landscape", "plane": "start"},
            ),
        ),
    ),
    Lesson(
        "What C does",
        "The L2 penalty ||W||²/(2Cn) pulls the weights towards zero: the smaller C, the "
        "smaller ||W||, and the softer the boundaries.",
        tuple(
            LessonStep(
                f"C = {'∞' if math.isinf(C) else f'{C:g}'}",
                text + " Here ‖W‖ = {norm} and the most probable class gets {confidence} on "
                "average (training accuracy {accuracy}).",
                "Compare with the other values of C: Back and Next.",
                settings=Settings(**{**_BLOBS.__dict__, "solver": "newton", "C": C}),
                actions=(("optimum",),),
                view={"panel": "model"},
            )
            for C, text in (
                (
                    math.inf,
                    "Three blobs of 60 points, trained to the optimum with **no penalty**: the "
                    "weights grow as large as the data allow.",
                ),
                (0.1, "With **C = 0.1** the penalty ||W||²/(2Cn) pulls the weights in."),
                (
                    0.01,
                    "With **C = 0.01** they shrink further and the probabilities soften.",
                ),
                (
                    0.001,
                    "With **C = 0.001** the penalty dominates: every probability drifts towards "
                    "1/3, the model hardly dares to decide.",
                ),
            )
        ),
    ),
)
