"""The training area: the buttons, settings, metrics, banner and charts of a run.

Drawn by the Train page in three fragments (see :func:`area`), and by the Lessons page under
a lesson's text inside one (see :mod:`ui.session` for who redraws what). Every number comes
from the lab's one report.
"""

import math

import pyarrow
import streamlit as st

from . import escape, explain, export, figures, live, page, session, views
from .escape import plain
from .lab import ANIMATED_SPEEDS, OPTIMUM_TOL, PLAY_SPEEDS, Lab
from .report import format_change, format_number, format_rate
from .settings import (
    BATCH_RANGE,
    LAST_ITERATIONS,
    LOSS_WINDOWS,
    LR_RANGE,
    MAX_ITER,
    MAX_SEED,
    SPEEDS,
)

C_CHOICES = [math.inf, 100.0, 10.0, 1.0, 0.1, 0.01]
TOL_CHOICES = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10, 1e-12, 1e-15]
WINDOW_LABELS = {"all": "all", "last": f"last {LAST_ITERATIONS}", "logx": "log x"}
PANEL_LABELS = {"model": "Probabilities", "landscape": "Landscape", "simplex": "Simplex"}
PLANE_LABELS = {"start": "with start", "steepest": "2 steepest"}


# More and the expanders below the charts keep their state and are drawn only while open:
# every Step would otherwise send their contents again (More's five widgets cost a Step 2 ms
# of the server's time), and a closed page would load the code block's script (the largest
# of the first load, for two links nobody has opened yet).
MORE_KEY, TAKE_HOME_KEY, SHARE_KEY = "w.train.more", "w.train.take_home", "w.train.share"


def _drawn_when_open(key: str) -> dict:
    return {"key": key, "on_change": "rerun"}


def learning_rate_controls(newton: bool, large: bool, rerun: list[str] | None = None) -> None:
    """Solver and learning rate: automatic, typed, or one click relative to the limit (SGD's
    batch size and shuffle seed are under More). On a projector (``large``) the labels above
    them give their room to the charts (screen readers still have them). ``rerun``: what a
    change reruns (see :func:`area`)."""
    labels = "collapsed" if large else "visible"
    st.segmented_control(
        "Solver",
        list(explain.SOLVER_SHORT),
        label_visibility=labels,
        format_func=explain.SOLVER_SHORT.get,
        required=True,
        **session.widget("w.train.solver", rerun=rerun),
        help="GD: plain gradient descent (the seed's). Nesterov: momentum. Newton: uses the "
        "Hessian. SGD: mini-batch stochastic gradient descent, one batch per step. Changing "
        "the solver starts a new run (Back returns to this one).",
    )
    # No help icon on the toggle: the row must hold four solvers at 1280 px beside the
    # sidebar; the learning rate's help says what auto is.
    auto = st.toggle("auto 1/L", **session.widget("w.train.lr_auto", rerun=rerun), disabled=newton)
    st.number_input(
        "Learning rate",
        label_visibility=labels,
        min_value=LR_RANGE[0],
        max_value=LR_RANGE[1],
        format="%.4g",
        disabled=auto or newton,
        width=130 if large else 110,
        **session.widget("w.train.lr", rerun=rerun),
        help="Step size of gradient descent (and of SGD); changing it keeps the run. While "
        "auto is on this shows 1/L, the rate in use: 1/L never overshoots, since L bounds the "
        "curvature of the loss on this data.",
    )
    st.segmented_control(
        "× the stable limit 2/L",
        session.rate_presets(),
        label_visibility=labels,
        disabled=newton,
        **session.widget("w.train.rate_preset", rerun=rerun),
        help="One click: 0.5× is 1/L (auto); above 1× gradient descent may overshoot; "
        "'seed 0.5' is the note's rate.",
    )


