"""Every page renders, with a title and its charts; the home page's thumbnail and links."""

import numpy as np
import pytest

from .conftest import (
    COMPARE,
    DATA,
    MATH,
    TRAIN,
    assert_charts_finite,
    chart_data,
    charts,
    click,
    go,
    open_app,
    run_of,
    url,
)

PAGES = [
    # page, title, chart keys
    (DATA, "Data", {"w.data.chart"}),
    (TRAIN, "Train", {"w.train.model_chart", "w.train.loss_chart"}),
    (COMPARE, "Compare with scikit-learn", {"w.compare.chart", "w.compare.loss_chart"}),
    (MATH, "The math behind each step", set()),
]


def test_home_renders_title_thumbnail_and_links(home):
    assert [t.value for t in home.title] == ["Softmax Lab"]
    assert set(charts(home)) == {"w.home.thumbnail"}
    assert_charts_finite(home)
    figure = chart_data(home, "w.home.thumbnail")
    names = [t["name"] for t in figure["data"]]
    # 1-D seed data: a solid scratch curve and a dashed scikit-learn curve per class.
    assert [n for n in names if n.startswith("from scratch")] == [
        f"from scratch: P(class {k})" for k in range(3)
    ]
    assert [n for n in names if n.startswith("scikit-learn")] == [
        f"scikit-learn: P(class {k})" for k in range(3)
    ]
    assert "scikit-learn (dashed)" in figure["layout"]["title"]["text"]
    assert any("iteration 0" in c.value for c in home.caption)
    # Links name the page's URL path: the script's name without the number prefix.
    links = {link.proto.page for link in home.main.get("page_link")}
    assert links == {"Data", "Train", "Compare", "Math"}


def test_home_thumbnail_is_trained_to_convergence(home):
    """The thumbnail's curves are confident somewhere: it shows a trained model, not zeros."""
    figure = chart_data(home, "w.home.thumbnail")
    proba = np.column_stack([t["y"] for t in figure["data"][:6:2]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert proba.max() > 0.8


def test_home_blobs_thumbnail_shows_decision_regions():
    at = open_app({"kind": "blobs"})
    figure = chart_data(at, "w.home.thumbnail")
    assert figure["data"][0]["type"] == "image"
    assert "decision regions" in figure["layout"]["title"]["text"]
    assert_charts_finite(at)


@pytest.mark.parametrize(("page", "title", "keys"), PAGES, ids=["Data", "Train", "Compare", "Math"])
def test_page_renders(home, page, title, keys):
    go(home, page)
    assert [t.value for t in home.title] == [title]
    assert keys <= set(charts(home))
    assert_charts_finite(home)
    for figure in charts(home).values():
        assert figure["layout"]["title"]["text"]
        assert figure["data"]


def test_math_page_renders_latex(home):
    go(home, MATH)
    assert len(home.latex) >= 10


def test_every_page_after_training_and_back_home(home):
    go(home, TRAIN)
    click(home, "w.train.step10")
    for page, title, keys in PAGES:
        go(home, page)
        assert [t.value for t in home.title] == [title]
        assert keys <= set(charts(home))
        assert run_of(home).n_iter == 10
        assert url(home)["iter"] == "10"
    go(home, "app.py")
    assert any("iteration 10" in c.value for c in home.caption)


def test_sidebar_links_every_page(home):
    links = home.sidebar.get("page_link")
    assert [link.proto.label for link in links] == ["Home", "Data", "Train", "Compare", "Math"]
    assert [link.proto.page for link in links] == ["", "Data", "Train", "Compare", "Math"]
