"""Deployment tests: replicas and nginx come from deploy/local.py (a replica here must be killable, so it is started
there rather than by streamlit_server()); Chromium is the one session-wide ``browser`` of tests/conftest.py."""