def more_settings(rerun: list[str] | None = None) -> None:
    """The settings a lecture rarely changes, in a popover drawn only while it is open;
    ``rerun``: what a change reruns (see :func:`area`)."""
    holder = st.popover(
        "More",
        icon=":material/tune:",
        help="SGD's batches, penalty, tolerance, limits, speed",
        **_drawn_when_open(MORE_KEY),
    )
    if not holder.open:
        return
    with holder:
        current = session.lab().settings  # a linked value outside the usual choices is offered
        if current.solver == "sgd":
            st.number_input(
                "SGD batch size",
                min_value=BATCH_RANGE[0],
                max_value=BATCH_RANGE[1],
                step=1,
                **session.widget("w.train.batch_size", rerun=rerun),
                help="Points per SGD step (the link keeps it); an epoch is ⌈n / batch⌉ steps, "
                "and a batch of every point is plain gradient descent. Changing it starts a "
                "new run.",
            )
            st.number_input(
                "SGD shuffle seed",
                min_value=0,
                max_value=MAX_SEED,
                step=1,
                **session.widget("w.train.batch_seed", rerun=rerun),
                help="The seed of each epoch's shuffled order (the link keeps it, so the run "
                "repeats exactly). Changing it starts a new run.",
            )
        st.selectbox(
            "L2 penalty C",
            sorted({*C_CHOICES, current.C}, reverse=True),
            format_func=lambda c: "none (C = ∞)" if math.isinf(c) else f"C = {c:g}",
            **session.widget("w.train.C", rerun=rerun),
            help="Inverse strength of the penalty ||W||²/(2Cn), scikit-learn's meaning. "
            "Changing it starts a new run.",
        )
        st.select_slider(
            "Tolerance",
            sorted({*TOL_CHOICES, current.tol}, reverse=True),
            format_func=lambda t: f"{t:g}",
            **session.widget("w.train.tol", rerun=rerun),
            help="Converged when a step changes the loss by less than this (seed: 1e-6).",
        )
        st.number_input(
            "max_iter",
            min_value=1,
            max_value=MAX_ITER,
            step=100,
            **session.widget("w.train.max_iter", rerun=rerun),
            help="Most iterations of this run (the seed's: 1000).",
        )
        st.select_slider(
            "Play speed",
            list(SPEEDS),
            **session.widget("w.view.speed", rerun=rerun),
            help=speeds_help(),
        )
        speed = session.lab().view.speed
        if speed in ANIMATED_SPEEDS:
            seconds = PLAY_SPEEDS[speed][0]
            st.caption(
                f"{speed.capitalize()} animates each {seconds:g} seconds' steps; the numbers "
                f"above the charts change once every {seconds:g} seconds. Where the device "
                f"asks for reduced motion (an accessibility setting), the charts do not "
                f"animate: they show each tick's last step, every {seconds:g} seconds."
            )


def speeds_help() -> str:
    """What each Play speed does, from the lab's own timings (:data:`ui.lab.PLAY_SPEEDS`)."""

    def described(speed: str) -> str:
        seconds, steps = PLAY_SPEEDS[speed]
        rate = f"{speed} {steps / seconds:g}"
        if speed in ANIMATED_SPEEDS:
            return f"{rate}, {seconds:g} seconds' steps at a time, animated by the browser"
        if steps == 1:
            return f"{rate}, each drawn as it is taken"
        return f"{rate}, drawn {steps} at a time"

    return "Steps a second: " + "; ".join(described(speed) for speed in SPEEDS) + "."


def take_home(*, popover: bool = False) -> None:
    """The run on screen as files: a notebook, a script and the run as JSON (each built only
    when someone downloads it: the page pays for a copy of the model's state, not for the
    files), and the way to open a saved run. In an expander below the charts (the Train
    page), drawn only while it is open, or in a ``popover`` (a lesson step's header row)."""
    if popover:
        holder = st.popover(
            "Take home", icon=":material/download:", help="This run as a notebook, a script or JSON"
        )
    else:
        holder = st.expander(
            "Take this run home", icon=":material/download:", **_drawn_when_open(TAKE_HOME_KEY)
        )
        if not holder.open:
            return
    files = session.lab().take_home()
    refusal = export.code_refusal(files.spec.settings)  # an SGD run: the JSON file only
    why_not = None if refusal is None else escape.markdown(refusal.capitalize() + ".")
    with holder, st.container(horizontal=not popover, vertical_alignment="center"):
        st.download_button(
            "Download notebook",
            data=files.notebook_text,
            file_name=export.NOTEBOOK_NAME,
            mime="application/x-ipynb+json",
            key="w.export.notebook",
            on_click="ignore",
            icon=":material/description:",
            disabled=refusal is not None,
            help="A Jupyter notebook that rebuilds this run twice, with the seed note's own "
            "NumPy loop and with softmax_core: both print the final loss and draw the charts."
            if refusal is None
            else why_not,
        )
        st.download_button(
            "Download script",
            data=files.script_text,
            file_name=export.SCRIPT_NAME,
            mime="text/x-python",
            key="w.export.script",
            on_click="ignore",
            icon=":material/code:",
            disabled=refusal is not None,
            help=f"The same as a Python script: python {export.SCRIPT_NAME}"
            if refusal is None
            else why_not,
        )
        st.download_button(
            "Download run (JSON)",
            data=files.json_text,
            file_name=export.JSON_NAME,
            mime="application/json",
            key="w.export.json",
            on_click="ignore",
            icon=":material/data_object:",
            help="Settings, learning-rate schedule, parameters and loss history (an uploaded "
            "file inside): open it on the Data page to get this run back.",
        )
        st.page_link("pages/1_Data.py", label="Open a saved run (Data page)")
    if why_not is not None:
        with holder:
            st.caption(why_not)


