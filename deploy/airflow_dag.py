"""Airflow example: run newsbeam on Dataflow every night over yesterday's window.

Needs apache-airflow-providers-apache-beam and -google. The window comes from Airflow's logical
date, so a rerun of one night ingests the same window, and the cross-run dedup writes nothing twice.
"""

import datetime as dt

from airflow import DAG
from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator
from airflow.providers.google.cloud.operators.dataflow import DataflowConfiguration

with DAG(
    dag_id="newsbeam_nightly",
    schedule="30 2 * * *",  # 02:30 UTC, after CC-NEWS has published the day's WARC files
    start_date=dt.datetime(2026, 11, 1),
    catchup=False,
    max_active_runs=1,  # one run at a time into one output folder
) as dag:
    BeamRunPythonPipelineOperator(
        task_id="ingest",
        runner="DataflowRunner",
        py_file="/opt/newsbeam/pipeline/flex_template.py",
        py_options=[],
        pipeline_options={
            "input": "warc:gs://MY_BUCKET/cc-news/{{ ds_nodash }}/*.warc.gz",
            "output": "gs://MY_BUCKET/news",
            "since": "{{ macros.ds_add(ds, -1) }}",
            "until": "{{ ds }}",
            "run_id": "nightly-{{ ds_nodash }}",
            "shards_per_partition": "8",
            "setup_file": "/opt/newsbeam/setup.py",
            "temp_location": "gs://MY_BUCKET/tmp",
        },
        dataflow_config=DataflowConfiguration(
            job_name="newsbeam-{{ ds_nodash }}", project_id="MY_PROJECT", location="europe-west1"
        ),
    )
