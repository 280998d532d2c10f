"""gunicorn settings for the Home Visit Toolkit on a 2-core machine behind a TLS proxy."""

import multiprocessing
import os

bind = os.environ.get("HOMEVISIT_BIND", "127.0.0.1:8000")
# SQLite allows one writer at a time: a few processes with a few threads each keep both cores busy
# without queueing writers behind each other for long.
workers = int(os.environ.get("HOMEVISIT_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("HOMEVISIT_THREADS", 4))
worker_class = "gthread"
# A signed PDF record renders in well under a second; 30 s bounds a stuck request without cutting a batch short.
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("HOMEVISIT_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