def buttons(report, page_title: str, press=session.action) -> None:
    """Step, Play, Back and the rest; ``press`` binds a button to a transition (see
    :func:`area`)."""
    st.button(
        "Step",
        key="w.train.step",
        type="primary",
        help="One iteration (keys: PageDown or →, as a presenter's remote sends).",
        **press("step", 1),
    )
    st.button("Step ×10", key="w.train.step10", **press("step", 10))
    st.button(
        "Run to convergence",
        key="w.train.run",
        **press("run_to_convergence"),
        help="Until a step changes the loss by less than tol, or max_iter; it says where it "
        "stopped and how far it is from the target.",
    )
    st.button(
        "Land on scikit-learn",
        key="w.train.optimum",
        **press("run_to_optimum"),
        help=f"Go on with this solver and rate until a step changes the loss by less than "
        f"{OPTIMUM_TOL:g}, past tol and max_iter (which stay as they are): gradient descent "
        "at a stable rate lands on scikit-learn's curves, after tens of thousands of steps.",
    )
    # Two buttons with fixed effects: the browser may deliver a click's trigger twice (in a
    # timer rerun and in its own), and a toggle would then undo itself.
    if session.lab().playing:
        st.button("Pause", key="w.train.pause", **press("pause"))
    else:
        st.button(
            "Play",
            key="w.train.play",
            disabled=report.diverged or report.at_max_iter,
            help="Take steps at the chosen speed until Pause (key: P).",
            **press("play", page_title),
        )
    st.button(
        "Back",
        key="w.train.back",
        help="Undo the last action (keys: PageUp or ←).",
        **press("back"),
    )
    st.button("Reset", key="w.train.reset", help="Back to iteration 0.", **press("reset"))


def metrics(report) -> None:
    change = report.loss_change
    st.metric("Iteration", f"{report.n_iter:,}")
    st.metric(
        "Loss J",
        format_number(report.loss),
        help="Cross-entropy plus penalty at the current parameters.",
    )
    st.metric(
        "Last step ΔJ",
        format_change(change, report.loss),
        help="How much the last step changed the loss (negative: it fell; ≈ 0: by less than "
        "rounding).",
    )
    st.metric(
        "max |Δp| to target",
        "–" if report.gap is None else f"{report.gap.max_abs_diff:.1e}",
        help=f"Largest difference between the from-scratch probabilities and those of "
        f"{report.reference.label}, on the training points.",
    )
    st.metric("Accuracy", f"{report.accuracy:.1%}", help="On the training points.")
    if report.heldout_accuracy is not None:
        st.metric(
            "Held out",
            f"{report.heldout_accuracy:.1%}",
            help=f"Accuracy on the held-out points (their cross-entropy: "
            f"{report.heldout_loss:.4f}).",
        )
    what = "last step" if report.solver != "sgd" else "last complete epoch"
    st.metric(
        "Converged",
        "diverged" if report.diverged else ("yes" if report.converged else "no"),
        help=f"Whether the {what} changed the loss by less than tol = {report.tol:g}.",
    )


