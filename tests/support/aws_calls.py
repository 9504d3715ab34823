"""Which AWS API operations the DAG package can make, found by reading its code and the provider's.

A small call-graph walk over Python source: it starts at the operators, sensors and hook calls the DAG
files use, follows `self.<method>`, `self.hook.<method>`, hooks held by hooks (`self.s3_hook`), local
aliases (`logs_conn = self.logs_hook.get_conn()`), `super()` and module functions, and records every
boto3 client operation reached (`<client>.<operation>(...)`, paginators, waiters, managed transfers).
Client method names are mapped back to API operation names with botocore's own service models.

It is an over-approximation (every branch counts) with two escape hatches, both explicit: `pruned`
methods that the project provably never reaches (each with a premise the tests check), and dynamic
dispatchers (`getattr(conn, name)`) resolved by a caller-supplied function. Anything it cannot model is
reported in `unresolved` rather than silently skipped.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import json
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType
from typing import Any, TypeGuard

WALKED_MODULES = ("airflow.providers.amazon", "retraining", "retraining_airflow")
ENTRY_METHODS = ("execute", "execute_complete", "on_kill", "poke")
# boto3 injects these into clients; they run S3 managed transfers (single or multipart).
TRANSFER_OPERATIONS = {
    "upload_file": (
        "PutObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
    ),
    "upload_fileobj": (
        "PutObject",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
    ),
    "download_file": ("HeadObject", "GetObject"),
    "download_fileobj": ("HeadObject", "GetObject"),
}


@dataclass(frozen=True)
class ApiCall:
    service: str  # botocore's service name: sagemaker, s3, logs, iam
    operation: str  # the API operation: CreateTrainingJob
    via: str = field(default="", compare=False)  # where it was found, for failure messages


@dataclass(frozen=True)
class Self:
    owner: type  # the concrete class being walked
    defined_in: type  # the class whose method body this is (for super())


@dataclass(frozen=True)
class Hook:
    cls: type
    service: str


@dataclass(frozen=True)
class Client:
    service: str


@dataclass(frozen=True)
class Resource:
    """A boto3 resource: the service resource (name None) or one of its resources (`Object`)."""

    service: str
    name: str | None = None


Kind = Self | Hook | Client | Resource


@functools.cache
def botocore_session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def operations_by_method(service: str) -> dict[str, str]:
    """boto3 client method name -> API operation name, from botocore's service model."""
    from botocore import xform_name

    model = botocore_session().get_service_model(service)
    return {xform_name(name): name for name in model.operation_names}


@functools.cache
def resource_model(service: str) -> dict[str, Any]:
    """boto3's resource model (resources-1.json) for a service."""
    import boto3

    loader = boto3.session.Session()._loader
    for version in loader.list_api_versions(service, "resources-1"):
        return dict(loader.load_service_model(service, "resources-1", version))
    return {}


def resource_operations(resource: Resource, attribute: str) -> tuple[str, ...]:
    """API operations behind `resource.<attribute>(...)`: load, actions, managed transfers."""
    from botocore import xform_name

    model = resource_model(resource.service)
    spec = (
        model.get("service", {})
        if resource.name is None
        else model.get("resources", {}).get(resource.name, {})
    )
    if attribute in ("load", "reload") and "load" in spec:
        return (str(spec["load"]["request"]["operation"]),)
    for action, definition in spec.get("actions", {}).items():
        if xform_name(action) == attribute:
            return (str(definition["request"]["operation"]),)
    if resource.name is not None and attribute in TRANSFER_OPERATIONS:
        return TRANSFER_OPERATIONS[attribute]
    return ()


def waiter_operation(service: str, name: str) -> str | None:
    """The operation a waiter polls: botocore's waiters first, then the Amazon provider's own."""
    from botocore import xform_name

    try:
        model = botocore_session().get_waiter_model(service)
        for waiter in model.waiter_names:
            if name in (waiter, xform_name(waiter)):
                return str(model.get_waiter(waiter).operation)
    except Exception:
        pass
    import airflow.providers.amazon.aws.waiters as provider_waiters

    custom = Path(provider_waiters.__file__).parent / f"{service}.json"
    if custom.exists():
        waiters = json.loads(custom.read_text())["waiters"]
        if name in waiters:
            return str(waiters[name]["operation"])
    return None


def _walkable(obj: Any) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.startswith(WALKED_MODULES)


def _function_of(attribute: Any) -> FunctionType | None:
    if isinstance(attribute, property):
        attribute = attribute.fget
    elif isinstance(attribute, staticmethod | classmethod):
        attribute = attribute.__func__
    elif isinstance(attribute, functools.cached_property):
        attribute = attribute.func
    if attribute is None or not callable(attribute):
        return None
    unwrapped = inspect.unwrap(attribute)
    return unwrapped if isinstance(unwrapped, FunctionType) else None


