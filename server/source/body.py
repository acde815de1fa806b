"""Read a request body straight from the ASGI receive channel.

Must never: buffer more than asked (small forms are capped; uploads are
yielded chunk by chunk to the ingest pipeline and never held here).
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import Receive


class ClientGone(Exception):
    """The browser disconnected mid-request (Tor circuits do)."""


class FormTooLarge(Exception):
    pass


class BodyReader:
    """Async iterator over body chunks; remembers whether it reached the end."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.done = False

    def __aiter__(self) -> BodyReader:
        return self

    async def __anext__(self) -> bytes:
        if self.done:
            raise StopAsyncIteration
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.done = True
            raise ClientGone
        self.done = not message.get("more_body", False)
        body: bytes = message.get("body", b"")
        return body

    async def drain(self, limit: int) -> bool:
        """Discard the rest of a refused body so the browser sees our page.

        Returns False if more than `limit` bytes remained (the connection is
        then closed instead: a browser may show a connection error).
        """
        seen = 0
        try:
            async for chunk in self:
                seen += len(chunk)
                if seen > limit:
                    return False
        except ClientGone:
            return False
        return True


async def read_small_form(receive: Receive, limit: int = 16 * 1024) -> dict[str, str]:
    """An urlencoded form of at most `limit` bytes, first value per name."""
    reader = BodyReader(receive)
    data = b""
    async for chunk in reader:
        data += chunk
        if len(data) > limit:
            raise FormTooLarge
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    parsed = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in parsed.items()}
