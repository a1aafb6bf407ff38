"""OCI Data Science: `usage`, and the service pack flags of `list`, `install`, `publish`.

`list --service`, `install -s SLUG --service` and `publish --from-service SLUG` extend the
commands that install.py and stores.py define (registered before this module), so that
each verb keeps one parser; `install --force` installs a pack that preflight refuses.
"""

from __future__ import annotations

import yaml

from ..errors import InvalidInput
from ..oci_usage import TARGETS, usage
from .common import emit, finish_command, operation_params, run_cli_operation, settings_from_args
from .install import _table


def add_service_index_flag(parser) -> None:
    parser.add_argument(
        "--service-index",
        metavar="URI",
        help="Oracle's service pack index (default: the one of your region)",
    )


def register(subparsers) -> None:
    commands = subparsers.choices
    install = commands["install"]
    install.add_argument("--service", action="store_true", help="-s names a service pack")
    install.add_argument("--force", action="store_true", help="install a pack unfit for this host")
    add_service_index_flag(install)
    install.set_defaults(handler=_with_service_install(install.get_default("handler")))

    listing = commands["list"]
    listing.add_argument("--service", action="store_true", help="Oracle's service packs")
    add_service_index_flag(listing)
    listing.set_defaults(handler=_with_service_list(listing.get_default("handler")))

    publish = commands["publish"]
    publish.add_argument("--from-service", metavar="SLUG", help="copy a service pack")
    add_service_index_flag(publish)
    publish.set_defaults(handler=_with_service_publish(publish.get_default("handler")))

    use = subparsers.add_parser(
        "usage",
        help="what to paste to use a pack in OCI Jobs, Pipelines, deployments, Data Flow",
        description="Print the environment variables, runtime.yaml block or Spark setting "
        "that makes an OCI Data Science resource use the pack, and the IAM policy it needs.",
    )
    source = use.add_mutually_exclusive_group(required=True)
    source.add_argument("-u", "--conda-uri", metavar="URI", help="oci://bucket@namespace/object")
    source.add_argument("-s", "--slug", help="slug of a published (or --service) pack")
    use.add_argument("--service", action="store_true", help="-s names a service pack")
    use.add_argument("--for", dest="target", required=True, choices=TARGETS, help="where")
    use.add_argument("--region", help="the pack bucket's region (default: your auth's)")
    add_service_index_flag(use)
    finish_command(use, run_usage, store=True)


def _with_service_install(install_handler):
    def handler(args):
        if args.service and not args.slug:
            raise InvalidInput("--service installs by slug: give -s SLUG")
        return install_handler(args)

    return handler


def _with_service_list(list_handler):
    def handler(args):
        if not args.service:
            return list_handler(args)
        if args.local or args.published or args.rescan:
            raise InvalidInput("--service lists Oracle's packs: leave out --local/--published")
        from ..service_packs import service_packs

        index, rows = service_packs(settings_from_args(args))
        if args.json:
            return emit(args, rows, "")
        print(_table(rows, local=False) if rows else f"no service packs in {index}")

    return handler


def _with_service_publish(publish_handler):
    def handler(args):
        if not args.from_service:
            return publish_handler(args)
        if args.slug or args.environment_file:
            raise InvalidInput("--from-service copies a service pack: leave out -s and -f")
        params = operation_params(args, ("overwrite",))
        result = run_cli_operation("publish_service", {**params, "slug": args.from_service}, args)
        emit(args, result, f"copied {result['source']}\n  to {result['uri']}")

    return handler


def run_usage(args) -> None:
    params = operation_params(args, ("conda_uri", "slug", "service", "target", "region"))
    if args.service and not args.slug:
        raise InvalidInput("--service names a service pack by slug: give -s SLUG")
    result = usage(params, settings_from_args(args))
    emit(args, result, _describe(result))


def _describe(result: dict) -> str:
    lines = [f"# {result['target']}: {result['pack']['uri'] or result['pack']['slug']}"]
    if "env" in result:
        lines += ["# environment variables"] + [f"{k}={v}" for k, v in result["env"].items()]
    if "runtime_yaml" in result:
        lines += ["# runtime.yaml", yaml.safe_dump(result["runtime_yaml"], sort_keys=False)]
    if "spark_conf" in result:
        lines += ["# Spark configuration"] + [f"{k} = {v}" for k, v in result["spark_conf"].items()]
    if "ads_python" in result:
        lines += ["# with ADS", result["ads_python"]]
    policy = result["policy"]
    lines += ["# IAM: dynamic group matching rule", policy["dynamic_group_rule"]]
    lines += ["# IAM: policy"] + (policy["statements"] or [policy.get("note", "")])
    return "\n".join(lines)
