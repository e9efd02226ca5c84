"""The WeChat Official Account (公众号) callback protocol: signatures, safe-mode crypto, XML in and out.

Plain mode: signature = SHA1 of the sorted (token, timestamp, nonce). Safe mode (安全模式, when an AES key is
set): msg_signature = SHA1 of the sorted (token, timestamp, nonce, Encrypt); the payload is AES-256-CBC with
IV = key[:16], PKCS#7 to 32 bytes, plaintext = 16 random bytes + 4-byte length + message + AppID.
XML is parsed with defusedxml (no DTDs, no entities) and only after the signature has been checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

from defusedxml import ElementTree

MAX_XML_BYTES = 64_000


class WeChatError(ValueError):
    """A request to refuse with 4xx; the message says why (for the log, not the caller)."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(token: str, sig: str, timestamp: str, nonce: str, *extra: str) -> bool:
    if not (token and sig and timestamp and nonce):
        return False
    return hmac.compare_digest(signature(token, timestamp, nonce, *extra), sig.lower())


def parse_xml(body: bytes) -> dict[str, str]:
    if len(body) > MAX_XML_BYTES:
        raise WeChatError("XML too large")
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception as exc:  # defusedxml raises several kinds for hostile or broken XML
        raise WeChatError(f"bad XML: {type(exc).__name__}") from None
    if root.tag != "xml":
        raise WeChatError("not a WeChat message")
    return {child.tag: (child.text or "") for child in root}


def reply_xml(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    created = now or int(time.time())
    return (f"<xml><ToUserName><![CDATA[{_cdata(to_user)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{_cdata(from_user)}]]></FromUserName><CreateTime>{created}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{_cdata(content)}]]></Content></xml>")


def _cdata(s: str) -> str:
    return s.replace("]]>", "]]]]><![CDATA[>")


@dataclass(frozen=True)
class Crypto:
    token: str
    aes_key: str  # the 43-character EncodingAESKey from the console
    appid: str

    @property
    def key(self) -> bytes:
        key = base64.b64decode(self.aes_key + "=")
        if len(key) != 32:
            raise WeChatError("WECHAT_AES_KEY must be the 43-character EncodingAESKey")
        return key

    def decrypt(self, encrypted: str) -> bytes:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        try:
            data = base64.b64decode(encrypted)
            dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
            plain = dec.update(data) + dec.finalize()
            pad = plain[-1]
            if not 1 <= pad <= 32:
                raise WeChatError("bad padding")
            plain = plain[:-pad]
            (length,) = struct.unpack(">I", plain[16:20])
            msg, appid = plain[20 : 20 + length], plain[20 + length :]
        except WeChatError:
            raise
        except Exception:
            raise WeChatError("cannot decrypt") from None
        if appid.decode(errors="replace") != self.appid:
            raise WeChatError("message for another AppID")
        return msg

    def encrypt(self, msg: str, nonce: str, timestamp: str | None = None) -> str:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        raw = msg.encode()
        plain = os.urandom(16) + struct.pack(">I", len(raw)) + raw + self.appid.encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        encrypted = base64.b64encode(enc.update(plain) + enc.finalize()).decode()
        ts = timestamp or str(int(time.time()))
        sig = signature(self.token, ts, nonce, encrypted)
        return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{sig}]]></MsgSignature>"
                f"<TimeStamp>{escape(ts)}</TimeStamp><Nonce><![CDATA[{_cdata(nonce)}]]></Nonce></xml>")
