"""Charts that are updated in place: a small Streamlit component around plotly.js.

``st.plotly_chart`` gives a chart whose figure changed a new element identity, so after every
step the browser threw both Train charts away and drew them from scratch, twice (once more to
fit the width): 68 ms of plotly.js per click in a Chrome profile, 24 ms with this component.
It keeps one chart per key for the whole session and hands each new figure to
``Plotly.react``, which redraws only what changed; the figure is sent as plotly's own JSON.
Each chart downloads itself as a PNG or an SVG for slides (1920x1080: plotly.js's own
``downloadImage``, from a mode bar of those two buttons that shows on hover).

plotly.js is plotly's own "cartesian" partial bundle of the version the pinned plotly writes
for (the tests validate every figure with it): every trace type the figures use, in a third
of the full bundle's bytes. It is kept in the repository as
``static/plotly-cartesian-<version>.min.js`` and served by Streamlit's static file serving
(see :data:`PLOTLY_JS`): nothing is written to disk at run time, so the app runs from a
read-only checkout, and the versioned name lets browsers cache it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from .figures import Serialised, figure_json, serialise

__all__ = ["PLOTLY_JS", "draw", "figure_json", "plotly_js_url"]

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"

_HTML = '<div class="lab-chart"></div>'
# Loaded as an ES module by Streamlit; its default export runs at mount and whenever the data
# changes, with the same parent element.
_JS = """
const load = (url) => {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.labPlotly) {
    window.labPlotly = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.labPlotly = null;
        reject(new Error('plotly.js did not load from ' + url));
      };
      document.head.appendChild(script);
    });
  }
  return window.labPlotly;
};

// Charts for slides: on hover, a mode bar of two buttons only, which download the chart as a
// PNG or an SVG of 1920x1080 pixels (laid out at 960x540 and drawn at scale 2, so that text
// keeps its size relative to the chart) through plotly.js's own downloadImage. No mode bar
// where nothing hovers (a phone): a tap on a point would bring it up over the title.
const SLIDE = {width: 960, height: 540, scale: 2};
let configured = null;
const config = (Plotly) => {
  if (configured) return configured;
  const image = (format, icon) => ({
    name: 'download-' + format,
    title: 'Download ' + format.toUpperCase() + ' (1920×1080, for slides)',
    icon,
    click: (gd) => Plotly.downloadImage(gd, {format, ...SLIDE, filename: gd.labName}),
  });
  const hover = window.matchMedia('(hover: hover)').matches;
  configured = {responsive: true, displaylogo: false, displayModeBar: hover ? 'hover' : false,
                modeBarButtons: [[image('png', Plotly.Icons.camera),
                                  image('svg', Plotly.Icons.disk)]]};
  return configured;
};

const draw = async (gd, figure, data) => {
  const Plotly = await load(data.plotly);
  gd.labName = data.name;
  const animated = Boolean(figure.frames && figure.frames.length);
  // The next tick's frames wait for this tick's to end (a late browser's, a few frames):
  // stopped midway, every step of theirs that was not drawn yet would be lost.
  if (animated && gd.labAnimation) await gd.labAnimation;
  const interrupted = Boolean(gd.labAnimating);
  if (interrupted) {
    // A still figure (Pause) while a tick's frames play: stop them, or they would go on
    // drawing over this figure (a paused chart showed the tick's data and axes).
    try {
      await Plotly.animate(gd, [], {mode: 'immediate', frame: {duration: 0, redraw: false},
                                    transition: {duration: 0}});
    } catch (interrupted) { /* the frames it stopped */ }
    gd.labAnimating = false;
  }
  // The chart's own height, not its container's: when a rerun changes the height (classroom
  // mode toggled), Streamlit left the component's container at 0 px and the chart overflowed
  // it (drawn, but with an empty box that layout and hit tests see).
  if (figure.layout && figure.layout.height) gd.style.height = figure.layout.height + 'px';
  // The chart's text alternative (ui.figures.describe): one sentence of the numbers on
  // screen, read by a screen reader in place of the SVG's scattered tick labels.
  const meta = (figure.layout && figure.layout.meta) || {};
  gd.setAttribute('role', 'img');
  gd.setAttribute('aria-label', meta.description || data.name);
  // An animated Play tick (ui.figures.autoplay): played once per token; not where the reader
  // asked for reduced motion (prefers-reduced-motion: the figure's own data is the last
  // frame, so the chart steps from tick to tick, as the Play speed's caption says).
  const play = meta.autoplay;
  const still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const playing = Boolean(animated && play && !still && gd.labPlayed !== play.token);
  let shown = figure.data;
  if (playing && play.from_first) {
    // Drawn where the animation starts: drawn at its end, the chart showed the tick's last
    // step for a moment before going back to its first.
    const first = figure.frames[0];
    shown = [...figure.data];
    first.traces.forEach((index, j) => { shown[index] = {...shown[index], ...first.data[j]}; });
  }
  const figureNow = {data: shown, layout: figure.layout, frames: figure.frames || []};
  if ((gd.labWasAnimated && !animated) || interrupted) {
    // From an animation to a still figure, or from one stopped midway: drawn anew, so that
    // nothing of the animation's state is left (Plotly.react diffs against the data the
    // frames changed in place; after a stopped one, the loss chart's autoranged x axis came
    // back empty, [-1, 6], for the whole next tick).
    Plotly.purge(gd);
    gd.labClicks = false;
    await Plotly.newPlot(gd, {...figureNow, config: config(Plotly)});
  } else {
    // The config only for a new chart: given one, Plotly.react compares it with its own and
    // finds the mode bar's nested button lists changed every time, so even a layout-only
    // change was redrawn from scratch (measured: 60 ms for the model chart, 32 without).
    await Plotly.react(gd, gd.labConfigured ? figureNow : {...figureNow, config: config(Plotly)});
  }
  gd.labConfigured = true;
  gd.labWasAnimated = animated;
  if (!gd.labResize) {  // the column can change width without the window doing so
    // A chart hidden meanwhile (its page or tab left) is not resized: plotly refuses, and
    // its refusal was an uncaught error on the page.
    gd.labResize = new ResizeObserver(() => {
      if (gd.isConnected && gd.offsetParent !== null) Plotly.Plots.resize(gd).catch(() => {});
    });
    gd.labResize.observe(gd.parentElement);
  }
  if (data.clicks && !gd.labClicks) {
    gd.labClicks = true;
    gd.on('plotly_click', (event) => {
      const point = event.points.find((p) => p.customdata !== undefined && p.customdata !== null);
      if (!point) return;
      const row = Array.isArray(point.customdata) ? point.customdata[0] : point.customdata;
      gd.labSetTrigger('point', row);
    });
  }
  if (playing) {
    gd.labPlayed = play.token;
    gd.labAnimating = play.token;
    gd.labAnimation = Plotly.animate(gd, null, {
      frame: {duration: play.frame_ms, redraw: play.redraw}, transition: {duration: 0},
      mode: 'immediate'})
      .catch(() => {})  // stopped by a still figure
      .finally(() => { if (gd.labAnimating === play.token) gd.labAnimating = false; });
  }
};