def fix_button(report, claim, press=session.action) -> None:
    """The way out of what the banner describes: a stable rate, or a restart at it."""
    if claim.key == "diverged":
        st.button(
            "Restart at 1/L",
            key="w.train.restart_stable",
            **press("restart_with_stable_rate"),
            type="primary",
            help="A new run with the automatic, stable rate (Back returns to this one).",
        )
    elif claim.key in ("unstable-rising", "unstable-falling", "nesterov-unproven"):
        st.button(
            f"Fix: 1/L = {format_rate(1 / report.lipschitz)}",
            key="w.train.fix_lr",
            **press("use_stable_learning_rate"),
            help="Keeps the run and goes on with the automatic learning rate 1/L.",
        )


def _chart_columns(large: bool) -> list:
    return st.columns([1, 1] if large else [1.1, 1])


def charts(report, large: bool, *, chart_controls: bool = True, roomy: bool = False) -> None:
    """Both charts of the session's own lab, with their controls above each unless
    ``chart_controls`` is False. ``roomy``: nothing but the lecture's rows above (the Train
    page), so a projector's charts may be as tall as a screen's."""
    # On a projector: the room the rows above leave on 720 pixels (a lesson's step above
    # leaves less).
    height = views.CHART_HEIGHT[large and not roomy]
    with st.container(key="train-charts"):
        left, right = _chart_columns(large)
        with left:
            model_panel(report, large, height, controls=chart_controls)
        with right:
            loss_panel(report, large, height, controls=chart_controls)


def view_row(large: bool) -> None:
    """The Train page's chart controls, in columns above the charts' (drawn with the
    buttons, laid out above the charts by ui.page's CSS, see :func:`area`)."""
    with st.container(key="train-view"):
        left, right = _chart_columns(large)
        with left:
            panel_controls(panels(), session.lab().view.panel, BOTH_FRAGMENTS)
        with right:
            loss_controls(press, LIVE_FRAGMENT)


def followed_charts(shown: live.Shown) -> None:
    """Both charts of a live room (:class:`ui.live.Shown`, serialised once for all its
    followers), read-only: no controls, no point to click, no pins to clear."""
    left, right = _chart_columns(shown.large)
    with left:
        page.chart(shown.model_chart, key=shown.model_key)
        if shown.caption is not None:
            st.caption(shown.caption)
    with right:
        page.chart(shown.loss_chart, key="w.train.loss_chart")
        draw_pinned(shown.pins, clearable=False)


def panel_controls(panels: list[str], panel: str, rerun: list[str] | None = None) -> None:
    """What the left chart shows, and the landscape's plane (``rerun``: see :func:`area`;
    the choice of panel changes this row too)."""
    with st.container(horizontal=True, vertical_alignment="center"):
        st.segmented_control(
            "Left chart",
            panels,
            format_func=PANEL_LABELS.get,
            required=True,
            label_visibility="collapsed",
            **session.widget("w.view.panel", rerun=rerun),
        )
        if panel == "landscape":
            st.segmented_control(
                "Plane",
                list(PLANE_LABELS),
                format_func=PLANE_LABELS.get,
                required=True,
                label_visibility="collapsed",
                # The plane changes the chart only, not this row.
                **session.widget("w.view.plane", rerun=None if rerun is None else LIVE_FRAGMENT),
                help="The plane through the current parameters spanned by the steepest "
                "direction and either the way back to the start (shows the whole journey) or "
                "the second steepest direction. Both are computed once, at the optimum.",
            )


def panels() -> list[str]:
    """The left chart's choices: the simplex only for three classes."""
    return [p for p in PANEL_LABELS if p != "simplex" or session.lab().dataset.n_classes == 3]


def model_panel(report, large: bool, height: int, *, controls: bool = True) -> None:
    """The model's probabilities, or the loss landscape with the path so far; with its
    controls (the panel, the plane) unless ``controls`` is False (a lesson sets them, the
    Train page draws them in :func:`view_row`)."""
    lab = session.lab()
    if controls:
        panel_controls(panels(), lab.view.panel)
    figure = views.model_panel_figure(
        lab, report, large=large, height=height - views.CHART_TITLE_ROOM
    )
    page.chart(figure.spec, key=figure.key, clickable=figure.clickable)
    if figure.caption is not None:
        st.caption(figure.caption)


