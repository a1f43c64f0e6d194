"""A bank's link tracker, served at ``GET /linktracker/api/clicks?link=…``: the click counts of tracked links.

Not a public platform: a stand-in for the bank's own short-link or analytics service that the
`link_tracker` setting of a channel names (publish/adapters/linktracker.py), so the WeCom push's
clicks are tested end to end. It takes ``Authorization: Bearer <token>`` (missing: 401; the token
"wrong": 401) and answers ``{"link", "clicks"}``. A link is known from the first time it is asked
about (as a tracker knows a link from when the post that carries it was made); its clicks grow
from then with the audience's clock (sandbox/growth.py), a few per hundred people reached.
Faults "500" and "429" apply as to any platform's numbers.
"""

from __future__ import annotations

from typing import ClassVar

from mediactl.sandbox import growth
from mediactl.sandbox.core import Bounded, Core, Ctx, Platform, Reply, Request, Route

MAX_LINK = 2048


class LinkTracker(Platform):
    name = "linktracker"
    routes: ClassVar[tuple[Route, ...]] = (Route("GET", "/api/clicks", "clicks", needs_token=False, numbers=True),)
    SHARE: ClassVar[dict[str, float]] = {"clicks": 0.07}  # of the people a link reached (sandbox/growth.py)

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self._born = Bounded()  # link → first asked about, on the audience's clock

    def error(self, req: Request, code: int, message: str, status: int = 200) -> Reply:
        return Reply(status if status != 200 else 400, {"error": message})

    def clicks(self, req: Request, ctx: Ctx) -> Reply:
        bearer = req.headers.get("authorization", "")
        if not bearer.startswith("Bearer ") or bearer == "Bearer wrong" or not bearer[7:].strip():
            return Reply(401, {"error": "a valid token is needed: Authorization: Bearer <token>"})
        link = req.query.get("link", "")
        if not link or len(link) > MAX_LINK:
            return Reply(400, {"error": f"give the tracked link as ?link= (at most {MAX_LINK} characters)"})
        now = self.core.audience_time()
        born = self._born.get(link)
        if born is None:
            self._born[link] = born = now
        ctx.summary = {"link": link[:200]}
        return Reply(200, {"link": link, **growth.counts(link, now - born, self.SHARE)})
