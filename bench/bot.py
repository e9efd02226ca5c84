"""End-to-end bot benchmark: the real Telegram Application polling a local Bot API stand-in on 127.0.0.1.

  python -m bench.bot [--n 400] [--latency-samples 100]

Prints reply latency p50/p99 (one message at a time: update queued → reply received by the Bot API) and the
sustained throughput when a burst of updates from many users arrives at once.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.botapi_standin import BotApiStandin, RunningBot, text_update
from bench.tables import table
from bot import config
from bot.app import build_app
from bot.telegram import build_application

MESSAGES = (
    "【兼职】在家动动手指，点赞一单返5元，先垫付再返本金加佣金，加V信领任务",
    "您好，我是市公安局民警，您的账户涉嫌洗钱，需要把资金转到安全账户接受审查，不要告诉家人。",
    "妈，我周六下午回家吃饭，帮我留点饺子。",
    "【某银行】您尾号1234的卡支出500.00元，余额3,210.00元。如非本人操作请致电95588。",
    "亲爱的，我发现一个平台有漏洞，充一万能提三万，我带你一起做，别告诉别人。",
    "您的快递丢失，我们三倍理赔，请下载会议软件开启屏幕共享配合操作。",
)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def measure(n: int, samples: int, rate_limit: bool) -> tuple[list[float], float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = dict(config.load())
        settings.update(FANGZHA_DB=str(Path(tmp) / "bench.db"), FANGZHA_OCR="off",
                        FANGZHA_RATE_BURST="100000", FANGZHA_RATE_PER_MINUTE="100000")
        app = build_app(settings)
        with BotApiStandin() as api:
            application = build_application(app, "1:BENCH", api.base_url, rate_limit=rate_limit)
            with RunningBot(api, application):
                lat: list[float] = []  # one update at a time: queued → reply received by the Bot API
                for i in range(samples):
                    uid = 10_000 + i
                    t0 = time.monotonic()
                    api.push(text_update(MESSAGES[i % len(MESSAGES)], uid, message_id=i + 1))
                    api.wait_for(lambda sent, uid=uid: any(c.get("chat_id") == uid for c in reversed(sent)))
                    lat.append((time.monotonic() - t0) * 1000)
                before = len(api.sent)  # a burst from many users at once
                t0 = time.monotonic()
                for i in range(n):
                    api.push(text_update(MESSAGES[i % len(MESSAGES)], 50_000 + i, message_id=i + 1))
                api.wait_for(lambda sent: len(sent) - before >= n, timeout=600)
                return lat, n / (time.monotonic() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=400, help="updates in the throughput burst")
    ap.add_argument("--latency-samples", type=int, default=100)
    args = ap.parse_args(argv)
    rows = []
    for rate_limit in (False, True):
        lat, per_s = measure(args.n, args.latency_samples, rate_limit)
        label = "with AIORateLimiter (production: Telegram allows ~30 msg/s)" if rate_limit else "bot alone"
        rows += [
            [f"{label}: reply latency p50 (ms)", f"{statistics.median(lat):.1f}"],
            [f"{label}: reply latency p99 (ms)", f"{pct(lat, 99):.1f}"],
            [f"{label}: burst of {args.n}, updates/s", f"{per_s:.0f}"],
        ]
    print(table(["bot end-to-end (Telegram Application ↔ local Bot API stand-in)", "value"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
