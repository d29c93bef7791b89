"""How records look in a notebook: the console's Execution result, the function card, the function list."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import FunctionConfig, Invocation

_BOX = "font-family: var(--jp-ui-font-family, sans-serif); border: 1px solid {color}; border-radius: 4px; " \
       "padding: 8px 12px; margin: 4px 0;"
_PRE = "margin: 4px 0 8px; padding: 6px; background: var(--jp-layout-color2, #f5f5f5); white-space: pre-wrap;"
_BETWEEN_WORDS = " word-break: normal; overflow-wrap: anywhere;"  # lines wrap between words, not inside them
_TABBED = ("REPORT ", "INIT_REPORT ")  # platform lines of short tab-separated fields, each kept whole


def summary(invocation: Invocation) -> list[tuple[str, str]]:
    rows = [("Request ID", invocation.request_id)]
    if invocation.duration_ms is None:
        return rows + [("Status code", str(invocation.status_code))]
    if invocation.init_duration_ms is not None:
        rows.append(("Init duration", f"{invocation.init_duration_ms:.2f} ms"))
    rows += [("Duration", f"{invocation.duration_ms:.2f} ms"),
             ("Billed duration", f"{invocation.billed_duration_ms} ms"),
             ("Resources configured", f"{invocation.memory_size_mb} MB"),
             ("Max memory used", f"{invocation.max_memory_used_mb} MB")]
    return rows


def _headline(invocation: Invocation) -> str:
    if invocation.status_code == 202:
        return "Accepted: the event is queued for an asynchronous invocation"
    if invocation.status_code == 204:
        return "Dry run: the request is valid and would have been invoked"
    return "Execution result: " + ("succeeded" if invocation.succeeded else "failed")


def invocation_text(invocation: Invocation) -> str:
    parts = [_headline(invocation)]
    if invocation.status_code == 200:
        parts += ["", "Response", invocation.response, "", "Function Logs", invocation.logs.rstrip("\n")]
    parts.append("")
    parts += [f"{label}: {value}" for label, value in summary(invocation)]
    return "\n".join(parts)


def invocation_html(invocation: Invocation, wrap_between_fields: bool = False) -> str:
    """The Execution result. `wrap_between_fields` (the console's Test tab) wraps long lines between words and a
    REPORT line between its fields; a notebook's own result keeps the markup its labs' saved outputs show."""
    color = "#1d8102" if invocation.succeeded else "#d13212"
    pre, logs = (_PRE + _BETWEEN_WORDS, _log_html(invocation.logs)) if wrap_between_fields \
        else (_PRE, escape(invocation.logs))
    body = [f'<div style="{_BOX.format(color=color)}">',
            f'<div style="font-weight: bold; color: {color};">{escape(_headline(invocation))}</div>']
    if invocation.status_code == 200:
        body += [f"<div><b>Response</b></div><pre style=\"{pre}\">{escape(invocation.response)}</pre>",
                 f"<div><b>Function Logs</b></div><pre style=\"{pre}\">{logs}</pre>"]
    body.append(_table(summary(invocation)))
    body.append("</div>")
    return "".join(body)


def _log_html(logs: str) -> str:
    """Log text for a <pre>: a REPORT line wraps between its fields, never inside one."""
    lines = []
    for line in logs.split("\n"):
        if line.startswith(_TABBED):
            line = "\t".join(f"<span style='white-space: nowrap'>{escape(field)}</span>" if field else ""
                             for field in line.split("\t"))
        else:
            line = escape(line)
        lines.append(line)
    return "\n".join(lines)


def function_card(config: FunctionConfig) -> str:
    rows = [("Function", config.name), ("ARN", config.arn), ("Runtime", config.runtime),
            ("Handler", config.handler), ("Memory", f"{config.memory_size} MB"), ("Timeout", f"{config.timeout} s"),
            ("Code size", f"{config.code_size} bytes")]
    if config.description:
        rows.append(("Description", config.description))
    if config.environment:
        rows.append(("Environment", ", ".join(f"{k}={v}" for k, v in config.environment.items())))
    return f'<div style="{_BOX.format(color="#0972d3")}">{_table(rows)}</div>'


def function_card_text(config: FunctionConfig) -> str:
    return (f"{config.name} ({config.arn}): {config.runtime}, handler {config.handler}, "
            f"{config.memory_size} MB, {config.timeout} s timeout, {config.code_size} bytes of code")


def functions_table(functions: list[FunctionConfig]) -> str:
    if not functions:
        return "<p>No functions yet: a <code>%%lambda NAME</code> cell creates one.</p>"
    header = "".join(f"<th style='text-align:left'>{h}</th>" for h in
                     ("Function name", "Runtime", "Handler", "Memory (MB)", "Timeout (s)", "Code size"))
    rows = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{f.runtime}</td><td>{escape(f.handler)}</td><td>{f.memory_size}</td>"
        f"<td>{f.timeout}</td><td>{f.code_size}</td></tr>" for f in functions)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


def _table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='text-align:left; padding-right: 1em'><b>{escape(label)}</b></td>"
                    f"<td style='text-align:left'><code>{escape(value)}</code></td></tr>" for label, value in rows)
    return f"<table>{cells}</table>"
