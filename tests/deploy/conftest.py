"""Fixtures for the deployment tests: Chromium from tests/browser/conftest.py, replicas and nginx from
deploy/local.py (a replica here must be killable, so it is started there rather than by streamlit_server())."""

from tests.browser.conftest import browser  # noqa: F401 (re-exported fixture)
