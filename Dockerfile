# The one image docker-compose.yaml runs: the official Airflow image, the project's pinned requirements.txt
# (Amazon provider, xgboost, moto, ...) and the local SageMaker-compatible service. DAGs, include/ and
# plugins/ are not baked in: compose bind-mounts them, so edits show up without a rebuild.
#
# The tag must name the apache-airflow version pinned in requirements.txt and the Python version the lock
# was compiled for (`uv pip compile ... --python-version 3.11`); tests/unit/test_compose_file.py checks both.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

# requirements.txt is a complete lock, so it is the constraint set: Airflow's own constraints file pins
# other versions of the same packages and pip would refuse the pair. Naming the image's Airflow version
# as well makes pip fail, instead of replacing Airflow, should the lock and the base image ever disagree.
# Installed as the image's `airflow` user, as the image's documentation asks.
COPY requirements.txt /opt/project/requirements.txt
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/project/requirements.txt

# The service runs from its source, on PYTHONPATH; its job workers (forked from its fork server)
# inherit the variable. Its state lives on a volume mounted at /var/lib/local-sagemaker: the directory
# is made here, group 0 writable, so the volume starts with permissions any AIRFLOW_UID (GID 0) can use.
COPY local_sagemaker /opt/local-sagemaker/local_sagemaker
ENV PYTHONPATH=/opt/local-sagemaker
USER root
RUN mkdir -p /var/lib/local-sagemaker \
    && chown airflow:0 /var/lib/local-sagemaker \
    && chmod 2775 /var/lib/local-sagemaker
USER airflow

# Fail the build, not the first DAG run, when a package the jobs need is missing. (Importing airflow here
# would write a generated airflow.cfg, with its secrets, into the image: check the distribution instead.)
RUN python -c "import importlib.metadata as m; m.version('apache-airflow-providers-amazon'); m.version('apache-airflow-providers-celery')" \
    && python -c "import xgboost, sklearn, optuna, moto.server, local_sagemaker.app"
