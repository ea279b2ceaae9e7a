"""What each page computes with the engine: one module per page (``lessons/<page>.py``), torch + numpy only.

Never imports streamlit or plotly; returns small dataclasses that the views in ``ui/`` draw. Shared by several
pages: ``facts`` (each fact demonstrated once), ``sources`` (input sequences), ``weight_files`` (state_dict files),
``tasks`` (the toy training tasks).
"""