def loss_controls(press=session.action, rerun: str | None = None) -> None:
    """The target line, the scales, the window, and the pin button (``press`` and
    ``rerun``: see :func:`area`)."""
    with st.container(horizontal=True, vertical_alignment="center"):
        # No help icons here (the row is full): the legend and the axis title say it.
        st.toggle("Target", **session.widget("w.view.target", rerun=rerun))
        st.toggle("log y", **session.widget("w.view.log_y", rerun=rerun))
        st.segmented_control(
            "Loss window",
            list(LOSS_WINDOWS),
            format_func=WINDOW_LABELS.get,
            required=True,
            label_visibility="collapsed",
            **session.widget("w.view.window", rerun=rerun),
        )
        # Its label is its accessible name (icon-only, Streamlit names it "push_pin icon"),
        # shown to screen readers only (ui.page's CSS): the row has no room for the word.
        st.button(
            "Pin this run",
            key="w.train.pin",
            icon=":material/push_pin:",
            **press("pin"),
            help="Pin this run: keep it as a dotted ghost on the loss chart and the landscape, "
            "to compare (at most 4; the link keeps them).",
        )


def loss_panel(report, large: bool, height: int, *, controls: bool = True) -> None:
    """The loss history, with its controls unless ``controls`` is False."""
    lab = session.lab()
    if controls:
        loss_controls()
    page.chart(
        views.loss_panel_figure(lab, report, large=large, height=height - views.CHART_TITLE_ROOM),
        key="w.train.loss_chart",
    )
    pinned_runs(lab, report)


def pinned_runs(lab: Lab, report, *, clearable: bool = True) -> None:
    """Where each pinned run ended (against the target, with the same objective), and a way
    to clear them; the loss chart's legend is the key to their dotted ghosts."""
    draw_pinned(views.pinned(lab, report), clearable=clearable)


def draw_pinned(pins: views.Pinned | None, *, clearable: bool = True) -> None:
    """:func:`pinned_runs` from the table it draws (a live room's is made once for all its
    followers, who cannot clear it)."""
    if pins is None:
        return
    st.dataframe(pyarrow.table(pins.table), hide_index=True, key="w.train.pins_table")
    if clearable:
        st.button("Unpin all", key="w.train.unpin", type="tertiary", **session.action("clear_pins"))


def point_panel(report, large: bool) -> None:
    """The chosen point through the model, as it stands: x, z, p, its loss, its share of
    the gradient. Click a point on the model chart (or pick one on the Math page)."""
    lab = session.lab()
    point_index = lab.view.point
    dataset = lab.dataset
    if point_index is None:
        if lab.view.panel != "landscape":  # the landscape has no data points to click
            st.caption("Click a data point on the chart to follow it through the model.")
        return
    point = views.trace_point(lab.model, dataset, point_index)
    names = dataset.class_names
    share = "held out" if point_index in set(dataset.test.tolist()) else "training"
    text_col, bars_col = st.columns([1.2, 1])
    with text_col:
        verdict = (
            "predicts it right"
            if point.predicted == point.label
            else f"predicts class **{escape.markdown(plain(names[point.predicted], 40))}**"
        )
        # The gist first: on a projector this line is what stays above the fold.
        st.markdown(
            f"**Point {point_index}** ({share}), class "
            f"**{escape.markdown(plain(names[point.label], 40))}**, "
            f"at iteration {report.n_iter:,}: the model gives its class "
            f"p = {point.proba[point.label]:.4f} (loss ℓ = {point.loss:.4f}) and {verdict}."
        )
        st.latex(r"\mathbf{x} = " + views.latex_vector(point.x))
        if dataset.standardised:
            st.latex(
                r"\tilde{\mathbf{x}} = \text{scaled } \mathbf{x} = "
                + views.latex_vector(point.x_model)
            )
        st.latex(r"\mathbf{z} = W\mathbf{x} + \mathbf{b} = " + views.latex_vector(point.scores))
        st.latex(rf"\ell = -\log p_{{y}} = -\log {point.proba[point.label]:.4f} = {point.loss:.4f}")
        if share == "training":
            n_train = lab.training.n_samples
            st.latex(
                r"\tfrac{1}{n}\,\partial \ell / \partial \mathbf{b} = \tfrac{1}{n}(\mathbf{p} - "
                r"\mathbf{e}_y) = " + views.latex_vector(point.grad_intercept / n_train)
            )
        else:
            st.caption(
                "A held-out point: the model never learns from it, so it has no share "
                "of the gradient."
            )
        st.button(
            "Forget this point",
            key="w.train.clear_point",
            type="tertiary",
            **session.action("choose_point", None),
        )
    page.chart(
        figures.describe(
            figures.probability_bars(
                point.proba,
                point.proba,
                names,
                temperature=1.0,
                true_class=point.label,
                title=f"Point {point_index}'s probabilities",
                large=large,
                height=260,
            ),
            views.bars_sentence(f"Point {point_index}", names, point.proba, point.proba, 1.0),
        ),
        key="w.train.point_bars",
        container=bars_col,
    )


