"""Jupyter server settings for grading this course in the formgrader.

Start the server from the repo root with the venv active, so that the formgrader reads
nbgrader_config.py (it reads it from the directory the server starts in):

    jupyter lab --config=jupyter_server_config.py

then open Nbgrader > Formgrader in JupyterLab, or the printed URL with /formgrader in
place of /lab. nbgrader's formgrader pages set the login cookie without a path, so the
browser would send it only to the page that set it: a formgrader page opened straight
from the tokened URL then stays at "Loading, please wait..." (its API calls are
redirected to the login page). The cookie below is valid for the whole server.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

# Under JupyterHub the hub's own login applies and this setting is not used.
c.IdentityProvider.cookie_options = {"path": os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")}

# Every formgrader page carries a Content-Security-Policy header (script by hash only; a
# submission's own files sandboxed): autograder/grading/formgrader_csp.py.
c.ServerApp.jpserver_extensions.update({"autograder.grading.formgrader_csp": True})
