"""Train: step gradient descent one iteration at a time and watch it reach scikit-learn's fit."""

from ui import page, training

page.run("Train", lambda slot: training.area(slot, page_title="Train"), summary_in_fragment=True)
