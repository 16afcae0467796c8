"""The third answer: ``not_a_digit`` in one digit, in numbers, and as a setting."""

from __future__ import annotations

import numpy as np
import pytest

from app.service.predictor import Options, judge, number_status
from app.settings import Settings, SettingsError


def probabilities(best: int, p: float) -> np.ndarray:
    out = np.full(10, (1 - p) / 9, np.float32)
    out[best] = p
    return out


OPTIONS = Options(unsure_threshold=0.6, max_pixels=1000, not_a_digit_threshold=0.9)


def test_not_a_digit_wins_over_ok_and_keeps_the_guess() -> None:
    result = judge(probabilities(8, 0.95), OPTIONS, refused=0.93)
    assert result.status == "not_a_digit" and result.digit == 8
    assert result.confidence == pytest.approx(0.95) and result.not_a_digit == pytest.approx(0.93)
    assert result.top[0].digit == 8


def test_below_the_threshold_the_old_answers_stay() -> None:
    assert judge(probabilities(3, 0.95), OPTIONS, refused=0.89).status == "ok"
    assert judge(probabilities(3, 0.5), OPTIONS, refused=0.2).status == "unsure"
    assert judge(probabilities(3, 0.95), OPTIONS).not_a_digit == 0.0


def test_a_number_with_a_piece_that_is_no_digit_is_no_number() -> None:
    assert number_status(["ok", "not_a_digit", "unsure"]) == "not_a_digit"
    assert number_status(["ok", "unsure"]) == "unsure"
    assert number_status(["ok", "ok"]) == "ok"


def test_the_threshold_is_a_setting() -> None:
    assert Settings.from_env({"DIGITS_NOT_A_DIGIT_THRESHOLD": "0.8"}).not_a_digit_threshold == 0.8
    assert (
        Options.of(Settings.from_env({})).not_a_digit_threshold == Settings().not_a_digit_threshold
    )
    with pytest.raises(SettingsError, match="NOT_A_DIGIT_THRESHOLD"):
        Settings.from_env({"DIGITS_NOT_A_DIGIT_THRESHOLD": "2"})
