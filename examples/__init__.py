"""The sample values of the demo (sample_values.csv), shipped as package data.

pyproject.toml installs this folder as `indicator_kit.examples`, so `indicator-kit demo` from an
installed wheel fills the returns with the same values as from the checkout (`simulate.
sample_values`). This file only makes the folder a regular package, which editable installs need
to find it; build_sample.py, which writes the CSV, is a script run from the checkout.
"""
