"""Network stand-ins for the keep-alive tests of lockcli (imported by test_lockcli and
test_security; not a test module itself).

TcpProxy        a TCP proxy in front of a real server: counts the connections lockcli
                opens and can close them all (as a server's idle timeout or a restart
                would), or go away and come back on the same port (a restart); as a
                node of a cluster, it can die once an answer starts to come back
FaultServer     an XML-RPC server answering every call with one fault (fault 11
                NO_LEADER: a cluster node cut off from the majority)
ScriptedServer  a fake XML-RPC server speaking HTTP/1.1 keep-alive that does with each
                request what a script says: answer, close without answering, answer
                in part, answer late or never
HolderServer    a fake lockserver that grants every ticket at once and answers lock.check
                as told (a revocation): for what lockcli does with an answer, not
                for what a server does
"""

import socket
import socketserver
import struct
import threading
import time
import urllib.parse
import xmlrpc.client
import xmlrpc.server


def wait_close_seen(lock, timeout=5.0):
    """Waits, at most ``timeout`` s, until every idle connection of the lockcli.Lock ``lock``
    can see that the far end closed it, so that its next call finds it closed before sending."""
    import lockcli.pool  # the test modules put lockcli on sys.path before they import this one
    deadline = time.monotonic() + timeout
    while not all(lockcli.pool._has_input(c.sock) for c in lock._servers.transports[0]._pool._idle if c.sock is not None):
        if time.monotonic() > deadline:
            raise AssertionError("the close did not reach lockcli within %s s" % timeout)
        time.sleep(0.01)


