"""The Configuration tab: memory, timeout, environment, role, concurrency, async config, triggers of every kind,
the resource policy, and the code: the deployment package's files, size and CodeSha256, its layers and
requirements."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..errors import ResourceNotFoundException

if TYPE_CHECKING:
    from ..service.lambda_service import LambdaService


class ConfigPanel:
    def __init__(self, service: LambdaService, function_name: str) -> None:
        self.service = service
        self.function_name = function_name
        self.view = widgets.HTML()
        self.root = widgets.VBox([self.view])
        self.refresh()

    def rows(self) -> list[tuple[str, str]]:
        service, name = self.service, self.function_name
        config = service.get_function(name)
        reserved = service.get_function_concurrency(name).get("ReservedConcurrentExecutions")
        invoke_config = service.get_function_event_invoke_config(name)
        versions = [v.version for v in service.list_versions_by_function(name)]
        aliases = [f"{a['Name']} → {a['FunctionVersion']}" for a in service.list_aliases(name)]
        return [
            ("Memory", f"{config.memory_size} MB"), ("Timeout", f"{config.timeout} s"),
            ("Runtime / handler", f"{config.runtime} / {config.handler}"),
            ("Environment variables", ", ".join(f"{k}={v}" for k, v in config.environment.items()) or "none"),
            ("Execution role", config.role or "none (logs only)"),
            ("Reserved concurrency", "unreserved" if reserved is None else str(reserved)),
            ("Asynchronous invocation", "retries 2, maximum age 6 h (defaults)" if invoke_config is None else
             f"retries {invoke_config.maximum_retry_attempts}, maximum age "
             f"{invoke_config.maximum_event_age_in_seconds} s, on success {invoke_config.on_success or '-'}, "
             f"on failure {invoke_config.on_failure or '-'}"),
            ("Dead-letter queue", config.dead_letter_target_arn or "none"),
            ("Versions / aliases", f"{', '.join(versions)} / {', '.join(aliases) or 'none'}"),
            *self.trigger_rows(),
        ]

    def package_rows(self) -> list[tuple[str, str]]:
        """The Code section: what the deployment package holds, as the console's Code tab and GetFunction show it."""
        package = self.service.package_info(self.function_name)
        files = package["Files"]
        shown = ", ".join(f"{f['Path']} ({_size(f['Size'])})" for f in files[:_FILES_SHOWN])
        if len(files) > _FILES_SHOWN:
            shown += f" and {len(files) - _FILES_SHOWN} more"
        installed = f" ({package['InstalledFiles']} files installed)" if package["InstalledFiles"] else ""
        return [
            ("Package", f"{_size(package['CodeSize'])} zipped, CodeSha256 {package['CodeSha256']}"),
            (f"Files ({len(files)})", shown or "none"),
            ("Requirements", ", ".join(package["Requirements"]) + installed if package["Requirements"] else "none"),
            ("Layers", "; ".join(f"{layer['Arn']} ({_size(layer['CodeSize'])})" for layer in package["Layers"])
             or "none"),
            ("Imports", "the kernel's packages too (runs differently on AWS)" if package["KernelPackages"]
             else "the runtime's (standard library, boto3), the package's and the layers'"),
        ]

    def trigger_rows(self) -> list[tuple[str, str]]:
        """The console's Triggers and Permissions → Resource-based policy: one line per trigger and statement."""
        service, name = self.service, self.function_name
        triggers = [f"{t['Type']}: {t['Source']} ({t['Detail']})" for t in service.list_triggers(name)]
        try:
            statements = service.get_policy(name)["Statement"]
        except ResourceNotFoundException:
            statements = []
        policy = [f"{s['Sid']}: {s['Principal'].get('Service') or s['Principal'].get('AWS')} may {s['Action']}"
                  + "".join(f" if {key} {value}" for test in s.get("Condition", {}).values()
                            for key, value in test.items()) for s in statements]
        return [("Triggers", "\n".join(triggers) or "none"), ("Resource-based policy", "\n".join(policy) or "none")]

    def refresh(self) -> None:
        try:
            sections = [("", self.rows()), ("Code", self.package_rows())]
        except ResourceNotFoundException:
            sections = [("", [("Function", "deleted")])]
        html = "<table>" + "".join(_section(title, rows) for title, rows in sections) + "</table>"
        if html != self.view.value:
            self.view.value = html


_FILES_SHOWN = 20  # a package made from a folder can hold many: the first ones tell what it is


def _size(size: int) -> str:
    """Bytes as the console writes them: 512 bytes, 1.5 KB, 2.0 MB."""
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.1f} KB" if size < 1024 ** 2 else f"{size / 1024 ** 2:.1f} MB"


def _section(title: str, rows: list[tuple[str, str]]) -> str:
    # One table for every section, so that the values of all sections line up.
    heading = f"<tr><td colspan='2'><h4>{escape(title)}</h4></td></tr>" if title else ""
    return heading + "".join(f"<tr><td style='padding-right:1em'><b>{escape(k)}</b></td>"
                             f"<td><code>{escape(v).replace(chr(10), '<br>')}</code></td></tr>" for k, v in rows)
