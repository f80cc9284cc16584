"""Airflow example: run newsbeam on Dataflow every night over one day's window.

Needs apache-airflow-providers-apache-beam and -google. The day is Airflow's logical date (``ds``,
the day the interval covers), passed as --run_date: it picks that day's WARC files through the
{yyyymmdd} placeholder and keeps that day's stories, so a rerun of one night ingests the same
window, and the cross-run dedup writes nothing twice (each run adds its own runs row).
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
            # {yyyy}, {mm}, {yyyymmdd} are newsbeam's placeholders, filled from run_date.
            "input": "warc:gs://MY_BUCKET/cc-news/{yyyy}/{mm}/CC-NEWS-{yyyymmdd}*.warc.gz",
            "output": "gs://MY_BUCKET/news",
            "run_date": "{{ ds }}",
            "run_id": "nightly-{{ ds_nodash }}",
            "shards_per_partition": "8",
            "setup_file": "/opt/newsbeam/setup.py",
            "temp_location": "gs://MY_BUCKET/tmp",
        },
        dataflow_config=DataflowConfiguration(
            job_name="newsbeam-{{ ds_nodash }}", project_id="MY_PROJECT", location="europe-west1"
        ),
    )
