"""requirements.txt of an exported Python function: its declared requirements, else the distributions that give
its third-party imports, pinned to the kernel's versions."""
from __future__ import annotations

import ast
import importlib.metadata
import sys
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..records import FunctionConfig

# Packages a Lambda Python runtime already has: nothing to list in requirements.txt for them.
_IN_RUNTIME = {"boto3", "botocore", "awslambdaric", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}


def _imports(code: str, own: set[str]) -> list[str]:
    """Third-party top-level imports of a Python handler (standard library, the runtime's own and the package's
    own modules left out)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if n not in sys.stdlib_module_names and n not in _IN_RUNTIME and n not in own)


def _layer_modules(config: FunctionConfig) -> set[str]:
    """Top-level modules the function's layers give: python/X, or python/lib/pythonX.Y/site-packages/X."""
    names = set()
    for layer in config.layers:
        for path in layer.package.files:
            parts = PurePosixPath(path).parts
            if "site-packages" in parts[:-1]:
                names.add(parts[parts.index("site-packages") + 1].removesuffix(".py"))
            elif len(parts) > 1 and parts[0] == "python":
                names.add(parts[1].removesuffix(".py"))
    return names


def requirements(config: FunctionConfig) -> list[str]:
    """requirements.txt for `sam build`: the function's declared requirements, else the distributions that give
    its imports, pinned to the versions this kernel has (PIL is pillow, yaml is PyYAML); an import no installed
    distribution gives stays as a comment to fill in."""
    if config.requirements:
        return list(config.requirements)
    files = config.package.files if config.package else {}
    own = {PurePosixPath(path).parts[0].removesuffix(".py") for path in files} | \
        {p.stem for p in config.task_root.glob("*.py")} | _layer_modules(config)
    givers = importlib.metadata.packages_distributions()
    lines = []
    for name in _imports(config.code, own):
        distributions = givers.get(name)
        if not distributions:
            lines.append(f"# {name}: no installed distribution gives it; name the one to install here")
            continue
        distribution = distributions[0]
        lines.append(f"{distribution}=={importlib.metadata.version(distribution)}")
    return sorted(set(lines))
