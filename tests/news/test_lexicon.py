"""The offline headline scorer on crafted headlines."""

from __future__ import annotations

import pytest

from app.news.lexicon import Lexicon, score_text, tokenize


@pytest.mark.parametrize(
    "headline",
    [
        "Bitcoin surges to an all-time high as ETF inflows jump",
        "SEC approves spot ether ETFs",
        "Solana rallies after Visa partnership",
        "BTC rebounds strongly as buyers return",
        "Analysts upgrade Coinbase, see profitable quarter",
    ],
)
def test_good_news_scores_positive(headline: str) -> None:
    assert 0.3 < score_text(headline) <= 1.0


@pytest.mark.parametrize(
    "headline",
    [
        "Bitcoin crashes 15% as liquidations mount",
        "Exchange hacked, $200 million stolen",
        "Regulators ban crypto lending; token plunges",
        "Ether slumps to a record low amid recession fears",
        "Miner files for bankruptcy after losses",
    ],
)
def test_bad_news_scores_negative(headline: str) -> None:
    assert -1.0 <= score_text(headline) < -0.3


@pytest.mark.parametrize(
    "headline",
    ["Bitcoin price steady ahead of the weekend", "ETH/BTC ratio unchanged", "", "   "],
)
def test_no_sentiment_words_is_neutral(headline: str) -> None:
    assert score_text(headline) == 0.0


def test_negation_flips_and_damps() -> None:
    bullish, not_bullish = (
        score_text("Traders bullish on bitcoin"),
        score_text("Traders not bullish on bitcoin"),
    )
    bearish = score_text("Traders bearish on bitcoin")
    assert bullish > 0 > not_bullish
    assert bearish < not_bullish  # "not bullish" is weaker than "bearish"
    assert score_text("Bitcoin isn't falling") > 0
    assert score_text("Bitcoin never crashed, says CEO") > 0
    assert score_text("Bitcoin fails to rally") < 0
    assert score_text("No ban on crypto mining in the US") > 0
    assert score_text("Regulator won't approve the ETF") < 0


def test_negation_reaches_three_words_and_stops_at_punctuation() -> None:
    assert score_text("Not a very bullish week for bitcoin") < 0  # 3 words back
    assert score_text("No delay, the ETF is approved") > 0  # the comma ends "No"
    assert score_text("no one expected the bullish turn now") > 0  # too far back


def test_a_background_clause_counts_half() -> None:
    assert score_text("BTC rebounds after sell-off") > 0 > score_text("BTC sell-off")
    assert score_text("Bitcoin miners not bearish despite squeeze") > 0
    # punctuation ends the background clause
    assert score_text("After the crash, bitcoin surges") == pytest.approx(
        score_text("bitcoin surges, after the crash"), abs=1e-12
    )
    assert score_text("bitcoin surges, after the crash") < score_text("bitcoin surges")


def test_intensifiers_scale_the_next_term() -> None:
    lower, sharply, slightly = (
        score_text("Stocks lower"),
        score_text("Stocks sharply lower"),
        score_text("Stocks slightly lower"),
    )
    assert sharply < lower < slightly < 0


def test_phrases_beat_their_words() -> None:
    # "sell-off" is bearish even though neither "sell" nor "off" alone says much
    assert score_text("Crypto sell-off deepens") < score_text("Crypto sell deepens") < 0
    assert score_text("Bitcoin at an all time high") > 0.7
    assert score_text("Bitcoin at an all-time high") == score_text("Bitcoin at an all time high")


def test_inflected_forms_are_found() -> None:
    for word in ("surged", "surging", "surges", "plunged", "plunging", "hacks"):
        assert score_text(f"Bitcoin {word}") != 0.0, word


def test_scores_stay_inside_minus_one_to_one() -> None:
    many = " ".join(["surge rally soar bullish boom"] * 20)
    assert 0.99 < score_text(many) <= 1.0
    assert -1.0 <= score_text(" ".join(["crash plunge hack fraud"] * 20)) < -0.99
    assert score_text("Bitcoin surges") == pytest.approx(-score_text("Bitcoin plunges"), abs=0.1)


def test_custom_words_extend_the_lexicon() -> None:
    assert score_text("Protocol announces airdrop") == 0.0
    custom = Lexicon({"Airdrop": 1.5, "surge": -1.0})
    assert custom.score("Protocol announces airdrop") > 0.5
    assert custom.score("Fees surge") < 0  # overrides a built-in weight


def test_tokenize_keeps_contractions_and_punctuation() -> None:
    assert tokenize("BTC isn’t down, ETH-USD up!") == [
        "btc",
        "isn't",
        "down",
        ",",
        "eth",
        "usd",
        "up",
        "!",
    ]
