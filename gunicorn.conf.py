"""gunicorn settings for the Home Visit Toolkit on a 2-core machine behind a TLS proxy."""

import multiprocessing
import os

bind = os.environ.get("HOMEVISIT_BIND", "127.0.0.1:8000")
# Submits are CPU-bound Python: single-threaded sync workers, two per core. A sync worker takes one request
# at a time from the shared listening socket, so requests go to whichever worker is free. (gthread workers
# keep each client's connection alive in the worker that first accepted it: under load one worker ended up
# with most connections and ran at 100% of a core while the others idled.) Sync workers rely on the proxy in
# front to buffer slow clients, as nginx and Caddy do by default (see the README).
# Measured with bench/load.py on 2 cores, 20 submitters flat out for 30-60 s (with the writers' file lock in
# homevisit/data/store.py): sync 2 per core 340-350 submits/s, p95 73 ms, p99 90 ms; sync 4 per core 300-330/s,
# p95 96-120 ms; sync 1 per core 363/s, p95 73 ms, p99 140 ms, but one PDF render would then hold half the
# service; gthread 4 per core x 1 thread 264-293/s, p95 120 ms, p99 280-300 ms.
workers = int(os.environ.get("HOMEVISIT_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("HOMEVISIT_THREADS", 1))  # above 1, gunicorn uses gthread workers instead
worker_class = os.environ.get("HOMEVISIT_WORKER_CLASS", "sync")
# A signed PDF record renders and signs in about 0.3 s and an XLSX export of 100,000 visits streams in about
# 11 s; 30 s bounds a stuck request. (Batch printing runs in a background thread, outside the timeout.)
timeout = 30
graceful_timeout = 20
# A worker is replaced after this many requests (bounding any slow growth of its memory). A new worker costs
# about 1.5 s of CPU (imports, the app, the rules) and a stall of up to 2 s for the requests it took: at 5,000
# requests, 20 submitters flat out replaced each worker every 50 s, and bench/load.py's 60 s soak measured
# 350-364 submits/s with a 2 s maximum; at 50,000 it measured 410-412 submits/s, p95 65-67 ms (issue 16).
max_requests = 50000
max_requests_jitter = 5000
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
