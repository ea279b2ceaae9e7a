# LSTM Explorer: one Streamlit replica (CPU torch). Build: docker build -t lstm-explorer .
# Run: docker run -p 8501:8501 lstm-explorer ; several replicas behind nginx: deploy/compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Dependencies first (their layer is reused while only the code changes), read from pyproject.toml, the one
# declaration. torch from PyTorch's CPU index: PyPI's default torch wheel for Linux pulls GBs of CUDA libraries.
COPY pyproject.toml .
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --index-url https://download.pytorch.org/whl/cpu "$(grep '^torch==' /tmp/requirements.txt)" \
    && pip install -r /tmp/requirements.txt

# The app itself, installed as a wheel (the layout pyproject.toml describes); the engine is plain torch, nothing
# to compile. The server runs as an unprivileged user.
COPY app.py ./
COPY lstm_core/ lstm_core/
COPY lessons/ lessons/
COPY ui/ ui/
COPY pages/ pages/
COPY assets/ assets/
COPY lstm_explorer/ lstm_explorer/
COPY .streamlit/ .streamlit/
RUN pip install --no-deps . && rm -rf /src
RUN useradd --create-home --uid 10001 app
USER app
WORKDIR /home/app

EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).status != 200)"
CMD ["lstm-explorer", "--server.headless", "true", "--server.port", "8501", \
     "--server.address", "0.0.0.0", "--browser.gatherUsageStats", "false", \
     "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
