"""gunicorn settings for the Home Visit Toolkit on a 2-core machine behind a TLS proxy."""

import multiprocessing
import os

bind = os.environ.get("HOMEVISIT_BIND", "127.0.0.1:8000")
# Submits are CPU-bound Python: single-threaded worker processes (four per core) share the cores more
# evenly than threads behind one GIL. Measured with bench/load.py on 2 cores, 20 submitters flat out:
# 8 x 1 gave 290 submits/s, p95 160 ms, p99 300 ms; 4 x 4 gave 270-297/s, p95 160-220 ms, p99 450-600 ms.
workers = int(os.environ.get("HOMEVISIT_WORKERS", multiprocessing.cpu_count() * 4))
threads = int(os.environ.get("HOMEVISIT_THREADS", 1))
worker_class = "gthread"
# A signed PDF record renders in well under a second; 30 s bounds a stuck request without cutting a batch short.
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
forwarded_allow_ips = os.environ.get("HOMEVISIT_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
# The path without its query string: the caseload search (?q=) carries children's names and NHS numbers,
# which must not end up in logs kept outside the audited database. %(M)s is the time taken in ms.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms pid=%(p)s'
# Heartbeat files on a RAM filesystem, not the disk the database's fsyncs wait on.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# The pid file lets `flask --app app restore` see that the service is running on this instance.
_instance = os.environ.get("HOMEVISIT_INSTANCE_PATH") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance")
pidfile = os.environ.get("HOMEVISIT_PIDFILE") or os.path.join(_instance, "gunicorn.pid")
errorlog = "-"
# gunicorn 27's control socket defaults to one path per Unix user ($HOME/.gunicorn/gunicorn.ctl): a second
# instance on the host would take it over, and anything running as the service user could resize or stop
# the service through it. Nothing here uses it.
control_socket_disable = True
