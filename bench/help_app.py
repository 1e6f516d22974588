"""Write the floor for the ``help`` benchmark: a bare typer app with ordertrack's command tree.

usage: help_app.py OUT_DIR [--app MODULE:ATTR] [--main MODULE:FUNC]

Run with the interpreter ordertrack is installed in. It walks
``typer.main.get_command(ordertrack.cli.app)`` — groups, commands, their names, help texts,
options and arguments (with the original annotations and ``typer.Option``/``typer.Argument``
settings) — and writes two files to OUT_DIR:

* ``ot_help_floor.py``: a typer app with the same tree, the same typer settings (markup mode,
  help option names, no_args_is_help, …) and empty command bodies. It imports typer and the
  standard library only, nothing from ordertrack.
* ``ot_help_floor_main.py``: ordertrack's console script with its import line pointed at the
  floor, so both sides start the same way (``python SCRIPT --help``).

It prints one JSON line: counts, every command path (to compare ``--help`` outputs) and any
warnings (a setting it could not reproduce). The floor is regenerated on every bench run, so
it stays fair as commands are added.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import enum
import importlib
import inspect
import json
import pathlib
import sys
import types
import typing
import uuid
from pathlib import Path
from typing import Any

import typer
import typer.main
import typer.models
import typer.utils

FLOOR_MODULE = "ot_help_floor"
COMPLETION_PARAMS = {"install_completion", "show_completion"}
# typer.Typer(...) settings read back from a click group (name on the group = keyword).
GROUP_SETTINGS = (
    "help",
    "epilog",
    "short_help",
    "options_metavar",
    "no_args_is_help",
    "invoke_without_command",
    "subcommand_metavar",
    "chain",
    "hidden",
    "deprecated",
    "add_help_option",
    "rich_markup_mode",
    "suggest_commands",
    "context_settings",
)
COMMAND_SETTINGS = (
    "help",
    "epilog",
    "short_help",
    "options_metavar",
    "no_args_is_help",
    "hidden",
    "deprecated",
    "add_help_option",
    "rich_help_panel",
    "context_settings",
)
STDLIB_TYPES = {pathlib: "pathlib", datetime: "datetime", uuid: "uuid", decimal: "decimal"}


class Writer:
    """Accumulates the floor module's source."""

    def __init__(self) -> None:
        self.imports: set[str] = {"import typer", "from typing import Annotated"}
        self.prelude: list[str] = []  # enums and stub callables
        self.body: list[str] = []
        self.names: set[str] = set()
        self.enums: dict[type, str] = {}
        self.warnings: list[str] = []
        self.n_commands = 0
        self.n_groups = 0
        self.n_params = 0
        self.paths: list[list[str]] = [[]]

    def fresh(self, base: str) -> str:
        base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in base) or "x"
        if base[0].isdigit():
            base = "_" + base
        name, i = base, 1
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    # -- types and values ------------------------------------------------------------------

    def type_src(self, tp: Any, where: str) -> str:
        if tp is type(None) or tp is None:
            return "None"
        if tp is Any:
            self.imports.add("from typing import Any")
            return "Any"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Union or origin is types.UnionType:
            return " | ".join(self.type_src(a, where) for a in args)
        if origin is typing.Literal:
            self.imports.add("from typing import Literal")
            return f"Literal[{', '.join(repr(a) for a in args)}]"
        if origin is typing.Annotated:
            return self.type_src(args[0], where)
        if origin in (list, tuple, set, frozenset):
            if not args:
                return origin.__name__
            return f"{origin.__name__}[{', '.join(self.type_src(a, where) for a in args)}]"
        if origin is not None:
            self.warnings.append(f"{where}: generic {tp!r} written as str")
            return "str"
        if isinstance(tp, type):
            if tp.__module__ == "builtins":
                return tp.__name__
            if isinstance(tp, enum.EnumMeta):
                return self.enum_src(tp)
            if tp.__module__.split(".")[0] == "typer" and getattr(typer, tp.__name__, None) is tp:
                return f"typer.{tp.__name__}"
            for module, name in STDLIB_TYPES.items():
                if getattr(module, tp.__name__, None) is tp:
                    self.imports.add(f"import {name}")
                    return f"{name}.{tp.__name__}"
        self.warnings.append(f"{where}: type {tp!r} written as str")
        return "str"

    def enum_src(self, cls: type[enum.Enum]) -> str:
        if cls in self.enums:
            return self.enums[cls]
        name = self.fresh(cls.__name__)
        self.enums[cls] = name
        self.imports.add("import enum")
        bases = [b.__name__ for b in (str, int) if issubclass(cls, b)] + ["enum.Enum"]
        lines = [f"class {name}({', '.join(bases)}):"]
        lines += [f"    {m.name} = {m.value!r}" for m in cls]  # type: ignore[var-annotated]
        self.prelude += [*lines, "", ""]
        return name

    def value_src(self, value: Any, where: str) -> str:
        if isinstance(value, enum.Enum):
            return f"{self.enum_src(type(value))}.{value.name}"
        if value is None or isinstance(value, bool | int | float | str | bytes):
            return repr(value)
        if isinstance(value, list | tuple | set | frozenset):
            inner = ", ".join(self.value_src(v, where) for v in value)
            if isinstance(value, list):
                return f"[{inner}]"
            if isinstance(value, tuple):
                return f"({inner}{',' if len(value) == 1 else ''})"
            return f"{type(value).__name__}([{inner}])"
        if isinstance(value, pathlib.PurePath):
            self.imports.add("import pathlib")
            return f"pathlib.{type(value).__name__}({str(value)!r})"
        if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
            self.imports.add("import datetime")
            return repr(value)
        if isinstance(value, dict):
            items = ", ".join(
                f"{self.value_src(k, where)}: {self.value_src(v, where)}" for k, v in value.items()
            )
            return "{" + items + "}"
        self.warnings.append(f"{where}: value {value!r} written as None")
        return "None"

    # -- callables -------------------------------------------------------------------------

    def stub(self, kind: str, func: Any, where: str) -> str:
        """An empty stand-in with the same parameters, so typer inspects it the same way."""
        name = self.fresh(f"_{kind}")
        params = []
        value_param = None
        try:
            sig = inspect.signature(func)
            hints = typing.get_type_hints(func)
        except (TypeError, ValueError, NameError):
            sig, hints = None, {}
        for p in sig.parameters.values() if sig else []:
            ann = hints.get(p.name)
            src = p.name if ann is None else f"{p.name}: {self.type_src(ann, where)}"
            if p.default is not inspect.Parameter.empty:
                src += " = None"
            params.append(src)
            if ann not in (typer.Context, typer.CallbackParam) and value_param is None:
                value_param = p.name
        if kind == "callback" or kind == "parser":
            ret = value_param or "None"
        elif kind == "default_factory":
            ret = "None"
        else:  # autocompletion / shell_complete
            ret = "[]"
        self.prelude += [f"def {name}({', '.join(params)}):", f"    return {ret}", "", ""]
        return name

    # -- parameters ------------------------------------------------------------------------

    def info_src(self, info: typer.models.ParameterInfo, where: str) -> str:
        is_option = isinstance(info, typer.models.OptionInfo)
        fresh = typer.Option() if is_option else typer.Argument()
        args = [repr(d) for d in getattr(info, "param_decls", None) or ()]
        for key, value in vars(info).items():
            if key in ("default", "param_decls") or vars(fresh).get(key, object()) == value:
                continue
            if key in ("callback", "parser", "autocompletion", "shell_complete", "default_factory"):
                if value is not None:
                    args.append(f"{key}={self.stub(key, value, where)}")
                continue
            if key == "click_type":
                self.warnings.append(f"{where}: custom click_type left out")
                continue
            if key == "path_type":
                args.append(f"{key}={self.type_src(value, where)}")
                continue
            args.append(f"{key}={self.value_src(value, where)}")
        return f"typer.{'Option' if is_option else 'Argument'}({', '.join(args)})"

    def param_src(self, meta: Any, where: str) -> str:
        where = f"{where} {meta.name}"
        if meta.annotation in (typer.Context, typer.CallbackParam):
            return f"{meta.name}: typer.{meta.annotation.__name__}"
        ann = (
            "str"
            if meta.annotation is inspect.Parameter.empty
            else self.type_src(meta.annotation, where)
        )
        self.n_params += 1
        default = meta.default
        if isinstance(default, typer.models.ParameterInfo):
            src = f"{meta.name}: Annotated[{ann}, {self.info_src(default, where)}]"
            if default.default is not typer.models.Required and default.default_factory is None:
                src += f" = {self.value_src(default.default, where)}"
            return src
        src = f"{meta.name}: {ann}"
        if default is not inspect.Parameter.empty:
            src += f" = {self.value_src(default, where)}"
        return src

    def signature(self, cmd: Any, where: str) -> str:
        """Keyword-only parameters, so options with defaults may precede required arguments."""
        func = getattr(cmd.callback, "__wrapped__", None)
        if func is None:
            if any(p.name not in COMPLETION_PARAMS for p in cmd.params):
                self.warnings.append(f"{where}: no original function; parameters left out")
            return ""
        metas = typer.utils.get_params_from_function(func)
        params = [self.param_src(m, where) for m in metas.values()]
        return f"*, {', '.join(params)}" if params else ""

    # -- tree ------------------------------------------------------------------------------

    @staticmethod
    def settings(obj: Any, names: tuple[str, ...], reference: dict[str, Any]) -> list[str]:
        out = []
        for name in names:
            if not hasattr(obj, name):
                continue
            value = getattr(obj, name)
            if name == "context_settings" and not value:
                continue
            if name not in ("help", "rich_markup_mode") and reference.get(name) == value:
                continue
            if name == "help" and value is None:
                continue
            out.append(f"{name}={value!r}")
        return out

    def group(self, cmd: Any, var: str, path: list[str], root: bool) -> None:
        self.n_groups += 1
        ref_group = typer.main.get_command(_reference_app(group=True)).commands["g"]
        kwargs = self.settings(cmd, GROUP_SETTINGS, vars(ref_group))
        if root:
            has_completion = any(p.name in COMPLETION_PARAMS for p in cmd.params)
            kwargs.append(f"add_completion={has_completion!r}")
        self.body.append(f"{var} = typer.Typer({', '.join(kwargs)})")
        where = " ".join(["ordertrack", *path])
        if cmd.callback is not None:
            name = self.fresh(f"_{var}_callback")
            self.body += [f"@{var}.callback()", f"def {name}({self.signature(cmd, where)}):"]
            self.body += ["    pass", ""]
        for sub_name, sub in cmd.commands.items():
            sub_path = [*path, sub_name]
            self.paths.append(sub_path)
            if hasattr(sub, "commands"):
                sub_var = self.fresh(f"{sub_name}_app")
                self.group(sub, sub_var, sub_path, root=False)
                panel = getattr(sub, "rich_help_panel", None)
                extra = f", rich_help_panel={panel!r}" if panel else ""
                self.body.append(f"{var}.add_typer({sub_var}, name={sub_name!r}{extra})")
            else:
                self.command(sub, var, sub_name, sub_path)
        self.body.append("")

    def command(self, cmd: Any, var: str, name: str, path: list[str]) -> None:
        self.n_commands += 1
        ref_cmd = typer.main.get_command(_reference_app(group=False)).commands["c"]
        kwargs = [repr(name), *self.settings(cmd, COMMAND_SETTINGS, vars(ref_cmd))]
        func = self.fresh(f"{'_'.join(path)}_cmd")
        where = " ".join(["ordertrack", *path])
        self.body += [f"@{var}.command({', '.join(kwargs)})"]
        self.body += [f"def {func}({self.signature(cmd, where)}):", "    pass", ""]

    def source(self, prog_name: str) -> str:
        head = [
            '"""Generated by bench/help_app.py from ordertrack\'s command tree: the floor of the',
            "`help` benchmark. Same groups, commands, options and help texts; empty bodies; no",
            'ordertrack imports. Regenerated on every bench run: do not edit."""',
            "",
        ]
        std = sorted(i for i in self.imports if i.startswith("import ") and i != "import typer")
        frm = sorted(i for i in self.imports if i.startswith("from "))
        tail = [
            "",
            "def main() -> None:",
            "    import sys",
            "",
            f"    sys.exit(app(prog_name={prog_name!r}) or 0)",
            "",
        ]
        lines = [*head, *std, *frm, "", "import typer", "", "", *self.prelude, *self.body, *tail]
        return "\n".join(lines)


