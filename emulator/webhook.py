"""A stand-in for a Slack incoming webhook: a real HTTP server on this machine's loopback.

It records every payload posted to it and answers as scripted, one reply per request: a status and
body (Slack answers 200 `ok`, 404 `no_service`, 500 …), a Retry-After header (429), or a delay
longer than the client's timeout. When the script runs out it answers `otherwise` (200 `ok` unless
told). Its URL has a secret-looking path, like a real webhook's, so tests can check it never leaks.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    retry_after: int | None = None
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class Post:
    payload: Any  # the JSON body, or the raw text when it was not JSON
    reply: Reply

    @property
    def accepted(self) -> bool:
        """Answered 2xx at once. (A delayed answer counts as lost: scripts delay past the client's timeout.)"""
        return 200 <= self.reply.status < 300 and not self.reply.delay_seconds


@dataclass
class _Script:
    replies: deque[Reply]
    otherwise: Reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> Reply:
        with self.lock:
            return self.replies.popleft() if self.replies else self.otherwise


class SlackWebhookStandIn:
    """Use as a context manager: the server runs (in a thread) inside the `with` block."""

    def __init__(self, replies: Iterable[Reply] = (), *, otherwise: Reply | None = None) -> None:
        self._script = _Script(deque(replies), otherwise or Reply())
        self._posts: list[Post] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self.path = f"/services/T0LOCAL/B0LOCAL/{secrets.token_hex(12)}"

    @property
    def url(self) -> str:
        """The webhook's URL (the secret a user stores), once started; still known after it stopped."""
        if self._url is None:
            raise RuntimeError("start the stand-in first (use it in a `with` block)")
        return self._url

    @property
    def posts(self) -> list[Post]:
        """Every request that reached the server, in order, with the reply it was given."""
        with self._lock:
            return list(self._posts)

    @property
    def delivered(self) -> list[Any]:
        """The payloads Slack would have shown: those answered with a 2xx in time."""
        return [post.payload for post in self.posts if post.accepted]

    def reply_with(self, *replies: Reply, otherwise: Reply | None = None) -> None:
        """Scripts the next replies (and, optionally, the one after the script runs out)."""
        with self._script.lock:
            self._script.replies.extend(replies)
            if otherwise is not None:
                self._script.otherwise = otherwise

    def __enter__(self) -> SlackWebhookStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server looks for
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                reply = stand_in._script.next() if self.path == stand_in.path else _NO_SERVICE
                try:
                    payload: Any = json.loads(body)
                except ValueError:
                    payload = body
                stand_in._record(Post(payload, reply))
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                answer = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(answer)))
                    if reply.retry_after is not None:
                        self.send_header("Retry-After", str(reply.retry_after))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the client gave up waiting (a scripted delay): nobody to answer

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test and demo output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._url = f"http://{host!s}:{port}{self.path}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="slack-webhook", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def _record(self, post: Post) -> None:
        with self._lock:
            self._posts.append(post)


# What Slack answers a webhook URL that does not exist (or was revoked).
_NO_SERVICE = Reply(status=404, body="no_service")