def _lookup(owner: type, name: str, after: type | None = None) -> tuple[type, FunctionType] | None:
    """The class in `owner`'s MRO (past `after`, for super()) that defines `name`, and the function."""
    mro = owner.__mro__
    start = mro.index(after) + 1 if after is not None and after in mro else 0
    for cls in mro[start:]:
        if name in cls.__dict__:
            function = _function_of(cls.__dict__[name])
            return (cls, function) if function is not None else None
    return None


def _is_hook_class(obj: Any) -> TypeGuard[type]:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    return inspect.isclass(obj) and issubclass(obj, AwsGenericHook)


@functools.cache
def hook_service(cls: type) -> str | None:
    """The client type a hook class fixes in its __init__ (`client_type="s3"`), if it does."""
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or not _walkable(klass):
            continue
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(init)))):
            if (
                isinstance(node, ast.keyword)
                and node.arg == "client_type"
                and isinstance(node.value, ast.Constant)
            ):
                return str(node.value.value)
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Subscript)
                and isinstance(node.targets[0].slice, ast.Constant)
                and node.targets[0].slice.value == "client_type"
                and isinstance(node.value, ast.Constant)
            ):
                return str(node.value.value)
    return None


@functools.cache
def hook_attributes(cls: type) -> dict[str, type]:
    """Hooks a hook keeps on itself: `self.s3_hook = S3Hook(...)` in an __init__ of its MRO."""
    found: dict[str, type] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or not _walkable(klass):
            continue
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(init)))):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Attribute)
                and isinstance(node.targets[0].value, ast.Name)
                and node.targets[0].value.id == "self"
                and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name)
            ):
                target = init.__globals__.get(node.value.func.id)
                if _is_hook_class(target):
                    found.setdefault(node.targets[0].attr, target)
    return found


DynamicResolver = Callable[[Self, ast.Call], Iterable[ApiCall]]


