"""%%lambda and %lambda: thin magics that parse a line, call the Python API and display the result.

The API is imported when a magic first runs, not when the extension loads: a kernel that loads lambdanb and never
uses it starts as quickly as one that does not load it."""
from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from .errors import LambdaNBError, ResourceNotFoundException

if TYPE_CHECKING:
    from .records import Invocation
    from .widgets.console import Console

SUBCOMMANDS = ("invoke", "logs", "list", "delete", "role", "drain", "console", "endpoint", "export", "url")


def _env_pairs(pairs: list[str]) -> dict[str, str]:
    environment = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--env takes KEY=VALUE, not '{pair}'.")
        environment[key] = value
    return environment


def _no_logs(name: str) -> str:
    from . import aws
    return (f"Note: the role of {name} does not allow {' and '.join(aws.LOG_ACTIONS)}, so its logs are not "
            "delivered to CloudWatch Logs (attach AWSLambdaBasicExecutionRole to fix that).")


def _parse(function: Any, line: str) -> Any:
    """Split the line as a shell would (so quoted JSON stays whole) and parse it; errors become one sentence."""
    try:
        return function.parser.parse_args(shlex.split(line))
    except ValueError as error:
        raise UsageError(f"The line cannot be split into arguments: {error}.") from None
    except UsageError as error:
        raise UsageError(str(error).strip().splitlines()[-1]) from None