_REFERENCE: dict[bool, typer.Typer] = {}


def _reference_app(group: bool) -> typer.Typer:
    """A default typer group / command, to tell which settings ordertrack changed."""
    if group not in _REFERENCE:
        app = typer.Typer()
        sub = typer.Typer()
        sub.command("x")(lambda: None)
        app.add_typer(sub, name="g")
        app.command("c")(lambda: None)
        _REFERENCE[group] = app
    return _REFERENCE[group]


def main_script(console_script: Path | None, module: str, func: str) -> str:
    """The console script's text with its import pointed at the floor (same start-up path)."""
    target = f"from {module} import {func}"
    if console_script and console_script.is_file():
        text = console_script.read_text()
        if target in text:
            return text.replace(target, f"from {FLOOR_MODULE} import main")
    return (
        "import re\nimport sys\n"
        f"from {FLOOR_MODULE} import main\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit(main())\n"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--app", default="ordertrack.cli:app")
    ap.add_argument("--main", default="ordertrack.cli:main", help="console-script entry point")
    ap.add_argument("--prog-name", default="ordertrack")
    ap.add_argument("--console-script", type=Path, help="ordertrack's console script, to mirror")
    a = ap.parse_args()

    mod_name, attr = a.app.split(":")
    app = getattr(importlib.import_module(mod_name), attr)
    root = typer.main.get_command(app)
    w = Writer()
    w.names.add("app")
    w.names.add("main")
    if hasattr(root, "commands"):
        w.group(root, "app", [], root=True)
    else:  # a single-command app
        w.body.append("app = typer.Typer()")
        w.command(root, "app", root.name or "main", [])
    src = w.source(a.prog_name)
    compile(src, FLOOR_MODULE + ".py", "exec")  # fail here, not in the timed runs

    a.out_dir.mkdir(parents=True, exist_ok=True)
    (a.out_dir / f"{FLOOR_MODULE}.py").write_text(src, encoding="utf-8")
    main_mod, main_func = a.main.split(":")
    script = a.out_dir / f"{FLOOR_MODULE}_main.py"
    script.write_text(main_script(a.console_script, main_mod, main_func), encoding="utf-8")
    print(
        json.dumps(
            {
                "module": str(a.out_dir / f"{FLOOR_MODULE}.py"),
                "script": str(script),
                "groups": w.n_groups,
                "commands": w.n_commands,
                "params": w.n_params,
                "paths": w.paths,
                "warnings": w.warnings,
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