@dataclass
class CallGraph:
    """Walks code and collects the API calls it can make."""

    pruned: set[tuple[str, str]] = field(default_factory=set)  # (defining class name, method name)
    dynamic: dict[str, DynamicResolver] = field(default_factory=dict)  # method name -> resolver
    calls: set[ApiCall] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)
    visited_pruned: set[tuple[str, str]] = field(default_factory=set)
    _seen: set[Any] = field(default_factory=set)
    _returns: dict[Any, Kind | None] = field(default_factory=dict)

    # entry points
    def add_class(self, cls: type, entries: Iterable[str] = ENTRY_METHODS) -> None:
        for name in entries:
            found = _lookup(cls, name)
            if found and _walkable(found[0]):
                self._walk_method(Self(cls, found[0]), found[0], name, found[1])

    def add_module_source(self, path: Path) -> None:
        """A DAG file or any module: every hook call and walkable function call in it, flow-insensitively."""
        tree = ast.parse(path.read_text())
        self._scan(tree, {}, {}, where=path.name, self_kind=None)

    def operator_classes_in(self, path: Path) -> set[type]:
        """Operator and sensor classes a DAG file instantiates."""
        from airflow.sdk import BaseOperator

        tree = ast.parse(path.read_text())
        imported: dict[str, Any] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                module = importlib.import_module(node.module)
                for alias in node.names:
                    imported[alias.asname or alias.name] = getattr(module, alias.name, None)
        classes = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                obj = imported.get(node.func.id)
                if inspect.isclass(obj) and issubclass(obj, BaseOperator):
                    classes.add(obj)
        return classes

    # the walk
    def _walk_method(self, self_kind: Kind, cls: type, name: str, function: FunctionType) -> None:
        key = (self_kind, function)
        if key in self._seen:
            return
        self._seen.add(key)
        if (cls.__name__, name) in self.pruned:
            self.visited_pruned.add((cls.__name__, name))
            return
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        env: dict[str, Kind] = {}
        definition = tree.body[0]
        if isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in definition.args.args + definition.args.kwonlyargs:
                if isinstance(arg.annotation, ast.Name):
                    annotated = function.__globals__.get(arg.annotation.id)
                    if _is_hook_class(annotated):
                        env[arg.arg] = Hook(annotated, hook_service(annotated) or "?")
        self._scan(tree, dict(function.__globals__), env, f"{cls.__name__}.{name}", self_kind)

    def _walk_function(self, function: FunctionType, arg_kinds: dict[str, Kind]) -> None:
        key = (function, tuple(sorted(arg_kinds.items(), key=lambda item: item[0])))
        if key in self._seen:
            return
        self._seen.add(key)
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        self._scan(tree, dict(function.__globals__), dict(arg_kinds), function.__qualname__, None)

    def _scan(
        self, tree: ast.AST, scope: dict[str, Any], env: dict[str, Kind], where: str, self_kind: Kind | None
    ) -> None:
        if self_kind is not None:
            env["self"] = self_kind
        scope = {**scope, **_local_imports(tree)}
        env = self._aliases(tree, scope, env)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                self._attribute(node, scope, env, where)
            elif isinstance(node, ast.Call):
                self._call(node, scope, env, where)

    def _aliases(self, tree: ast.AST, scope: dict[str, Any], env: dict[str, Kind]) -> dict[str, Kind]:
        """Local names bound to clients, hooks or resources (flow-insensitive, to a fixed point)."""
        for _ in range(3):
            for node in ast.walk(tree):
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(node, ast.Assign):
                    targets, value = node.targets, node.value
                elif isinstance(node, ast.AnnAssign) and node.value is not None:
                    targets, value = [node.target], node.value
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    targets, value = [node.optional_vars], node.context_expr
                kind = self._kind(value, scope, env) if value is not None else None
                for target in targets:
                    if kind is not None and isinstance(target, ast.Name):
                        env[target.id] = kind
        return env

    def _kind(self, expr: ast.expr, scope: dict[str, Any], env: dict[str, Kind]) -> Kind | None:
        if isinstance(expr, ast.Name):
            return env.get(expr.id)
        if isinstance(expr, ast.Attribute):
            base = self._kind(expr.value, scope, env)
            if isinstance(base, Self) and expr.attr == "hook":
                hook_cls = getattr(base.owner, "aws_hook_class", None)
                return Hook(hook_cls, hook_service(hook_cls) or "?") if _is_hook_class(hook_cls) else None
            if isinstance(base, Hook):
                if expr.attr == "conn":
                    return Client(base.service)
                if expr.attr == "resource":
                    return Resource(base.service)
                held = hook_attributes(base.cls).get(expr.attr)
                if held is not None:
                    return Hook(held, hook_service(held) or "?")
            return None
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Name):
                target = scope.get(func.id)
                if _is_hook_class(target):
                    service = hook_service(target) or _literal_keyword(expr, "client_type")
                    return Hook(target, service or "?")
                return None
            if isinstance(func, ast.Attribute):
                base = self._kind(func.value, scope, env)
                if isinstance(base, Hook) and func.attr in ("get_conn", "get_client_type"):
                    return Client(base.service)
                if func.attr in ("client", "resource") and not isinstance(base, Resource):
                    service = _literal_argument(expr, 0) or _literal_keyword(expr, "service_name")
                    if service:
                        return Client(service) if func.attr == "client" else Resource(service)
                if (
                    isinstance(base, Resource)
                    and base.name is None
                    and func.attr in resource_model(base.service).get("resources", {})
                ):
                    return Resource(base.service, func.attr)
                if isinstance(base, Self | Hook):
                    # What a method of ours or the provider's returns, e.g. S3Hook.get_key -> an S3 Object.
                    owner = base.owner if isinstance(base, Self) else base.cls
                    found = _lookup(owner, func.attr)
                    if found and _walkable(found[0]):
                        kind = base if isinstance(base, Hook) else Self(base.owner, found[0])
                        return self._return_kind(kind, found[1])
        return None

    def _return_kind(self, self_kind: Kind, function: FunctionType) -> Kind | None:
        key = ("return", self_kind, function)
        if key in self._returns:
            return self._returns[key]
        self._returns[key] = None  # recursion guard
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        scope = {**function.__globals__, **_local_imports(tree)}
        env = self._aliases(tree, scope, {"self": self_kind})
        for node in ast.walk(tree):
            if isinstance(node, ast.Return) and node.value is not None:
                kind = self._kind(node.value, scope, env)
                if kind is not None:
                    self._returns[key] = kind
                    break
        return self._returns[key]

    def _record(self, service: str, operation: str, where: str) -> None:
        self.calls.add(ApiCall(service, operation, where))

    def _attribute(
        self, node: ast.Attribute, scope: dict[str, Any], env: dict[str, Kind], where: str
    ) -> None:
        base = self._kind(node.value, scope, env)
        if isinstance(base, Client):
            operation = operations_by_method(base.service).get(node.attr)
            if operation:
                self._record(base.service, operation, where)
            elif node.attr in TRANSFER_OPERATIONS:
                for op in TRANSFER_OPERATIONS[node.attr]:
                    self._record(base.service, op, f"{where} ({node.attr})")
        elif isinstance(base, Resource):
            for op in resource_operations(base, node.attr):
                self._record(base.service, op, f"{where} ({base.name or 'resource'}.{node.attr})")
        elif isinstance(base, Hook):
            found = _lookup(base.cls, node.attr)
            if found and _walkable(found[0]):
                self._walk_method(base, found[0], node.attr, found[1])
        elif isinstance(base, Self):
            found = _lookup(base.owner, node.attr)
            if found and _walkable(found[0]):
                self._walk_method(Self(base.owner, found[0]), found[0], node.attr, found[1])

    def _call(self, node: ast.Call, scope: dict[str, Any], env: dict[str, Kind], where: str) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            base = self._kind(func.value, scope, env)
            name = _literal_argument(node, 0)
            if isinstance(base, Client | Hook) and func.attr in ("get_paginator", "get_waiter"):
                service = base.service
                if name is None:
                    self.unresolved.append(f"{where}: {func.attr} with a computed name")
                elif func.attr == "get_paginator":
                    operation = operations_by_method(service).get(name)
                    if operation:
                        self._record(service, operation, f"{where} (paginator)")
                    else:
                        self.unresolved.append(f"{where}: paginator {name!r} of {service}")
                else:
                    operation = waiter_operation(service, name)
                    if operation:
                        self._record(service, operation, f"{where} (waiter {name})")
                    else:
                        self.unresolved.append(f"{where}: waiter {name!r} of {service}")
            if isinstance(base, Self) and func.attr in self.dynamic:
                for call in self.dynamic[func.attr](base, node):
                    self.calls.add(call)
            # super().method(...)
            if (
                isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
                and isinstance(env.get("self"), Self)
            ):
                me = env["self"]
                assert isinstance(me, Self)
                found = _lookup(me.owner, func.attr, after=me.defined_in)
                if found and _walkable(found[0]):
                    self._walk_method(Self(me.owner, found[0]), found[0], func.attr, found[1])
        elif isinstance(func, ast.Name):
            if func.id == "getattr" and node.args:
                base = self._kind(node.args[0], scope, env)
                name = _literal_argument(node, 1)
                if isinstance(base, Client):
                    if name:
                        operation = operations_by_method(base.service).get(name)
                        if operation:
                            self._record(base.service, operation, where)
                    elif where.rsplit(".", 1)[-1] not in self.dynamic:
                        self.unresolved.append(
                            f"{where}: getattr on a {base.service} client with a computed name"
                        )
                return
            target = scope.get(func.id)
            if isinstance(target, FunctionType) and _walkable(target):
                function = inspect.unwrap(target)
                if isinstance(function, FunctionType):
                    self._walk_function(function, self._argument_kinds(function, node, scope, env))

    def _argument_kinds(
        self, function: FunctionType, node: ast.Call, scope: dict[str, Any], env: dict[str, Kind]
    ) -> dict[str, Kind]:
        parameters = list(inspect.signature(function).parameters)
        kinds: dict[str, Kind] = {}
        for position, argument in enumerate(node.args):
            kind = self._kind(argument, scope, env)
            if kind is not None and position < len(parameters):
                kinds[parameters[position]] = kind
        for keyword in node.keywords:
            kind = self._kind(keyword.value, scope, env)
            if kind is not None and keyword.arg:
                kinds[keyword.arg] = kind
        return kinds