def _shut(sock, close=True):
    """Shut both directions of ``sock`` (the peer sees the close at once), then close it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    if close:
        sock.close()


class TcpProxy(object):
    """A TCP proxy on 127.0.0.1 in front of ``upstream_url``'s host and port.

    ``url``: the upstream URL with the proxy's address in it. ``accepted``: connections
    accepted so far; ``ended_by_client``: connections the client side closed;
    ``to_server``: bytes passed on to the server.
    """

    def __init__(self, upstream_url, port=0):
        parts = urllib.parse.urlsplit(upstream_url)
        self.upstream = (parts.hostname, parts.port)
        self.accepted = 0
        self.ended_by_client = 0
        self.to_server = 0
        self._die_on_answer = False
        self._pairs = []
        self._mutex = threading.Lock()
        self._stopped = threading.Event()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.url = urllib.parse.urlunsplit((parts.scheme, "127.0.0.1:%d" % self.port, parts.path, "", ""))
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self):
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._mutex:
                self.accepted += 1
                self._pairs.append((client, upstream))
            for src, dst, from_client in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(src, dst, from_client), daemon=True).start()

    def _pump(self, src, dst, from_client):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    if from_client:
                        with self._mutex:
                            self.ended_by_client += 1
                    break
                if not from_client and self._dying():
                    self.close()        # the answer is lost with the node
                    return
                dst.sendall(data)
                if from_client:
                    with self._mutex:
                        self.to_server += len(data)
        except OSError:
            pass
        for s in (src, dst):
            _shut(s, close=False)  # the other pump thread may still be reading it

    def die_on_next_answer(self):
        """When the server's next answer starts to come back, drop it and close (stop
        listening, close every connection): a node that dies after running a call."""
        with self._mutex:
            self._die_on_answer = True

    def _dying(self):
        with self._mutex:
            dying, self._die_on_answer = self._die_on_answer, False
            return dying

    def count(self):
        with self._mutex:
            return self.accepted

    def drop(self):
        """Close every connection, on both sides: lockcli sees the server close them."""
        with self._mutex:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                _shut(s)

    def close(self):
        """Stop listening and close every connection (the port is free again)."""
        self._stopped.set()
        self._thread.join(5)
        self._listener.close()
        self.drop()


def _read_request(f):
    """(method name, params) of one HTTP request read from file ``f``; None at EOF."""
    line = f.readline()
    if not line:
        return None
    length = 0
    while True:
        header = f.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    params, method = xmlrpc.client.loads(f.read(length))
    return method, params


def _answer(value):
    body = xmlrpc.client.dumps((value,), methodresponse=True).encode("utf-8")
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n" % len(body)) + body


class ScriptedServer(object):
    """A fake lockserver: ``script[n]`` says what to do with the n-th request (0-based;
    "answer" past the end of the script):

      "answer"        answer and keep the connection open
      "answer+close"  answer, then close the connection: the idle close of a server
      "close"         read the request whole, then close without a byte of answer
      "partial"       read the request, send the start of an answer, reset the connection
      "hang"          read the request and never answer (the connection stays open)
      ("late", s)     read the request, answer after s seconds

    Answers: lock.query -> "ticket-N", lock.check -> {"state": "queued", "n": N, ...},
    anything else -> True. ``requests``: (connection number, N, method) of each request
    read; ``connections``: connections accepted.
    """

    def __init__(self, script=()):
        self.script = list(script)
        self.requests = []
        self.connections = 0
        self._mutex = threading.Lock()
        self._stopped = threading.Event()
        self._open = []
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.url = "http://127.0.0.1:%d/RPC2" % self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def methods(self):
        with self._mutex:
            return [r[2] for r in self.requests]

    def _accept_loop(self):
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._mutex:
                self.connections += 1
                number = self.connections
                self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn, number):
        f = conn.makefile("rb")
        try:
            while True:
                request = _read_request(f)
                if request is None:
                    return
                method, params = request
                with self._mutex:
                    n = len(self.requests)
                    self.requests.append((number, n, method))
                action = self.script[n] if n < len(self.script) else "answer"
                if method == "lock.query":
                    value = "ticket-%d" % n
                elif method == "lock.check":
                    value = {"ticket": params[0], "state": "queued", "position": 1, "n": n}
                else:
                    value = True
                if action == "close":
                    return
                if action == "partial":
                    conn.sendall(b"HTTP/1.1 200 OK\r\n")
                    time.sleep(0.3)             # read by the client by now; then a reset
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    conn.close()
                    return
                if action == "hang":
                    self._stopped.wait()
                    return
                if isinstance(action, tuple) and action[0] == "late":
                    time.sleep(action[1])
                conn.sendall(_answer(value))
                if action == "answer+close":
                    return
        except OSError:
            pass
        finally:
            f.close()
            _shut(conn)

    def close(self):
        self._stopped.set()
        self._thread.join(5)
        self._listener.close()
        with self._mutex:
            conns, self._open = self._open, []
        for conn in conns:
            _shut(conn)


class _QuietHandler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    def log_message(self, *args):
        pass


class FaultServer(object):
    """An XML-RPC server on 127.0.0.1 answering every call with fault ``code``; ``calls``:
    the methods called, in order."""

    def __init__(self, code, message="no leader: this node cannot reach a majority of the cluster"):
        self.calls = []
        outer = self

        class Server(socketserver.ThreadingMixIn, xmlrpc.server.SimpleXMLRPCServer):
            daemon_threads = True

            def _dispatch(self, method, params):
                outer.calls.append(method)
                raise xmlrpc.client.Fault(int(code), message)

        self._server = Server(("127.0.0.1", 0), requestHandler=_QuietHandler, logRequests=False)
        self.url = "http://127.0.0.1:%d/RPC2" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


class HolderServer(object):
    """A fake lockserver on 127.0.0.1: lock.query answers a new ticket (32 hex digits),
    lock.wait True, lock.check a granted struct plus ``extra`` (a dict, changed at will:
    e.g. ``revoke`` and ``revoke_in``), lock.renew and lock.release True. ``calls``: the
    (method, params) of each call, in order."""

    def __init__(self):
        self.calls = []
        self.extra = {}
        self._mutex = threading.Lock()
        outer = self

        class Server(socketserver.ThreadingMixIn, xmlrpc.server.SimpleXMLRPCServer):
            daemon_threads = True

            def _dispatch(self, method, params):
                return outer._answer(method, params)

        self._server = Server(("127.0.0.1", 0), requestHandler=_QuietHandler, logRequests=False)
        self.url = "http://127.0.0.1:%d/RPC2" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def _answer(self, method, params):
        with self._mutex:
            self.calls.append((method, list(params)))
            n = len(self.calls)
            extra = dict(self.extra)
        if method == "lock.query":
            return "%032x" % n
        if method == "lock.check":
            st = {"ticket": params[0], "lock": "L", "state": "granted", "position": 0, "token": "1",
                  "info": "", "held": 0.0, "left": 60.0}
            st.update(extra)
            return st
        return True

    def methods(self):
        with self._mutex:
            return [m for m, _ in self.calls]

    def params(self, method):
        """The params of each call of ``method``, in order."""
        with self._mutex:
            return [p for m, p in self.calls if m == method]

    def close(self):
        self._server.shutdown()
        self._server.server_close()
