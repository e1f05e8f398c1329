"""The default campaign (Phụ lục 2 of Công văn 2830/VP-TH), shipped as package data.

pyproject.toml installs this folder as `indicator_kit.default_campaign`; `indicator_kit.workspace`
reads it with importlib.resources and `indicator-kit init` copies it into a new workspace. This
file only makes the folder a regular package, which editable installs need to find it.
"""
