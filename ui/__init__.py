"""Softmax Lab's app-side package: session state, page setup and figure builders."""
