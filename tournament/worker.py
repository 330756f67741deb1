"""``python -m tournament.worker FD HEARTBEAT_FD``: a local tournament worker (``tournament.backends``)."""

from tournament.backends import worker_main

if __name__ == "__main__":
    worker_main()
