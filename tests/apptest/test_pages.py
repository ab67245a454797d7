"""Every page renders by link, in 1-D and 2-D, with finite charts; the home page and the
sidebar; a ValueError from the core becomes a message on the page, never a traceback."""

import numpy as np
import pytest

import ui.views

from .conftest import (
    COMPARE,
    DATA,
    GUARD,
    HOME,
    LESSONS_PAGE,
    MATH,
    PAGE_NAMES,
    PAGES,
    STEP10,
    TITLES,
    TRAIN,
    chart_data,
    chart_subtitle,
    chart_title,
    charts,
    check_consistency,
    click,
    dashed,
    go,
    open_app,
    plain_text_of,
    texts,
    title,
)

CHARTS = {
    HOME: {"w.home.thumbnail"},
    DATA: {"w.data.chart"},
    TRAIN: {"w.train.model_chart", "w.train.loss_chart"},
    COMPARE: {"w.compare.chart", "w.compare.loss_chart", "w.compare.path_chart"},
    MATH: {"w.math.temperature"},
    LESSONS_PAGE: {"w.train.model_chart", "w.train.loss_chart"},
}
LINKS = {
    "1d": {},
    "2d": {"kind": "blobs", "k": "4"},
    "2d-2-classes": {"kind": "blobs", "k": "2", "n": "10"},
    "1d-10-classes-trained": {"k": "10", "n": "500", "lr": "auto", "iter": "50"},
}


@pytest.mark.parametrize("query", LINKS.values(), ids=LINKS.keys())
@pytest.mark.parametrize("page", PAGES, ids=PAGE_NAMES)
def test_every_page_renders_by_link(page, query):
    at = open_app(query, page)
    assert title(at) == TITLES[page]
    found = charts(at)
    assert set(found) == CHARTS[page]
    # Only the Data page takes files, one at a time: a CSV (or text) file of at most 1 MB,
    # and a saved run (JSON) of at most 2 MB.
    uploaders = at.get("file_uploader")
    assert [(list(u.proto.type), u.proto.max_upload_size_mb) for u in uploaders] == (
        [([".csv", ".txt"], 1), ([".json"], 2)] if page == DATA else []
    )
    assert not any(uploader.proto.multiple_files for uploader in uploaders)
    for figure in found.values():
        assert chart_title(figure) and figure["data"]
    if page == MATH:
        assert len(at.latex) >= 12
    check_consistency(at)  # also: no exception, no NaN or infinity in any chart


def test_every_page_after_training_names_the_iteration():
    at = open_app(page=TRAIN)
    click(at, STEP10)
    for page in (DATA, COMPARE, MATH, HOME, LESSONS_PAGE, TRAIN):
        go(at, page)
        check_consistency(at)


def test_home_thumbnail_is_the_optimum_on_scikit_learns_curves():
    at = open_app()
    figure = chart_data(at, "w.home.thumbnail")
    label = "scikit-learn, same objective (C = ∞)"
    assert f"dashed: {label}" in chart_subtitle(figure)
    solid = [t for t in figure["data"] if t.get("line", {}).get("dash") == "solid"]
    assert [t["name"] for t in dashed(figure)] == [f"{label}: P(class {k})" for k in range(3)]
    for ours, theirs in zip(solid, dashed(figure), strict=True):
        np.testing.assert_allclose(ours["y"], theirs["y"], atol=1e-5)
    assert np.column_stack([t["y"] for t in solid]).max() > 0.8
    links = {link.proto.page for link in at.main.get("page_link")}
    assert links == {"Data", "Train", "Compare", "Math", "Lessons"}


def test_sidebar_links_every_page_by_name():
    at = open_app()
    links = at.sidebar.get("page_link")
    assert [link.proto.label for link in links] == [*PAGE_NAMES, "Live"]
    assert [link.proto.page for link in links] == ["", *PAGE_NAMES[1:], "Live"]  # Home: root


# A function of ui.views each page calls, made to raise the core's ValueError.
FAILING = [
    (HOME, "model_figure"),
    (DATA, "class_counts"),
    (TRAIN, "loss_figure"),
    (COMPARE, "model_figure"),
    (MATH, "trace_point"),
    (LESSONS_PAGE, "loss_figure"),
]


@pytest.mark.parametrize(("page", "name"), FAILING, ids=[p for p, _ in FAILING])
def test_a_value_error_from_the_core_becomes_a_message(monkeypatch, page, name):
    def refuse(*args, **kwargs):
        raise ValueError("X must hold finite values [x = inf]")

    monkeypatch.setattr(ui.views, name, refuse)
    at = open_app(page=page)  # open_app asserts: no exception
    shown = [plain_text_of(text) for text in texts(at, "error")]
    assert shown == [f"{GUARD}: X must hold finite values [x = inf]"]
    assert title(at) == TITLES[page]