def _local_imports(tree: ast.AST) -> dict[str, Any]:
    """Names bound by `from x import y` anywhere in `tree` (DAG tasks and hooks import lazily)."""
    resolved: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            try:
                module = importlib.import_module(node.module)
            except ImportError:
                continue
            for alias in node.names:
                if hasattr(module, alias.name):
                    resolved[alias.asname or alias.name] = getattr(module, alias.name)
    return resolved


def _literal_argument(node: ast.Call, position: int) -> str | None:
    if len(node.args) > position and isinstance(node.args[position], ast.Constant):
        value = node.args[position].value  # type: ignore[attr-defined]
        return value if isinstance(value, str) else None
    return None


def _literal_keyword(node: ast.Call, name: str) -> str | None:
    for keyword in node.keywords:
        if (
            keyword.arg == name
            and isinstance(keyword.value, ast.Constant)
            and isinstance(keyword.value.value, str)
        ):
            return keyword.value.value
    return None


def client_calls_by_name(paths: Iterable[Path], service: str) -> set[ApiCall]:
    """`<anything>.<client method>(` and `get_paginator("<method>")` spelled out in source files: the grep
    view, to catch calls the walk might not reach."""
    methods = operations_by_method(service)
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in methods:
                    found.add(ApiCall(service, methods[node.func.attr], f"{path.name}:{node.lineno}"))
                name = _literal_argument(node, 0)
                if node.func.attr == "get_paginator" and name in methods:
                    found.add(ApiCall(service, methods[name], f"{path.name}:{node.lineno}"))
    return found
