"""A small HTTP server on 127.0.0.1 for the fetch tests (started and stopped by the test).

``Server(files)`` serves ``files`` ({url path: bytes}) from a thread on an ephemeral
port of 127.0.0.1 (nothing else is ever contacted).  ``server.url`` is
``http://127.0.0.1:PORT``.  ``server.stall[path] = n`` makes the server send the
headers and the first n bytes of that file, then hold the connection open without
sending more until ``stop()`` (an interrupted download).  ``server.requests`` lists the
paths asked for.  Use as a context manager, or call ``stop()``.
"""
import http.server
import socketserver
import threading


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server.owner
        path = self.path.split("?", 1)[0]
        srv.requests.append(path)
        data = srv.files.get(path)
        if data is None:
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        stall = srv.stall.get(path)
        if stall is None:
            self.wfile.write(data)
            return
        self.wfile.write(data[:stall])
        self.wfile.flush()
        srv.stalled.set()
        srv.release.wait(600)  # bounded: never longer than a test may run


class _TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server:
    def __init__(self, files=None):
        self.files = dict(files or {})
        self.stall = {}
        self.requests = []
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.httpd = _TCPServer(("127.0.0.1", 0), _Handler)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