@magics_class
class LambdaMagics(Magics):
    """The notebook face of the Lambda API."""

    @no_var_expand
    @magic_arguments("%%lambda")
    @argument("name", help="function name")
    @argument("--handler", default=None, help="module.function (default: the runtime's, such as "
                                                "lambda_function.lambda_handler)")
    @argument("--runtime", default="python3.12", help="runtime (default python3.12; nodejs20.x, provided.al2023, ...)")
    @argument("--runtime-client", default=None, help="awslambdaric: run a Python function through the Runtime API")
    @argument("--memory", type=int, default=128, help="memory in MB, 128-10240 (default 128)")
    @argument("--timeout", type=int, default=3, help="timeout in seconds, 1-900 (default 3)")
    @argument("--ephemeral-storage", type=int, default=512, help="MB of /tmp, 512-10240 (default 512)")
    @argument("--env", nargs="*", default=[], metavar="KEY=VALUE", help="environment variables")
    @argument("--description", default="", help="description")
    @argument("--role", default=None, help="execution role (name or ARN)")
    @argument("--package", default=None, metavar="DIR", help="a folder whose files join the cell in the package")
    @argument("--requirements", nargs="*", default=[], metavar="REQ",
              help="pip requirements installed into the package, such as \"pillow>=10\" (cached)")
    @argument("--layer", action="append", default=[], metavar="ARN", help="a layer version ARN (repeatable)")
    @argument("--kernel-packages", action="store_true",
              help="also import the kernel's packages: quick experiments only, AWS will not have them")
    @cell_magic("lambda")
    def lambda_cell(self, line: str, cell: str) -> None:
        """Deploy the cell as a Lambda function's code (create it, or update $LATEST)."""
        from . import api
        from . import display as views
        from .service.functions import code_warning
        args = _parse(self.lambda_cell, line)
        try:
            config = api.deploy_function(args.name, cell, handler=args.handler, runtime=args.runtime,
                                         memory_size=args.memory, timeout=args.timeout,
                                         ephemeral_storage=args.ephemeral_storage,
                                         environment=_env_pairs(args.env), description=args.description,
                                         role=args.role, runtime_client=args.runtime_client, package=args.package,
                                         requirements=args.requirements, layers=args.layer,
                                         kernel_packages=args.kernel_packages)
        except LambdaNBError as error:
            raise UsageError(str(error)) from None
        warning = code_warning(cell, config.handler) if config.runtime.startswith("python") else None
        if warning:
            print(warning)
        if not config.logs_delivered:
            print(_no_logs(config.name))
        if config.kernel_packages:
            print(f"Note: {config.name} imports the kernel's packages too; on AWS it will not run unchanged.")
        display({"text/plain": views.function_card_text(config), "text/html": views.function_card(config)}, raw=True)

    @no_var_expand
    @magic_arguments("%%lambda_file")
    @argument("name", help="function name")
    @argument("path", help="the file's path in the package, such as helpers.py or data/prices.json")
    @cell_magic("lambda_file")
    def lambda_file_cell(self, line: str, cell: str) -> None:
        """Write the cell as one more file of a function's package, and deploy it."""
        from . import api
        args = _parse(self.lambda_file_cell, line)
        try:
            config = api.put_function_file(args.name, args.path, cell)
        except LambdaNBError as error:
            raise UsageError(str(error)) from None
        print(f"{args.path} is in {config.name}'s package now ({len(config.package.files) if config.package else 0} "
              f"files, CodeSha256 {config.code_sha256}).")

    @no_var_expand
    @line_magic("lambda")
    def lambda_line(self, line: str) -> Any:
        """The Lambda service from a line; `%lambda SUBCOMMAND -h` tells each one's options.

        %lambda invoke NAME [--event JSON] [--type RequestResponse|Event|DryRun]   run the function
        %lambda logs NAME                          its CloudWatch log events
        %lambda list                               the functions of this kernel
        %lambda delete NAME                        delete a function
        %lambda role create NAME [--policy P ...]  an execution role (trusted entity: Lambda)
        %lambda drain [--timeout S]                wait for async events and event sources to finish
        %lambda console NAME                       the function's console (Test, Logs, Monitor, Configuration)
        %lambda endpoint [--port N]                serve the Lambda API for boto3 and the AWS CLI
        %lambda export NAME DIRECTORY              write code, requirements.txt and a SAM template.yaml
        %lambda url NAME [--auth-type NONE|AWS_IAM]  the function's URL (made on first use), for a browser or curl
        %lambda url API_ID --api [--stage STAGE]   an API Gateway API's invoke URL
        """
        command, _, rest = line.strip().partition(" ")
        if command not in SUBCOMMANDS:
            raise UsageError(f"%lambda takes one of: {', '.join(SUBCOMMANDS)} (got '{command or 'nothing'}').")
        try:
            return getattr(self, f"_{command}")(rest)
        except LambdaNBError as error:
            raise UsageError(str(error)) from None

    @magic_arguments("%lambda invoke")
    @argument("name")
    @argument("--event", default=None, help="the event as JSON")
    @argument("--type", default="RequestResponse", choices=("RequestResponse", "Event", "DryRun"),
              help="invocation type")
    def _invoke(self, line: str) -> Invocation:
        from . import api
        from .service.frontend import NO_PAYLOAD
        args = _parse(self._invoke, line)
        event: Any = NO_PAYLOAD
        if args.event is not None:
            try:
                event = json.loads(args.event)
            except ValueError as error:
                raise UsageError(f"--event is not valid JSON: {error}.") from None
        return api.invoke(args.name, event, invocation_type=args.type, source="magic")

    @magic_arguments("%lambda logs")
    @argument("name")
    def _logs(self, line: str) -> None:
        from . import api
        args = _parse(self._logs, line)
        if not api.get_function(args.name).logs_delivered:
            print(_no_logs(args.name))
        print(str(api.get_logs(args.name)), end="")

    @magic_arguments("%lambda list")
    def _list(self, line: str) -> None:
        from . import api
        from . import display as views
        _parse(self._list, line)
        functions = api.list_functions()
        display({"text/plain": "\n".join(views.function_card_text(f) for f in functions) or "No functions yet.",
                 "text/html": views.functions_table(functions)}, raw=True)

    @magic_arguments("%lambda role")
    @argument("action", choices=("create",))
    @argument("name")
    @argument("--policy", nargs="*", default=[], help="managed policies, e.g. AWSLambdaBasicExecutionRole")
    def _role(self, line: str) -> None:
        from . import aws
        args = _parse(self._role, line)
        arn = aws.create_role(args.name, args.policy)
        print(f"Created role {arn} with {', '.join(args.policy) or 'no policies'}.")

    @magic_arguments("%lambda drain")
    @argument("--timeout", type=float, default=None, help="seconds to wait at most")
    def _drain(self, line: str) -> None:
        from . import api
        args = _parse(self._drain, line)
        if not api.drain(args.timeout):
            print(f"Still busy after {args.timeout} s: events are waiting for a retry or in flight.")

    @magic_arguments("%lambda console")
    @argument("name")
    def _console(self, line: str) -> Console:
        args = _parse(self._console, line)
        from .widgets import console
        return console(args.name)

    @magic_arguments("%lambda endpoint")
    @argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    def _endpoint(self, line: str) -> None:
        from . import api
        args = _parse(self._endpoint, line)
        url = api.start_endpoint(args.port)
        print(f"Lambda API on {url}: boto3.client('lambda', endpoint_url='{url}') or "
              f"aws lambda invoke --endpoint-url {url} ...")

    @magic_arguments("%lambda export")
    @argument("name")
    @argument("directory")
    def _export(self, line: str) -> None:
        from . import api
        args = _parse(self._export, line)
        template = api.export_function(args.name, args.directory)
        print(f"Exported {args.name} to {args.directory}: deploy it with `sam build && sam deploy --guided` "
              f"from there ({template}).")

    @magic_arguments("%lambda url")
    @argument("name", help="a function's name, or with --api an API Gateway API's id")
    @argument("--auth-type", default="NONE", choices=("NONE", "AWS_IAM"), help="who may call it (default NONE)")
    @argument("--api", action="store_true", help="NAME is an API Gateway API's id (REST or HTTP API)")
    @argument("--stage", help="the API's stage (default: its only stage)")
    def _url(self, line: str) -> None:
        from . import api
        args = _parse(self._url, line)
        if args.api:
            if args.auth_type != "NONE":
                raise LambdaNBError("--auth-type is a function URL's: an API Gateway API's URL has none.")
            url = api.api_url(args.name, args.stage)
            browser = api.api_url(args.name, args.stage, for_browser=True)
            print(f"API {args.name}'s invoke URL: {url}"
                  + (f"\nfrom your browser: {browser}" if browser != url else ""))
            return
        try:
            described = api.get_function_url_config(args.name)
        except ResourceNotFoundException:
            described = api.create_function_url_config(args.name, auth_type=args.auth_type)
            if args.auth_type == "NONE":
                api.lambda_service().allow_public_function_url(args.name)
        url = described["FunctionUrl"]
        browser = api.lambda_service().function_url_for_browser(args.name)
        print(f"{args.name}'s function URL: {url}" + (f"\nfrom your browser: {browser}" if browser != url else ""))

    @magic_arguments("%lambda delete")
    @argument("name")
    def _delete(self, line: str) -> None:
        from . import api
        args = _parse(self._delete, line)
        api.delete_function(args.name)
        print(f"Deleted function {args.name}.")