def parameters(report) -> None:
    lab = session.lab()
    # An Arrow table goes to the browser as it is; a dict would pass through pandas first. A
    # static table of a few rows, not the interactive grid: each Step redraws it, and the
    # grid's scripts were a fifth of the page's first load.
    table = views.parameter_table(lab.model, lab.dataset.class_names)
    st.table(pyarrow.table(table), hide_index=True)
    after = (
        "an SGD step goes against one mini-batch's gradient instead: the Math page shows both"
        if report.solver == "sgd"
        else "the next step of gradient descent goes against it"
    )
    st.caption(f"W and b at iteration {report.n_iter:,}, and the gradient at this point ({after}).")


def share_links() -> None:
    base = str(st.context.url or "").split("?")[0]
    if not base:
        return
    holder = st.expander("Share this run", **_drawn_when_open(SHARE_KEY))
    if not holder.open:
        return
    lab = session.lab()
    presenter, students = lab.share_links(base)
    with holder:
        st.caption("For students (normal view):")
        st.code(students, language=None, wrap_lines=True)
        if lab.classroom:
            st.caption("The presenter's view (classroom mode):")
            st.code(presenter, language=None, wrap_lines=True)


# The Train page's training area is three fragments. A Step changes the numbers, the banner
# and the charts (the live fragment) and seldom the rows of buttons, settings and chart
# controls above them (the controls fragment): each element a rerun sends costs the server
# and the browser, and the controls were two fifths of a Step's 51 messages. A button reruns
# what its action changed (press); a setting reruns both; ui.page's CSS lays their rows out
# as one column.
CONTROLS_FRAGMENT, LIVE_FRAGMENT = "train-controls", "train-live"
BOTH_FRAGMENTS = [CONTROLS_FRAGMENT, LIVE_FRAGMENT]
# The two expanders below the charts (share, take home) are a third fragment: closed, they
# show nothing of the run (and, being widgets, cost every rerun that draws them); open, they
# show the run as a link and as files, and are drawn again when it changes.
BELOW_FRAGMENT = "train-below"
TIMER_FRAGMENT = "train-timer"  # inside the live fragment while Play runs (see area)
_INSIDE_LIVE = "train.inside_live"  # the timer's fragment is drawn by the live one's run
_EVENT_ON_SCREEN = "train.event_on_screen"  # whether the controls show a message now
_BELOW_SHOWS = "train.below_shows"  # the run (its query) the open expanders show
_BELOW_DUE = "train.below_due"  # the expanders are drawn later in this run
_NO_TICK = "train.no_tick"  # this run redraws a tick already taken


def controls_state() -> tuple | None:
    """What the controls fragment shows besides its widgets' own values and the message:
    when an action leaves it as it was, the controls need not be drawn again. None when the
    run's report cannot be computed (an error is shown instead)."""
    lab = session.lab()
    try:
        report = lab.report()
    except ValueError:
        return None
    return (
        lab.playing,
        report.diverged,
        report.at_max_iter,
        explain.stability(report).key,
        report.lipschitz,
        lab.settings,
        lab.model.learning_rate_,
        lab.view.speed,
    )


def _controls_changed(before: tuple | None) -> bool:
    """Whether the controls must be drawn again: what they show changed, or a message is to
    be shown or taken away."""
    return (
        controls_state() != before
        or session.lab().event is not None
        or st.session_state.get(_EVENT_ON_SCREEN, False)
    )