export default function ({ data, parentElement, setTriggerValue }) {
  const gd = parentElement.querySelector('.lab-chart');
  gd.labSetTrigger = setTriggerValue;
  const figure = JSON.parse(data.figure);
  // Figures are drawn in the order they arrive, each after the one before has been drawn;
  // data-lab-pending counts those not drawn yet (what a test waits on, and a screen reader's
  // aria-busy).
  const pending = (delta) => {
    gd.labPending = (gd.labPending || 0) + delta;
    gd.dataset.labPending = String(gd.labPending);
    gd.setAttribute('aria-busy', gd.labPending > 0 ? 'true' : 'false');
  };
  pending(+1);
  gd.labDrawn = (gd.labDrawn || Promise.resolve())
    .then(() => draw(gd, figure, data))
    .catch((error) => { gd.textContent = 'This chart could not be drawn: ' + error.message; })
    .finally(() => pending(-1));
}
"""
# The mode bar (the two download buttons) exists only while a pointer hovers the chart, as
# plotly shows it: not there, a keyboard's Tab stopped on two buttons it could not see (plotly
# hides them by opacity), and a screen reader found them inside the chart's image
# (role="img", whose parts are presentational: axe's nested-interactive).
_CSS = """.lab-chart { width: 100%; }
.lab-chart .modebar-container { display: none; }
.lab-chart:hover .modebar-container { display: block; }"""


# The partial bundle's own version and trace types (its README, npm plotly.js-cartesian-dist-min).
# To update with plotly: `npm pack plotly.js-cartesian-dist-min@<plotly.offline.
# get_plotlyjs_version()>` and copy its plotly-cartesian.min.js here under the new name; a test
# checks the version, and one in Chromium that every trace type the figures use is registered.
PLOTLY_JS_VERSION = "4.1.1"
PLOTLY_JS = STATIC / f"plotly-cartesian-{PLOTLY_JS_VERSION}.min.js"
BUNDLED_TRACES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)


def plotly_js_url(base_path: str = "") -> str:
    """Where the browser fetches the charts' plotly.js, under ``base_path`` (Streamlit's
    ``server.baseUrlPath``): Streamlit serves ``static/`` at ``/app/static/``."""
    base = base_path.strip("/")
    return "/".join(["", *([base] if base else []), "app", "static", PLOTLY_JS.name])


def _plotly_url() -> str:
    return plotly_js_url(st.get_option("server.baseUrlPath"))


_component = st.components.v2.component(
    "softmax_lab.live_chart", html=_HTML, css=_CSS, js=_JS, isolate_styles=False
)


def draw(
    spec: dict | Serialised,
    *,
    key: str,
    container: DeltaGenerator | None = None,
    on_click: Callable[[], None] | None = None,
) -> None:
    """Draw ``spec`` under ``key``, updating the chart drawn under that key before.

    ``spec`` may be serialised already (:func:`ui.figures.serialise`: a live room's chart,
    one JSON for all its followers). ``on_click`` is Streamlit's callback for a click on a
    data point; the point's row (its ``customdata``) is then the key's ``point`` value in
    the session state."""
    figure = spec if isinstance(spec, Serialised) else serialise(spec)
    payload = {
        "figure": figure.json,
        "plotly": _plotly_url(),
        "clicks": on_click is not None,
        "name": image_name(key),
    }
    height = figure.height
    callbacks = {} if on_click is None else {"on_point_change": on_click}
    with container or contextlib.nullcontext():
        _component(key=key, data=payload, height=height, **callbacks)


def image_name(key: str) -> str:
    """The file name (without extension) of a chart's PNG and SVG downloads: the key's, as
    in ``softmax-lab-train-loss_chart``."""
    return "softmax-lab-" + key.removeprefix("w.").replace(".", "-")
