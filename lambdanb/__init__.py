"""lambdanb: AWS Lambda inside a Jupyter notebook, for learning and prototyping."""
from __future__ import annotations

from .api import (configure, create_function, delete_function, deploy_function, get_function, get_logs,
                  get_metrics, invoke, list_functions, service, update_function)
from .errors import LambdaNBError
from .records import Invocation

__version__ = "0.1.0"

__all__ = ["configure", "create_function", "delete_function", "deploy_function", "get_function", "get_logs",
           "get_metrics", "invoke", "list_functions", "service", "update_function", "LambdaNBError", "Invocation"]


def load_ipython_extension(ipython) -> None:
    """%load_ext lambdanb: registers %%lambda and %lambda, and makes `lambdanb` available in the notebook."""
    from .magics import LambdaMagics
    ipython.register_magics(LambdaMagics)
    ipython.user_ns.setdefault("lambdanb", __import__(__name__))
