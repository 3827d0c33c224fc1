"""Reading many payments: the list, the paginated list, history and stats."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from gateway.models import Payment
from gateway.service import Gateway

from . import auth
from .errors import FieldError, validation_error
from .fields import query_int
from .routing import endpoint, json
from .views import payment_json

STATUSES = ("success", "pending", "failed")
# Filters LNbits accepts as `field=value` / `field[eq]=value` beside status; compared on the
# Payment object as LNbits returns it.
FILTERABLE = {"memo", "payment_hash", "checking_id", "tag", "external_id", "preimage", "amount",
              "fee", "wallet_id", "bolt11"}
GROUPS = {"hour": "%Y-%m-%dT%H:00:00+00:00", "day": "%Y-%m-%dT00:00:00+00:00",
          "month": "%Y-%m-01T00:00:00+00:00"}
COUNT_BY = ("status", "tag", "extension", "wallet_id")


def _filters(request: Request) -> tuple[list[str] | None, dict[str, tuple[str, str]]]:
    """(statuses asked for or None, other field filters {field: (op, value)})."""
    statuses: list[str] | None = None
    others: dict[str, tuple[str, str]] = {}
    for key, value in request.query_params.multi_items():
        name, _, op = key.partition("[")
        op = op.rstrip("]") or "eq"
        if name == "status":
            asked = value.split(",") if op == "in" else [value]
            if op == "ne":
                asked = [s for s in STATUSES if s != value]
            # LNbits ignores values that do not validate
            asked = [s for s in asked if s in STATUSES]
            if asked:
                statuses = asked if statuses is None else [s for s in statuses if s in asked]
        elif name in FILTERABLE and op in ("eq", "ne"):
            others[name] = (op, value)
    return statuses, others


def _keep(obj: dict[str, Any], others: dict[str, tuple[str, str]]) -> bool:
    for name, (op, value) in others.items():
        equal = str(obj.get(name)) == value
        if equal != (op == "eq"):
            return False
    return True


async def _page(gw: Gateway, request: Request, wallet_id: str, allowed: tuple[str, ...]
                ) -> tuple[list[dict[str, Any]], int]:
    limit = query_int(request, "limit")
    offset = query_int(request, "offset") or 0
    newest_first = request.query_params.get("direction", "desc").lower() != "asc"
    statuses, others = _filters(request)
    statuses = [s for s in (statuses or allowed) if s in allowed]
    if not statuses:
        return [], 0
    if not others:  # push everything down to the core
        rows = await gw.list_payments(wallet_id, statuses=statuses, limit=limit, offset=offset,
                                      newest_first=newest_first)
        total = await gw.count_payments(wallet_id, statuses=statuses)
        return [payment_json(p) for p in rows], total
    matching = [o for o in map(payment_json, await gw.list_payments(
        wallet_id, statuses=statuses, newest_first=newest_first)) if _keep(o, others)]
    end = None if limit is None else offset + limit
    return matching[offset:end], len(matching)


def _bucket(ts: int, fmt: str) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime(fmt)


def _fee(p: Payment) -> int:
    return p.fee_msat if p.is_out else 0


def routes(gw: Gateway, prefix: str) -> list[Route]:
    base = f"{prefix}/payments"

    async def settled(wallet_id: str) -> list[Payment]:
        return await gw.list_payments(wallet_id, statuses=["success"], newest_first=False)

    @endpoint
    async def list_payments(request: Request):
        cred = await auth.invoice_key(gw, request)
        # LNbits never lists failed payments here, whatever the filter says.
        rows, _ = await _page(gw, request, cred.wallet_id, ("success", "pending"))
        return json(rows)

    @endpoint
    async def paginated(request: Request):
        cred = await auth.invoice_key(gw, request)
        rows, total = await _page(gw, request, cred.wallet_id, STATUSES)
        return json({"data": rows, "total": total})

    @endpoint
    async def history(request: Request):
        cred = await auth.invoice_key(gw, request)
        group = request.query_params.get("group", "day")
        if group not in GROUPS:
            raise validation_error(["query", "group"], FieldError(
                "unexpected value; permitted: 'hour', 'day', 'month'", "value_error.const",
                {"given": group, "permitted": list(GROUPS)}))
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for p in await settled(cred.wallet_id):
            point = sums[_bucket(p.created_at, GROUPS[group])]
            if p.is_out:
                point[1] += p.amount_msat + p.fee_msat
            else:
                point[0] += p.amount_msat
        balance = (await gw.get_wallet(cred.wallet_id)).balance_msat
        points = []
        for date in sorted(sums, reverse=True):  # newest first, balance at the period's end
            income, spending = sums[date]
            points.append({"date": date, "income": income, "spending": spending,
                           "balance": balance})
            balance -= income - spending
        return json(points)

    @endpoint
    async def stats_count(request: Request):
        cred = await auth.invoice_key(gw, request)
        count_by = request.query_params.get("count_by", "status")
        if count_by not in COUNT_BY:
            raise validation_error(["query", "count_by"], FieldError(
                f"unexpected value; permitted: {', '.join(repr(c) for c in COUNT_BY)}",
                "value_error.const", {"given": count_by, "permitted": list(COUNT_BY)}))
        counts: dict[Any, int] = defaultdict(int)
        for p in await gw.list_payments(cred.wallet_id, newest_first=False):
            counts[payment_json(p).get(count_by)] += 1
        # LNbits' {"field","total"} and the newer docs' {"<count_by>","count"} together
        return json([{"field": k, "total": n, count_by: k, "count": n}
                     for k, n in sorted(counts.items(), key=lambda kv: -kv[1])])

    @endpoint
    async def stats_wallets(request: Request):
        cred = await auth.invoice_key(gw, request)
        # An admin key speaks for its owner's wallets; an invoice key only for its own.
        wallets = (await gw.list_wallets(cred.user_id) if auth.is_admin(cred)
                   else [await gw.get_wallet(cred.wallet_id)])
        stats = []
        for w in wallets:
            payments = await settled(w.id)
            income = sum(p.amount_msat for p in payments if not p.is_out)
            spending = sum(p.amount_msat + p.fee_msat for p in payments if p.is_out)
            stats.append({"wallet_id": w.id, "wallet_name": w.name, "user_id": w.user_id,
                          "payments_count": len(payments), "payment_count": len(payments),
                          "balance": w.balance_msat, "total_income": income,
                          "total_spending": spending})
        return json(stats)

    @endpoint
    async def stats_daily(request: Request):
        cred = await auth.invoice_key(gw, request)
        days: dict[str, dict[str, int]] = {}
        for p in await settled(cred.wallet_id):
            day = days.setdefault(_bucket(p.created_at, "%Y-%m-%dT00:00:00+00:00"), defaultdict(int))
            side = "out" if p.is_out else "in"
            day[f"balance_{side}"] += p.amount_msat
            day[f"count_{side}"] += 1
            day["fee"] += _fee(p)
        balance = 0
        rows = []
        for date in sorted(days):
            d = days[date]
            balance += d["balance_in"] - d["balance_out"] - d["fee"]
            count = d["count_in"] + d["count_out"]
            rows.append({"date": date, "balance": balance, "balance_in": d["balance_in"],
                         "balance_out": d["balance_out"], "payments_count": count,
                         "count_in": d["count_in"], "count_out": d["count_out"],
                         "fee": d["fee"], "count": count,
                         "total": d["balance_in"] + d["balance_out"]})
        return json(rows)

    @endpoint
    async def stats_breakdown(request: Request):
        cred = await auth.invoice_key(gw, request)
        tags: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        for p in await settled(cred.wallet_id):
            entry = tags[payment_json(p)["tag"]]
            entry[0] += 1
            entry[1] += p.signed_amount_msat
        return json([{"tag": tag, "is_fiat": False, "payments_count": n, "total": total}
                     for tag, (n, total) in tags.items()])

    return [
        Route(base, list_payments, methods=["GET"]),
        Route(f"{base}/paginated", paginated, methods=["GET"]),
        Route(f"{base}/history", history, methods=["GET"]),
        Route(f"{base}/stats/count", stats_count, methods=["GET"]),
        Route(f"{base}/stats/wallets", stats_wallets, methods=["GET"]),
        Route(f"{base}/stats/daily", stats_daily, methods=["GET"]),
        Route(f"{base}/stats/breakdown", stats_breakdown, methods=["GET"]),
    ]
