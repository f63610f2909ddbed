"""Jupyter server extension: a Content-Security-Policy header on every HTML response
under `/formgrader/` (autograder/grading/csp.py says which). Enabled by the course's
jupyter_server_config.py (`c.ServerApp.jpserver_extensions`)."""

from __future__ import annotations

from tornado.web import OutputTransform

from autograder.grading import csp


class FormgraderCSP(OutputTransform):
    """Adds the policy header to the formgrader's HTML responses (before compression)."""

    base_url = "/"

    def __init__(self, request):
        self.request = request
        self.formgrader = request.path.startswith(f"{self.base_url}formgrader")

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        kind = headers.get("Content-Type", "")
        if self.formgrader and kind.startswith("text/html"):
            headers["Content-Security-Policy"] = csp.formgrader_header(
                self.request.path, self.base_url, self.request.host, chunk)
        return status_code, headers, chunk


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "autograder.grading.formgrader_csp"}]


def _load_jupyter_server_extension(serverapp) -> None:
    FormgraderCSP.base_url = serverapp.web_app.settings.get("base_url", "/")
    # First, so that it sees the page before gzip does.
    serverapp.web_app.transforms.insert(0, FormgraderCSP)
    serverapp.log.info("formgrader pages carry a Content-Security-Policy (autograder)")
