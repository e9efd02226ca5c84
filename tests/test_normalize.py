from __future__ import annotations

import pytest

from classifiers.normalize import MAX_CHARS, Normalizer, cn_to_int


@pytest.fixture(scope="module")
def norm(kb) -> Normalizer:  # type: ignore[no-untyped-def]
    return Normalizer(kb.context.variants)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("刷*单返 利", "刷单返利"),
        ("刷🔥单", "刷单"),
        ("加V 信领取", "加微信领取"),
        ("加薇信", "加微信"),
        ("加扣扣", "加qq"),
        ("轉帳到帳戶", "转账到账户"),
        ("１２３ＡＢＣ", "123abc"),
        ("先交两万五保证金", "先交25000保证金"),
        ("一百八十八元", "188元"),
        ("刷\u200b单", "刷单"),
    ],
)
def test_normalisation_undoes_evasions(norm: Normalizer, raw: str, expected: str) -> None:
    assert norm(raw).text == expected


def test_words_that_look_like_numerals_are_kept(norm: Normalizer) -> None:
    assert norm("十分重要，一一对应").text == "十分重要一一对应"


def test_losses_keep_their_sign(norm: Normalizer) -> None:
    assert "-2.3%" in norm("收益率 -2.3%").text


@pytest.mark.parametrize(("s", "n"), [("三千", 3000), ("两万五", 25000), ("一百零八", 108), ("十五", 15),
                                      ("一亿两千万", 120_000_000), ("一一", None)])
def test_cn_to_int(s: str, n: int | None) -> None:
    assert cn_to_int(s) == n


def test_long_input_is_truncated_and_flagged(norm: Normalizer) -> None:
    out = norm("好" * (MAX_CHARS + 50))
    assert out.truncated and len(out.text) == MAX_CHARS


def test_lone_surrogates_and_controls_do_not_break(norm: Normalizer) -> None:
    out = norm("a\ud800b\x00c")
    assert "a" in out.text and "c" in out.text


def test_dialogue_turns_are_counted(norm: Normalizer) -> None:
    assert norm("甲：你好\n乙：你好\n甲：再见").turns == 3
    assert norm("你好，这是一条短信").turns == 0
