"""Model instances for a read-only page, built without ``Model.__init__``'s per-field work.

Django builds each row's instance with ``Model.from_db`` -> ``Model.__init__``: a signal send,
then one ``setattr`` per concrete field, each through the field's class descriptor (a foreign
key's checks a cache, a phone number's reads a setting to convert a value already converted):
for a page of 50 requests of ~55 fields, a large share of the list's query time (figures in
benchmarks/README.md). ``FastModelIterable`` fills each instance's ``__dict__`` in one step
instead, which is what those ``setattr`` calls come to for values fresh from the database (the
same keys, in the same order, ``_state`` first).

It does so only where that holds, and otherwise is Django's own ``ModelIterable``: no
``select_related``, ``defer``/``only`` or known related objects; a model whose ``from_db`` and
``__init__`` are Django's, without ``pre_init``/``post_init`` receivers; and no concrete field
(or annotation) behind a descriptor with a ``__set__`` other than the vetted ones below.

Use: ``queryset_with_fast_rows(queryset)``; filters, ordering and slicing keep it.

New, unsaved instances the same way: ``new_instance(Model, **values)`` is ``Model(**values)``
(same ``__dict__``, same cached related objects) with the plain fields' values and defaults
stored in one pass, and only the fields behind a converting descriptor (a foreign key given as
an object, a phone number given as text) set through it. Intake builds several per request
(figures in benchmarks/README.md). Where that does not hold (receivers of ``pre_init`` or
``post_init``, an ``__init__`` of the model's own, a keyword that is not a field's name or
attname, a foreign key given both ways) it is ``Model(**values)`` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import ModelIterable

from core.switches import FastPath

# Descriptors whose __set__, given a value as the database converters return it, only stores it
# in the instance's __dict__: a foreign key id (it also drops a cached related object, which a
# new instance does not have); a phone number (to_python() returns a PhoneNumber, "" and None
# as they are, and from_db_value already made a PhoneNumber of any text).
_STORING_DESCRIPTORS: tuple[type, ...] = (ForeignKeyDeferredAttribute,)
try:
    from phonenumber_field.modelfields import PhoneNumberDescriptor
except ImportError:  # pragma: no cover - a dependency of this project
    pass
else:
    _STORING_DESCRIPTORS += (PhoneNumberDescriptor,)

_FAST_MODELS: dict[type[models.Model], bool] = {}
# Per model, for new_instance: its fields' defaults and how each keyword is stored; None:
# Model(**values) always.
_NEW_PLANS: dict[type[models.Model], _NewPlan | None] = {}
_MISSING = object()
_M = TypeVar("_M", bound=models.Model)
_NEW_INSTANCE = FastPath()


def plain_model_init() -> AbstractContextManager[None]:
    """``Model(**values)`` for every new_instance (tests and benchmarks compare)."""
    return _NEW_INSTANCE.off()


def queryset_with_fast_rows(queryset: models.QuerySet) -> models.QuerySet:
    """The same queryset, its instances built by ``FastModelIterable``."""
    queryset._iterable_class = FastModelIterable  # kept by filter(), order_by() and slicing
    return queryset


def _stores_plainly(model: type[models.Model], name: str) -> bool:
    """Whether setattr(instance, name, value) only stores value in the instance's __dict__."""
    for klass in model.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            return not hasattr(type(descriptor), "__set__") or isinstance(
                descriptor, _STORING_DESCRIPTORS
            )
    return True


def _fast_model(model: type[models.Model]) -> bool:
    fast = _FAST_MODELS.get(model)
    if fast is None:
        fast = _FAST_MODELS[model] = (
            getattr(model.from_db, "__func__", None) is models.Model.from_db.__func__  # type: ignore[attr-defined]
            and model.__init__ is models.Model.__init__
            and all(_stores_plainly(model, f.attname) for f in model._meta.concrete_fields)
        )
    return fast and not (
        signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
    )


