"""LSTM Explorer as an installed program: ``lstm-explorer`` (lstm_explorer/cli.py) starts the web app."""
