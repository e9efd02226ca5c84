"""The bot in a terminal: the same conversation as on Telegram, buttons shown as numbered choices.

Type a message (a multi-line paste counts as one message), a /command, a number to press a button,
`/photo PATH` to check a screenshot, `/quit` (or Ctrl-D) to leave.
"""

from __future__ import annotations

import select
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.app import App
from handlers.incoming import Button, Incoming, Reply

PASTE_WAIT = 0.05  # a paste arrives as several lines at once; lines closer than this are one message
QUIT = frozenset({"/quit", "/exit"})


class Console:
    def __init__(self, app: App, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                 user_id: str = "local") -> None:
        self.app = app
        self.stdin = stdin
        self.stdout = stdout
        self.user_id = user_id
        self.buttons: list[Button] = []
        self.interactive = stdin.isatty()

    def run(self) -> int:
        self._send(Incoming("console", self.user_id, command="start"))
        self._print("（输入消息让我检查；输入数字选择按钮；/photo 图片路径 识别截图；/help 帮助；/quit 退出）")
        while True:
            if self.interactive:
                self.stdout.write("\n> ")
                self.stdout.flush()
            line = self._read_message()
            if line is None or line.strip() in QUIT:
                self._print("再见，遇到可疑消息随时来问。")
                return 0
            inc = self._incoming(line)
            if inc is not None:
                self._send(inc)

    def _read_message(self) -> str | None:
        line = self.stdin.readline()
        if not line:
            return None
        lines = [line.rstrip("\n")]
        while self.interactive and select.select([self.stdin], [], [], PASTE_WAIT)[0]:
            more = self.stdin.readline()
            if not more:
                break
            lines.append(more.rstrip("\n"))
        return "\n".join(lines)

    def _incoming(self, line: str) -> Incoming | None:
        s = line.strip()
        if s.isdigit() and 1 <= int(s) <= len(self.buttons):  # other numbers are text (an amount, a code)
            return Incoming("console", self.user_id, callback=self.buttons[int(s) - 1].data)
        if s.startswith("/photo") or s.startswith("/image"):
            return self._photo(s.partition(" ")[2].strip())
        if s.startswith("/") and "\n" not in s:
            cmd, _, args = s[1:].partition(" ")
            return Incoming("console", self.user_id, command=cmd.lower(), args=args.strip())
        return Incoming("console", self.user_id, text=line)

    def _photo(self, path: str) -> Incoming | None:
        m = self.app.detector.kb.messages
        if self.app.ocr is None:
            self._print(m.ocr_disabled)
            return None
        p = Path(path).expanduser()
        if not path or not p.is_file():
            self._print("找不到这个图片文件，请检查路径。例如：/photo ~/截图.png")
            return None
        self._print(m.ocr_holding)
        text = self.app.ocr.read(p.read_bytes())
        if not text:
            return Incoming("console", self.user_id, image_unreadable=True)
        return Incoming("console", self.user_id, text=text, from_image=True)

    def _send(self, inc: Incoming) -> None:
        self._show(self.app.conversation.handle(inc))

    def _show(self, replies: list[Reply]) -> None:
        if replies:
            self.buttons = []
        for r in replies:
            if r.chat_id is not None:  # a notification for someone else: show it, it is not for us
                self._print(f"（通知 → {r.chat_id}）{r.text}")
                continue
            self._print(r.text)
            if r.image is not None:
                with tempfile.NamedTemporaryFile("wb", suffix=".png", prefix="fangzha-", delete=False) as fh:
                    fh.write(r.image)
                self._print(f"（图片已保存：{fh.name}）")
            if r.buttons:
                self.buttons = [b for row in r.buttons for b in row]
                self._print("  ".join(f"[{i}] {b.label}" for i, b in enumerate(self.buttons, 1)))

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()
