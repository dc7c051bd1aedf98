"""prism-python-kv: keyvalue_basic and keyvalue_scan in Python, a fixture of prism-suite.

It walks the path of a plugin author who does not write Rust: stubs generated from the repository's
protos (`scripts/setup-python.sh`), the plugin protocol by hand (`docs/interfaces.md`), and one
registry file (`suites/tests/fixtures/python/python_kv.yaml`).

The plugin protocol:
- listen on PRISM_PLUGIN_ADDR (`127.0.0.1:<port>`); PRISM_BACKEND_URL is not needed here;
- serve `grpc.health.v1.Health`, SERVING for "" (what the harness asks) and for each service;
- every request carries `namespace`: keep namespaces apart;
- stop on SIGTERM (the harness sends SIGKILL 1.5 s later).

PRISM_PYTHON_KV_CRASH=get makes Get print a line on stdout and abort the process: the crashing
variant that proves a failure shows the plugin's last line.
"""

import os
import signal
import sys
import threading
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from prism.interfaces.keyvalue import keyvalue_basic_pb2 as basic
from prism.interfaces.keyvalue import keyvalue_basic_pb2_grpc as basic_grpc
from prism.interfaces.keyvalue import keyvalue_scan_pb2 as scan
from prism.interfaces.keyvalue import keyvalue_scan_pb2_grpc as scan_grpc

NAME = "prism-python-kv"
# The suites send 1 MiB values; gRPC's default limit is 4 MiB.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class Store:
    """Values by namespace, then key; one lock, since gRPC runs handlers on a thread pool."""

    def __init__(self):
        self.lock = threading.Lock()
        self.spaces = {}

    def space(self, namespace):
        return self.spaces.setdefault(namespace, {})

    def under(self, namespace, prefix, limit):
        """(key, value) pairs whose key starts with `prefix` (literally), in byte order of the key."""
        with self.lock:
            items = [(k, v) for k, v in self.space(namespace).items() if k.startswith(prefix)]
        # str order is code point order, which is the byte order of UTF-8.
        items.sort(key=lambda kv: kv[0])
        return items[:limit] if limit > 0 else items


def require_key(key, context):
    if not key:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "key must not be empty")


class KeyValueBasic(basic_grpc.KeyValueBasicInterfaceServicer):
    def __init__(self, store):
        self.store = store

    def Set(self, request, context):
        require_key(request.key, context)
        with self.store.lock:
            self.store.space(request.namespace)[request.key] = request.value
        return basic.SetResponse()

    def Get(self, request, context):
        if os.environ.get("PRISM_PYTHON_KV_CRASH") == "get":
            # No flush on purpose: a block-buffered stdout loses this line unless the harness reads
            # the plugin through a pseudo-terminal.
            print(f"{NAME}: crashing on Get of {request.key!r}")
            os.abort()
        require_key(request.key, context)
        with self.store.lock:
            value = self.store.space(request.namespace).get(request.key)
        if value is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"key {request.key!r} not found")
        return basic.GetResponse(value=value)

    def Delete(self, request, context):
        require_key(request.key, context)
        with self.store.lock:
            found = self.store.space(request.namespace).pop(request.key, None) is not None
        return basic.DeleteResponse(found=found)

    def Exists(self, request, context):
        require_key(request.key, context)
        with self.store.lock:
            exists = request.key in self.store.space(request.namespace)
        return basic.ExistsResponse(exists=exists)


class KeyValueScan(scan_grpc.KeyValueScanInterfaceServicer):
    def __init__(self, store):
        self.store = store

    def Scan(self, request, context):
        for key, value in self.store.under(request.namespace, request.prefix, request.limit):
            yield scan.ScanItem(key=key, value=value)

    def ScanKeys(self, request, context):
        for key, _ in self.store.under(request.namespace, request.prefix, request.limit):
            yield scan.ScanKeyItem(key=key)

    def Count(self, request, context):
        return scan.CountResponse(count=len(self.store.under(request.namespace, request.prefix, 0)))


def main():
    addr = os.environ.get("PRISM_PLUGIN_ADDR")
    if not addr:
        print(f"{NAME}: PRISM_PLUGIN_ADDR is not set; expected e.g. 127.0.0.1:4567", file=sys.stderr)
        return 2
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        # One port per plugin: never share it with a stale process.
        ("grpc.so_reuseport", 0),
    ]
    # The suites run many cases at once (100 concurrent Sets in one of them).
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32), options=options)
    store = Store()
    basic_grpc.add_KeyValueBasicInterfaceServicer_to_server(KeyValueBasic(store), server)
    scan_grpc.add_KeyValueScanInterfaceServicer_to_server(KeyValueScan(store), server)
    services = [
        basic.DESCRIPTOR.services_by_name["KeyValueBasicInterface"].full_name,
        scan.DESCRIPTOR.services_by_name["KeyValueScanInterface"].full_name,
    ]
    status = health.HealthServicer()
    for service in [""] + services:
        status.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(status, server)
    if server.add_insecure_port(addr) == 0:
        print(f"{NAME}: cannot listen on {addr}", file=sys.stderr)
        return 1
    server.start()
    print(f"{NAME} listening on {addr}, serving {', '.join(services)}", flush=True)

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop(grace=1).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
