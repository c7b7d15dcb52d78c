"""gunicorn's settings wherever the portal runs under it (the Docker image, docker compose, the
benchmarks): gunicorn reads ``gunicorn.conf.py`` from its working directory by itself, and
command-line options still win.

The access log leaves out query strings and the Referer header: a consumer's one-time status
sign-in link carries its token in the query (``?t=…``), and the Referer of the page it opens
carries it again (same-origin referrers are sent whole). Whoever can read the server's log must
not be able to sign in as the consumer (SECURITY.md).
"""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
