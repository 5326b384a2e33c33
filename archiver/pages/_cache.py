"""``cached_property`` without the lock Python 3.11's takes on every first read.

A page object computes a dozen cached values once each, and functools' version (3.8–3.11) acquires an ``RLock``
for each: more than the cost of most of those values on a small page. Python 3.12 dropped the lock (objects
are not shared between threads here either); this is that behaviour: the value is computed and stored in the
instance's ``__dict__``, which later reads find before the descriptor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class cached_property(Generic[T]):
    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> T | cached_property[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value
