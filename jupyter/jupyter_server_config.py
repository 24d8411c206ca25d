# JupyterLab as `make lab` serves the course (graders/notebook/lab_server.py puts this folder on
# JUPYTER_CONFIG_PATH, so nothing in the learner's home is changed; their own ~/.jupyter settings
# still apply on top). The course folder is the server's root, given on the command line.
from pathlib import Path

from jupyter_server.services.contents.manager import ContentsManager

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# The URL `make lab` prints and the browser opens: the set-up notebook, in the course folder.
c.LabApp.default_url = "/lab/tree/notebooks/00-setup.ipynb"

# One entry per notebook in the file browser: the py:percent text twins (notebooks/NN-name.py,
# the reviewed source) are hidden; jupytext's pairing (notebooks/jupytext.toml) still writes them
# when the learner saves the notebook. Jupyter's own patterns are kept.
c.ContentsManager.hide_globs = [*ContentsManager.hide_globs.default(), "[0-9][0-9]-*.py"]

# overrides.json there: JupyterLab settings defaults (no "Jupyter news" prompt, no update check).
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent / "lab" / "settings")