def _pressed(name: str, *arguments) -> None:
    """A button's callback on the Train page: the transition, then a rerun of what it
    changed (Play and Pause change both fragments: the live one starts or ends Play's timer,
    see :func:`area`; none but the interaction's own when it changed nothing)."""
    before = controls_state()
    run = session.lab().query()
    session.act(name, *arguments)
    controls_changed = _controls_changed(before)
    if session.lab().query() == run and not controls_changed:
        # Nothing changed: Streamlit ran this click's callback a second time (in the rerun
        # the first asked for, or riding on a timer's tick). The interaction's own rerun is
        # harmless; a fragment-scoped one would cut the run in progress short (measured: an
        # app's run, whose controls, begun again, were lost).
        return
    scope = BOTH_FRAGMENTS if controls_changed else [LIVE_FRAGMENT]
    if below_open():
        st.session_state[_BELOW_DUE] = True
        scope = [*scope, BELOW_FRAGMENT]
    session.rerun_after(scope)


def below_open() -> bool:
    """Whether either expander below the charts is open (then it shows the run)."""
    return any(st.session_state.get(key) is True for key in (SHARE_KEY, TAKE_HOME_KEY))


def _below_is_behind() -> bool:
    """Whether an open expander below shows another run than the lab's, and is not about to
    be drawn in this run."""
    if st.session_state.get(_BELOW_DUE) or not below_open():
        return False
    return st.session_state.get(_BELOW_SHOWS) != session.lab().query()


def press(name: str, *arguments) -> dict:
    """Keyword arguments that make a Train page button run the lab's transition ``name``
    and rerun what it changed (see :func:`_pressed`)."""
    return {"on_click": _pressed, "args": (name, *arguments)}


def area(
    summary_slot,
    *,
    page_title: str,
    title: str | None = "Train",
    above=None,
    controls=None,
) -> None:
    """Everything a training action changes (see ``ui.session``): the part Play reruns.

    ``title`` heads the row of buttons (None: the page has its own); ``above`` draws what
    goes above the training area inside the fragment (a lesson's step, which its buttons
    change). ``page_title`` names the page, where Play runs. ``controls``, called in the
    fragment, names the controls to show besides the buttons (a lesson step's, see
    :data:`ui.lessons.LessonStep.controls`); None: every control, and what follows the charts,
    in three fragments (see :data:`CONTROLS_FRAGMENT`): the controls, the live rows (Play's
    timer reruns these) and the expanders below.
    """
    lab = session.lab()
    ticking = lab.playing
    timer = lab.play_timing()[0] if ticking else None

    def tick(ticking: bool, *, controls_apart: bool) -> None:
        """Play's tick, when ``ticking`` (Play was on as the fragment's run began, or as the
        app's run drew its timer); ``controls_apart``: the controls are another fragment,
        redrawn by an app's rerun when the tick changed them."""
        current = session.lab()
        retaken = st.session_state.pop(_NO_TICK, False)  # this run redraws a tick taken
        if current.playing and ticking and not retaken:
            before = controls_state()
            session.act("tick")
            if controls_apart and current.playing and _controls_changed(before):
                # The fix button or a message changed: draw the controls too (drawn before
                # this tick in an app's run), without a second tick.
                st.session_state[_NO_TICK] = True
                st.rerun()
        if current.playing != ticking:  # started, paused or stopped by itself: reset the timer
            st.rerun()

    def summary_and_url() -> None:
        with page.guard():  # drawn even when something above could not be computed
            page.summary(summary_slot)
            page.write_url()

    if above is None and controls is None:

        @st.fragment(key=CONTROLS_FRAGMENT)
        def controls_fragment() -> None:
            with page.guard():
                report = session.lab().report()
                large = page.large()
                with st.container(key="train-controls-rows"):
                    action_row(report, title, page_title, press)
                    settings_row(report, large, BOTH_FRAGMENTS)
                    view_row(large)

        def live_body() -> None:
            with page.guard(), st.container(key="train-live-rows"):
                live_rows(session.lab().report(), page.large(), chart_controls=False)
            summary_and_url()
            if _below_is_behind():  # a tick, a click on the chart, a view option
                st.session_state[_NO_TICK] = True
                st.rerun()

        # Play's timer belongs to a fragment inside the live one, drawn only while Play runs,
        # whose tick (its own run) reruns the live fragment. Play and Pause rerun the two
        # fragments, not the app: the live fragment's rerun that draws the timer starts it,
        # and the one that leaves it out ends it (Streamlit's stop_auto_rerun). With the timer
        # on the live fragment itself, only an app's rerun could set or end it, and ticks
        # already sent raced with that run: at "turbo", about one Pause in a hundred left the
        # page without its rows, or with Pause shown and nothing ticking. (The timer's own
        # fragment draws nothing: a fragment that was not in the last full run of the app
        # cannot write into the sidebar's summary.)
        @st.fragment(key=LIVE_FRAGMENT)
        def live_fragment() -> None:
            current = session.lab()
            tick(current.playing, controls_apart=True)
            live_body()
            if not current.playing:
                return

            @st.fragment(key=TIMER_FRAGMENT, run_every=current.play_timing()[0])
            def timer_fragment() -> None:
                if not st.session_state.get(_INSIDE_LIVE):  # the timer's own run: a tick
                    session.rerun_fragment(LIVE_FRAGMENT)

            st.session_state[_INSIDE_LIVE] = True
            try:
                timer_fragment()
            finally:
                st.session_state[_INSIDE_LIVE] = False

        @st.fragment(key=BELOW_FRAGMENT)
        def below_fragment() -> None:
            with page.guard(), st.container(key="train-below"):
                share_links()
                take_home()
            st.session_state[_BELOW_SHOWS] = session.lab().query() if below_open() else None
            st.session_state[_BELOW_DUE] = False

        st.session_state[_BELOW_DUE] = True
        controls_fragment()
        live_fragment()
        below_fragment()
        return

    @st.fragment(run_every=timer)
    def fragment() -> None:
        tick(ticking, controls_apart=False)
        with page.guard():
            if above is not None:
                above()
            with st.container(key="train-lesson"):  # the area in less room (ui.page's CSS)
                draw(title, page_title, controls() if controls is not None else ("rate", "view"))
        summary_and_url()

    fragment()


