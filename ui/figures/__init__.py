"""Pure figure builders: data in, ``go.Figure`` (or SVG text) out. Never imports streamlit."""
