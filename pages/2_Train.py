"""Train: step gradient descent one iteration at a time and watch it reach scikit-learn's fit."""

from ui import page, training

page.run("Train", training.area, summary_in_fragment=True)
