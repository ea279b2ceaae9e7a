# LSTM Explorer: one Streamlit replica (CPU torch). Build: docker build -t lstm-explorer .
# Run: docker run -p 8501:8501 lstm-explorer ; several replicas behind nginx: deploy/compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The CPU wheel of torch: PyPI's default torch wheel for Linux pulls several GB of CUDA libraries.
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install -r requirements.txt

RUN useradd --create-home --uid 10001 app
COPY --chown=app:app app.py ./
COPY --chown=app:app lstm_core/ lstm_core/
COPY --chown=app:app lessons/ lessons/
COPY --chown=app:app ui/ ui/
COPY --chown=app:app pages/ pages/
COPY --chown=app:app assets/ assets/
COPY --chown=app:app .streamlit/ .streamlit/
USER app

EXPOSE 8501
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).status != 200)"
CMD ["streamlit", "run", "app.py", "--server.headless", "true", "--server.port", "8501", \
     "--server.address", "0.0.0.0", "--browser.gatherUsageStats", "false", \
     "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
