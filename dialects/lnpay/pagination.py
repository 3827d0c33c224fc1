"""Yii's REST pagination: `page` (1-based, clamped to the last page), `per-page` (or
`page-size`) clamped to [1, 500], and the X-Pagination-* headers the npm `lnpay` client reads."""
from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from .errors import bad_request

MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    offset: int
    size: int
    headers: dict[str, str]


def _int_param(request: Request, *names: str) -> int | None:
    for name in names:
        raw = request.query_params.get(name)
        if raw is not None and raw.strip() != "":
            try:
                return int(raw)
            except ValueError:
                raise bad_request(f"{name} must be an integer.") from None
    return None


def paginate(request: Request, total: int, default_size: int) -> Page:
    size = _int_param(request, "per-page", "page-size")
    size = default_size if size is None else min(max(size, 1), MAX_PAGE_SIZE)
    page_count = (total + size - 1) // size
    page = (_int_param(request, "page") or 1) - 1
    page = max(0, min(page, page_count - 1))
    headers = {
        "X-Pagination-Total-Count": str(total),
        "X-Pagination-Page-Count": str(page_count),
        "X-Pagination-Current-Page": str(page + 1),
        "X-Pagination-Per-Page": str(size),
    }
    base = str(request.url.remove_query_params(["page"]))
    sep = "&" if "?" in base else "?"
    links = [f"<{base}{sep}page={page + 1}>; rel=self"]
    if page > 0:
        links.append(f"<{base}{sep}page=1>; rel=first")
        links.append(f"<{base}{sep}page={page}>; rel=prev")
    if page + 1 < page_count:
        links.append(f"<{base}{sep}page={page + 2}>; rel=next")
        links.append(f"<{base}{sep}page={page_count}>; rel=last")
    headers["Link"] = ", ".join(links)
    return Page(offset=page * size, size=size, headers=headers)