def action_row(
    report, title: str | None, page_title: str, press=session.action, *, event: bool = False
) -> None:
    """The title, the buttons and the fix button; with the last action's message when
    ``event`` (a lesson step without the settings row)."""
    with st.container(horizontal=True, vertical_alignment="center", key="train-actions"):
        if title:
            st.title(title, anchor=False, width="content")
        buttons(report, page_title, press)
        fix_button(report, explain.stability(report), press)
        if event:
            with st.container(width=360):  # the last action's message, in the row
                page.show_event()


def settings_row(report, large: bool, rerun: list[str] | None = None) -> None:
    """Solver, learning rate, More, and the last action's message in the room left."""
    with st.container(
        horizontal=True, vertical_alignment="bottom", key="train-settings", gap="xsmall"
    ):
        learning_rate_controls(report.solver == "newton", large, rerun)
        more_settings(rerun)
        with st.container(width="stretch"):  # the last action's message, in the room left
            st.session_state[_EVENT_ON_SCREEN] = page.show_event()


def live_rows(report, large: bool, *, chart_controls: bool = True, everything: bool = True) -> None:
    """What a Step or a Play tick changes: the metrics, the banner, the charts and (with
    ``everything``) what follows them."""
    claim = explain.stability(report)
    with st.container(horizontal=True, key="train-metrics"):
        metrics(report)
    getattr(st, claim.level)(claim.text)
    charts(report, large, chart_controls=chart_controls, roomy=everything)
    if everything:
        with st.container(key="train-more"):
            point_panel(report, large)
            if not large:
                parameters(report)


def draw(title: str | None, page_title: str, controls: tuple[str, ...]) -> None:
    """A lesson step's training area, in one fragment: the controls it names (see
    :func:`area`), the metrics, the banner and the charts."""
    report = session.lab().report()
    large = page.large()
    action_row(report, title, page_title, event="rate" not in controls)
    if "rate" in controls:
        settings_row(report, large)
    live_rows(report, large, chart_controls="view" in controls, everything=False)
