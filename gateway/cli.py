"""`lngate` command line: serve, and wallet / token administration on the configured database
(safe while the server runs: SQLite serializes the writers)."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from typing import Any

from .config import Settings, load_settings
from .errors import LngateError
from .keys import ALBY_SCOPES, KEY_KINDS


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML settings file (see config.example.toml)")
    p.add_argument("--database", help="database URL, e.g. sqlite:///./data/lngate.db")
    p.add_argument("--backend", choices=["sim", "cln"], help="Lightning backend")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="lngate", description="Multi-dialect Lightning API gateway")
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP server")
    _common(serve)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--cln-rpc", dest="cln_rpc", help="path of lightningd's lightning-rpc")

    wallet = sub.add_parser("wallet", help="create and inspect wallets").add_subparsers(
        dest="action", required=True)
    create = wallet.add_parser("create", help="create a wallet and print its keys once")
    _common(create)
    create.add_argument("--name", required=True)
    create.add_argument("--user", help="existing user id (default: a new user)")
    create.add_argument("--fund-sat", type=int, default=0,
                        help="credit this many sats from the simulated network (sim only)")
    create.add_argument("--json", action="store_true", help="print one JSON object")
    lst = wallet.add_parser("list", help="list wallets")
    _common(lst)
    lst.add_argument("--json", action="store_true")
    show = wallet.add_parser("show", help="show one wallet")
    _common(show)
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    token = sub.add_parser("token", help="Alby API tokens").add_subparsers(dest="action",
                                                                          required=True)
    tcreate = token.add_parser("create", help="mint a bearer token for one wallet")
    _common(tcreate)
    tcreate.add_argument("--wallet", required=True)
    tcreate.add_argument("--scopes", default=" ".join(sorted(ALBY_SCOPES)),
                         help="space- or comma-separated scopes (default: all)")
    tcreate.add_argument("--json", action="store_true")
    trevoke = token.add_parser("revoke", help="revoke a token by its id")
    _common(trevoke)
    trevoke.add_argument("id")
    trevoke.add_argument("--json", action="store_true")
    tlist = token.add_parser("list", help="list a wallet's credentials (ids and kinds, no keys)")
    _common(tlist)
    tlist.add_argument("--wallet", required=True)
    tlist.add_argument("--json", action="store_true")
    key = sub.add_parser("key", help="keys issued elsewhere").add_subparsers(dest="action",
                                                                          required=True)
    kimport = key.add_parser(
        "import", help="register an existing key, read from standard input (only its hash is "
                       "kept), e.g. a legacy LNPay wa_/wi_/wr_ key as lnpay_waka/waki/wakr")
    _common(kimport)
    kimport.add_argument("--kind", required=True, choices=sorted(KEY_KINDS))
    owner = kimport.add_mutually_exclusive_group(required=True)
    owner.add_argument("--wallet", help="wallet id, for wallet keys")
    owner.add_argument("--user", help="user id, for account keys (lnpay_sak, lnpay_pak)")
    kimport.add_argument("--json", action="store_true")
    return root


def _settings(args: argparse.Namespace) -> Settings:
    keys = ("host", "port", "database", "backend", "cln_rpc")
    return load_settings(args.config, {k: getattr(args, k, None) for k in keys})


def wallet_json(created) -> dict[str, Any]:
    k = created.keys
    w = created.wallet
    return {
        "id": w.id, "user": created.user.id, "name": w.name, "balance_msat": w.balance_msat,
        "lnbits": {"admin_key": k["lnbits_admin"], "invoice_key": k["lnbits_invoice"]},
        "lnpay": {"wallet_id": w.lnpay_id, "admin_key": k["lnpay_waka"],
                  "invoice_key": k["lnpay_waki"], "read_key": k["lnpay_wakr"],
                  "lnurl_withdraw_key": k["lnpay_waklw"], "secret_key": k["lnpay_sak"],
                  "public_key": k["lnpay_pak"]},
        "alby": {"token": k["alby_token"], "token_id": created.credentials["alby_token"].id},
    }


def _wallet_dict(w) -> dict[str, Any]:
    return {"id": w.id, "user": w.user_id, "name": w.name, "lnpay_wallet_id": w.lnpay_id,
            "balance_msat": w.balance_msat, "created_at": w.created_at}


async def _admin(args: argparse.Namespace) -> Any:
    from .app import make_gateway

    gw = make_gateway(_settings(args))
    await gw.open()
    try:
        if args.command == "wallet" and args.action == "create":
            created = await gw.create_wallet(args.name, user_id=args.user)
            if args.fund_sat:
                await gw.fund_wallet(created.wallet.id, args.fund_sat * 1000)
                created = dataclasses.replace(created,
                                              wallet=await gw.get_wallet(created.wallet.id))
            return wallet_json(created)
        if args.command == "wallet" and args.action == "list":
            return [_wallet_dict(w) for w in await gw.list_wallets()]
        if args.command == "wallet" and args.action == "show":
            return _wallet_dict(await gw.get_wallet(args.id))
        if args.command == "token" and args.action == "create":
            scopes = [s for s in args.scopes.replace(",", " ").split() if s]
            unknown = set(scopes) - ALBY_SCOPES
            if unknown:
                raise LngateError(f"unknown scope(s): {', '.join(sorted(unknown))}")
            if not scopes:  # a token without scopes would open nothing
                raise LngateError("give at least one scope: " + " ".join(sorted(ALBY_SCOPES)))
            wallet = await gw.get_wallet(args.wallet)
            minted = await gw.mint_key("alby_token", user_id=wallet.user_id,
                                       wallet_id=wallet.id, perms=scopes)
            return {"id": minted.credential.id, "wallet": wallet.id, "token": minted.secret,
                    "scopes": sorted(scopes)}
        if args.command == "key" and args.action == "import":
            secret = sys.stdin.readline().strip()
            cred = await gw.import_key(args.kind, secret, user_id=args.user or "",
                                       wallet_id=args.wallet)
            return {"id": cred.id, "kind": cred.kind, "wallet": cred.wallet_id,
                    "user": cred.user_id, "perms": sorted(cred.perms)}
        if args.command == "token" and args.action == "revoke":
            await gw.revoke_key(args.id)
            return {"id": args.id, "revoked": True}
        if args.command == "token" and args.action == "list":
            await gw.get_wallet(args.wallet)  # an unknown wallet is an error, not an empty list
            return [{"id": c.id, "kind": c.kind, "perms": sorted(c.perms), "revoked": c.revoked}
                    for c in await gw.list_credentials(wallet_id=args.wallet)]
    finally:
        await gw.stop()
    raise AssertionError("unreachable")


def _print(result: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    rows = result if isinstance(result, list) else [result]
    for row in rows:
        print(json.dumps(row, indent=2))


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import build_app
    from .logs import configure

    settings = _settings(args)
    configure(settings.log_level, settings.log_format)
    app = build_app(settings)
    print(f"lngate listening on http://{settings.host}:{settings.port} "
          f"(backend {settings.backend}, database {settings.database})", flush=True)
    print("create a wallet: lngate wallet create --name NAME --fund-sat 100000 --json",
          flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning",
                access_log=False)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        serve(args)
        return 0
    from .logs import configure

    configure("warning")
    try:
        result = asyncio.run(_admin(args))
    except (LngateError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _print(result, getattr(args, "json", False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