class FastModelIterable(ModelIterable):
    def __iter__(self) -> Iterator[Any]:
        queryset = self.queryset
        query = queryset.query
        if (
            queryset._known_related_objects
            or query.select_related
            or query.deferred_loading != (frozenset(), True)
            or not _fast_model(queryset.model)
            or not all(
                _stores_plainly(queryset.model, name)
                for name in (*query.annotation_select, *query.extra_select)
            )
        ):
            yield from super().__iter__()
            return
        db = queryset.db
        compiler = query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        select, klass_info = compiler.select, compiler.klass_info
        model = klass_info["model"]
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        annotations = compiler.annotation_col_map or {}
        if model is not queryset.model or len(names) != len(model._meta.concrete_fields):
            # Not the shape checked above: Django's own way, row by row.
            for row in compiler.results_iter(results):
                obj = model.from_db(db, names, row[start:end])
                for name, position in annotations.items():
                    setattr(obj, name, row[position])
                yield obj
            return
        names += annotations
        positions = [*range(start, end), *annotations.values()]
        new = model.__new__
        for row in compiler.results_iter(results):
            obj = new(model)
            state = obj._state = ModelState()
            state.adding = False
            state.db = db
            obj.__dict__.update(zip(names, [row[i] for i in positions], strict=True))
            yield obj


def new_instance(model: type[_M], **values: Any) -> _M:
    """``model(**values)``, without ``Model.__init__``'s per-field work where it is not needed."""
    if model in _NEW_PLANS:
        plan = _NEW_PLANS[model]
    else:
        plan = _NEW_PLANS[model] = _new_plan(model)
    if (
        plan is None
        or not _NEW_INSTANCE.on
        or not values.keys() <= plan.routes.keys()
        or any(name in values and attname in values for name, attname in plan.related)
        or signals.pre_init.has_listeners(model)
        or signals.post_init.has_listeners(model)
    ):
        return model(**values)  # Django's own answer, or its error
    obj = model.__new__(model)
    obj._state = ModelState()
    stored = obj.__dict__
    stored.update(plan.constants)  # every field's place, in Model.__init__'s order
    for attname, default in plan.computed:
        if attname not in values:
            stored[attname] = default()
    for attname, default in plan.converted:
        if attname not in values:
            setattr(obj, attname, default())
    for key, value in values.items():
        if plan.routes[key]:
            stored[key] = value
        else:  # a foreign key's object, a converted value: through the descriptor
            setattr(obj, key, value)
    return obj


class _NewPlan:
    """A model's fields for new_instance, in Model.__init__'s order."""

    def __init__(self, model: type[models.Model]) -> None:
        # Defaults that are constants (None, "", a value): Model.__init__ stores the same
        # object each time too (a field's default that is not callable is shared).
        self.constants: dict[str, Any] = {}
        self.computed: list[tuple[str, Any]] = []  # callable defaults, stored as they come
        self.converted: list[tuple[str, Any]] = []  # defaults a descriptor converts
        self.routes: dict[str, bool] = {}  # keyword -> stored as is (else setattr)
        self.related: list[tuple[str, str]] = []  # a foreign key's (name, attname)
        for field in model._meta.fields:
            if field.column is None or field.generated:
                continue  # Model.__init__ skips them too
            attname = field.attname
            plain = not _converts(model, attname)
            self.constants[attname] = None
            if not plain:
                self.converted.append((attname, field.get_default))
            elif field.has_default() and callable(field.default):
                self.computed.append((attname, field.get_default))
            else:
                self.constants[attname] = field.get_default()
            self.routes[attname] = plain
            if isinstance(field.remote_field, models.ForeignObjectRel):
                self.routes[field.name] = False  # an object: the descriptor checks and caches it
                self.related.append((field.name, attname))


def _new_plan(model: type[models.Model]) -> _NewPlan | None:
    if model.__init__ is not models.Model.__init__ or model._meta.abstract:
        return None
    return _NewPlan(model)


def _converts(model: type[models.Model], name: str) -> bool:
    """A descriptor that converts what it is given (a phone number's text): it must see it. A
    foreign key id's only drops a cached related object, which a new instance does not have."""
    for klass in model.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            return hasattr(type(descriptor), "__set__") and not isinstance(
                descriptor, ForeignKeyDeferredAttribute
            )
    return False
