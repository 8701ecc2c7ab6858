"""The settings as a Dagster resource: shown in the UI, overridable per run.

``SettingsResource`` is derived from ``salesops.settings.Settings`` field by
field (names, types, descriptions), so a setting is declared once. Assets ask
for the resource and read ``settings.value``; none reads the environment.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pydantic

from ingestion.lake import RawLake
from publishing.publish import repair_publications
from salesops.data_dir_lock import exclusive_data_dir
from salesops.settings import Settings


def _dagster_type(annotation: Any, default: Any) -> tuple[Any, Any]:
    """A settings field's type as Dagster config accepts it (paths as text, tuples as lists, models as
    Config classes), and its default in that type (``...`` for none)."""
    if annotation is Path:
        return str, default
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        config = _config_class(annotation, dg.Config, default if default is not ... else None)
        return config, config() if default is not ... else ...
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is tuple:
        item, _ = _dagster_type(arguments[0], ...)
        return list[item], default  # Dagster takes a list's default as plain values
    return annotation, default


def _config_class(model: type[pydantic.BaseModel], base: type, defaults: dict | None = None) -> type:
    """A Dagster config class with the model's fields; with ``defaults``, those are the fields' defaults."""
    fields = {}
    for name, field in model.model_fields.items():
        annotation, default = _dagster_type(field.annotation, defaults[name] if defaults is not None else ...)
        fields[name] = (annotation, pydantic.Field(default, description=field.description))
    return pydantic.create_model(f"{model.__name__}Config", __base__=base, __doc__=model.__doc__, **fields)


def _plain(value: Any) -> Any:
    """Config objects back to the plain values ``Settings`` validates."""
    if isinstance(value, pydantic.BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class SettingsResource(_config_class(Settings, dg.ConfigurableResource)):
    """salesops settings (``SALESOPS_*``; see the README): every asset reads them from here."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SettingsResource:
        """The resource whose config defaults are ``settings``: the UI shows them; a run may override any.

        The SMTP password is the one setting not shown: its default refers to SALESOPS_SMTP_PASSWORD,
        which Dagster reads when a run starts.
        """
        defaults = settings.model_dump(mode="json")
        if settings.smtp.password:
            defaults["smtp"]["password"] = {"env": "SALESOPS_SMTP_PASSWORD"}
        return _config_class(Settings, cls, defaults)()

    @property
    def value(self) -> Settings:
        return Settings.model_validate({name: _plain(getattr(self, name)) for name in Settings.model_fields})


class DataDirLock(dg.ConfigurableResource):
    """The data dir's writer lock (salesops/data_dir_lock.py), held from a run's first writing step to its end."""

    settings: SettingsResource

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[DataDirLock]:
        settings = self.settings.value
        with exclusive_data_dir(settings.data_dir, f"Dagster run {context.run_id}"):
            # Holding the lock, this run is the only writer: whatever a killed run left half-done goes first.
            RawLake(settings.lake_dir).remove_abandoned_landings()
            repair_publications(settings.warehouse_dir)
            yield self
