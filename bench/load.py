"""Load test of `main.py serve` on 127.0.0.1: concurrent clients on /api/check and /wechat.

  python -m bench.load [--clients 200] [--requests 2000] [--seconds 60]

Starts the real server in a subprocess (its own database), sends a bounded number of requests from
`--clients` concurrent connections, and reports throughput, p50/p99 latency, errors, and whether every report
sent through WeChat during the run was stored exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.tables import table

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "load-token"
TEXTS = ("【兼职】在家刷单，先垫付再返佣金，加V信领任务", "妈，我周六下午回家吃饭，帮我留点饺子。",
         "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查。",
         "【某银行】您尾号1234的卡支出500.00元。如非本人操作请致电95588。")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed() -> dict[str, str]:
    ts, nonce = str(int(time.time())), "n"
    return {"signature": hashlib.sha1("".join(sorted((TOKEN, ts, nonce))).encode()).hexdigest(),
            "timestamp": ts, "nonce": nonce}


def _wx(user: str, content: str) -> bytes:
    return (f"<xml><ToUserName>gh</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>text</MsgType><Content><![CDATA[{content}]]></Content></xml>").encode()


async def _client(base: str, i: int, queue: asyncio.Queue[int], lat: dict[str, list[float]], errors: list[str],
                  deadline: float) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < deadline:
            try:
                n = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t0 = time.perf_counter()
            try:
                if n % 2 == 0:
                    r = await client.post("/api/check", json={"text": TEXTS[n % len(TEXTS)]})
                    ok = r.status_code == 200 and "level" in r.json()
                    kind = "api"
                else:
                    r = await client.post("/wechat", params=_signed(), content=_wx(f"u{i}", TEXTS[n % len(TEXTS)]))
                    ok = r.status_code == 200 and b"<xml>" in r.content
                    kind = "wechat"
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                continue
            if not ok:
                errors.append(f"{kind} {r.status_code}")
            lat[kind].append((time.perf_counter() - t0) * 1000)
            timing = r.headers.get("server-timing", "")
            if "dur=" in timing:
                lat[f"{kind}_server"].append(float(timing.split("dur=")[1]))


async def _report_flow(base: str, users: int) -> int:
    """Each user files one report over WeChat (/report, text, answers); returns how many were confirmed."""
    done = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        answers = {"哪一类": "不清楚", "被骗走钱": "还没有", "什么时候": "今天", "联系您": "不同意"}

        async def one(u: int) -> bool:
            user = f"rep{u}"
            content = "/report"
            for _ in range(8):  # answer whatever the flow asks, as a citizen would
                r = await client.post("/wechat", params=_signed(), content=_wx(user, content))
                if r.status_code != 200:
                    return False
                if "举报编号" in r.text or "稍后自动登记" in r.text:
                    return True
                if "发给我" in r.text:
                    content = f"第{u}位居民被冒充客服骗了，对方电话1380000{u:04d}"
                else:
                    content = next((a for q, a in answers.items() if q in r.text), "取消")
            return False
        results = await asyncio.gather(*(one(u) for u in range(users)))
        done = sum(results)
    return done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--reports", type=int, default=100)
    args = ap.parse_args(argv)
    port = _port()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.db"
        env = {**os.environ, "FANGZHA_DB": str(db), "WECHAT_TOKEN": TOKEN, "FANGZHA_OCR": "off",
               "FANGZHA_API_RATE_PER_MINUTE": "1000000", "FANGZHA_RATE_BURST": "100000",
               "FANGZHA_RATE_PER_MINUTE": "100000", "TELEGRAM_BOT_TOKEN": ""}
        proc = subprocess.Popen([sys.executable, "main.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.25)
            else:
                raise SystemExit("server did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))
            for n in range(20):  # warm up (jieba's dictionary, the first model call) as a running server is
                httpx.post(f"{base}/api/check", json={"text": TEXTS[n % len(TEXTS)]}, timeout=30)
            queue: asyncio.Queue[int] = asyncio.Queue()
            for n in range(args.requests):
                queue.put_nowait(n)
            lat: dict[str, list[float]] = {"api": [], "wechat": [], "api_server": [], "wechat_server": []}
            errors: list[str] = []

            async def run() -> tuple[float, int]:
                t0 = time.perf_counter()
                deadline = time.monotonic() + args.seconds
                await asyncio.gather(*(_client(base, i, queue, lat, errors, deadline) for i in range(args.clients)))
                elapsed = time.perf_counter() - t0
                confirmed = await _report_flow(base, args.reports)
                return elapsed, confirmed

            elapsed, confirmed = asyncio.run(run())
        finally:
            proc.terminate()
            proc.wait(30)
        import sqlite3

        stored = sqlite3.connect(db).execute("SELECT COUNT(*), COUNT(DISTINCT text) FROM reports").fetchone()
    done = len(lat["api"]) + len(lat["wechat"])
    rows = [[f"{args.clients} clients, {done} requests", f"{done / elapsed:.0f} req/s"]]
    for kind in ("api", "wechat", "api_server", "wechat_server"):
        v = sorted(lat[kind])
        if v:
            path = "/api/check" if kind.startswith("api") else "/wechat"
            where = "inside the server" if kind.endswith("_server") else "seen by the client"
            rows.append([f"{path} p50 / p99 (ms), {where}",
                         f"{statistics.median(v):.0f} / {v[min(len(v) - 1, int(0.99 * len(v)))]:.0f}"])
    rows.append(["errors", str(len(errors)) + (f" ({', '.join(sorted(set(errors))[:5])})" if errors else "")])
    rows.append(["reports over WeChat: confirmed / stored / distinct", f"{confirmed} / {stored[0]} / {stored[1]}"])
    print(table(["server load (main.py serve on 127.0.0.1)", "value"], rows))
    return 0 if not errors and confirmed == stored[0] == stored[1] == args.reports else 1


if __name__ == "__main__":
    sys.exit(main())
