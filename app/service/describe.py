"""What the API says about a model: the short ``model`` field and the full ``/model`` answer.

Both come from the weights document the lead's trainer wrote (``architecture``,
``training``, ``calibration``) and the loaded network. The short form is built
once per model and repeated in every prediction; the long one answers
``GET /model``. Missing or odd training fields become ``null`` rather than errors:
an older weights file still serves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from app.service.registry import ModelRegistry, ServedModel, record_number
from app.service.schemas import LayerSummary, ModelDetail, ModelInfo, TrainingSummary


@lru_cache(maxsize=32)
def model_info(model: ServedModel) -> ModelInfo:
    return ModelInfo(
        name=model.name,
        architecture="cnn" if model.architecture == "cnn" else "mlp",
        parameters=model.network.parameter_count(),
        test_accuracy=model.test_accuracy,
        temperature=model.temperature,
        sha256=model.sha256[:12],
    )


def model_detail(
    model: ServedModel, registry: ModelRegistry, unsure_threshold: float
) -> ModelDetail:
    architecture = model.doc.get("architecture", {})
    return ModelDetail(
        **model_info(model).model_dump(),
        default=model.name == registry.default,
        available=registry.names,
        input_shape=list(model.network.input_shape),
        layers=[_layer(spec) for spec in architecture.get("layers", []) if isinstance(spec, dict)],
        val_accuracy=record_number(model.training.get("val_accuracy")),
        unsure_threshold=unsure_threshold,
        training=training_summary(model.training),
    )


def training_summary(training: dict[str, Any]) -> TrainingSummary:
    history = training.get("history")
    history = history if isinstance(history, list) else []
    last = history[-1] if history and isinstance(history[-1], dict) else None
    hyper = training.get("hyperparameters")
    return TrainingSummary(
        hyperparameters=hyper if isinstance(hyper, dict) else {},
        epochs_run=len(history) if history else None,
        best_epoch=_integer(training.get("best_epoch")),
        val_accuracy=record_number(training.get("val_accuracy")),
        test_accuracy=record_number(training.get("test_accuracy")),
        seconds=record_number(training.get("seconds")),
        date=str(training["date"]) if training.get("date") is not None else None,
        interrupted=training.get("interrupted")
        if isinstance(training.get("interrupted"), bool)
        else None,
        last_epoch={k: float(v) for k, v in last.items() if record_number(v) is not None}
        if last
        else None,
    )


def _layer(spec: dict[str, Any]) -> LayerSummary:
    return LayerSummary(
        type=str(spec.get("type", "?")), options={k: v for k, v in spec.items() if k != "type"}
    )


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
