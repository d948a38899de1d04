#!/usr/bin/env python3
"""Fills in or checks the expectations of Keel's template corpus with the real thing.

Every case in Tests/KeelTemplateTests/Corpus/*.json is rendered by Jinja2 3.1.6 configured as Ansible
configures it (trim_blocks, Ansible's output finalization, StrictUndefined with Ansible's chaining of attribute access on undefined
values, the loopcontrols and do extensions) with ansible-core's own filters and tests imported from its
plugins. Run it with the oracle venv's python (bash scripts/python-oracles.sh prints the venv path):

    $VENV/bin/python scripts/jinja-corpus.py --write   # record expectations
    $VENV/bin/python scripts/jinja-corpus.py --check   # fail naming every case that differs
"""
import argparse
import copy
import glob
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("ANSIBLE_DEPRECATION_WARNINGS", "False")

try:
    import jinja2
    from jinja2 import Environment, StrictUndefined
    from jinja2.nativetypes import NativeCodeGenerator
    from ansible.plugins.filter import core as filter_core, mathstuff as filter_math, urls as filter_urls
    from ansible.plugins.test import core as test_core, mathstuff as test_math
    from ansible._internal._templating._jinja_common import UndefinedMarker
except ImportError as error:  # pragma: no cover - setup problem
    sys.exit(f"missing oracle ({error}); run: bash scripts/python-oracles.sh and use its venv's python")

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "KeelTemplateTests", "Corpus")


class ChainedStrictUndefined(UndefinedMarker):
    """StrictUndefined as Ansible's filters and tests recognise it (an UndefinedMarker), keeping Jinja2's
    messages; attribute and item access on an undefined value stay undefined, as Ansible's undefined does
    (so `foo.bar | default(1)` works when foo is undefined)."""

    def __init__(self, hint=None, obj=jinja2.utils.missing, name=None, exc=jinja2.exceptions.UndefinedError):
        StrictUndefined.__init__(self, hint, obj, name, exc)
        self._marker_template_source = None

    def __getattr__(self, name):
        if name[:2] == "__":
            raise AttributeError(name)
        return self

    def __getitem__(self, key):
        return self


def ansible_finalize(value):
    """Ansible 2.19 drops None-valued output nodes (no literal "None" in rendered text) and stores
    template results in lists, never tuples; mirror both so the expectations are what Ansible prints."""
    if value is None:
        return ""
    return detuple(value)


def detuple(value):
    if isinstance(value, (list, tuple)):
        return [detuple(v) for v in value]
    if isinstance(value, dict):
        return {k: detuple(v) for k, v in value.items()}
    return value


class VerbatimStringLexer(jinja2.lexer.Lexer):
    """Ansible's escape_backslashes for strings from YAML: backslashes in string literals inside {{ }}
    are doubled before Jinja2 interprets escapes, so they are kept as written. Template files (the
    `template` module) and bare expressions (`when:`) are compiled without it."""

    def tokeniter(self, source, name, filename=None, state=None):
        in_variable = False
        for token in super().tokeniter(source, name, filename, state):
            kind = token[1]
            if kind == jinja2.lexer.TOKEN_VARIABLE_BEGIN:
                in_variable = True
            elif kind == jinja2.lexer.TOKEN_VARIABLE_END:
                in_variable = False
            elif in_variable and kind == jinja2.lexer.TOKEN_STRING:
                token = (token[0], kind, token[2].replace("\\", "\\\\"))
            yield token


class AnsibleLikeEnvironment(Environment):
    escape_backslashes = True

    @property
    def lexer(self):
        if not self.escape_backslashes:
            return jinja2.lexer.get_lexer(self)
        return VerbatimStringLexer(self)


class NativeAnsibleLikeEnvironment(AnsibleLikeEnvironment):
    """Output nodes keep their Python values (Jinja2's native code generator)."""
    code_generator_class = NativeCodeGenerator


def environment(options, native=False, loader=None):
    env = (NativeAnsibleLikeEnvironment if native else AnsibleLikeEnvironment)(
        loader=loader,
        finalize=native_finalize if native else ansible_finalize,
        undefined=ChainedStrictUndefined,
        trim_blocks=options.get("trim_blocks", True),
        lstrip_blocks=options.get("lstrip_blocks", False),
        keep_trailing_newline=False,
        extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"],
    )
    env.escape_backslashes = options.get("escape_backslashes", True)
    for module in (filter_core, filter_math, filter_urls):
        env.filters.update(module.FilterModule().filters())
    for module in (test_core, test_math):
        env.tests.update(module.TestModule().tests())
    return env


@jinja2.pass_context
def native_finalize(_context, value):
    """Like Ansible's finalize: taking the context stops Jinja2 from folding constant output into text."""
    return detuple(value)


def native_environment(options, loader=None):
    return environment(options, native=True, loader=loader)


def case_loader(case):
    """A case with "loader": "templates" may include, import and extend the fixture templates in
    Corpus/templates, found as the template module finds them (Jinja2's FileSystemLoader)."""
    folder = case.get("loader")
    return jinja2.FileSystemLoader(os.path.join(CORPUS, folder)) if folder else None


def count_trailing_newlines(text):
    return len(text) - len(text.rstrip("\n"))


def plain(value):
    """Native values as JSON: tuples are lists, keys are strings."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # raises the undefined error
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "__iter__") and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    return str(value)


def run(case):
    env = environment(case.get("options", {}), loader=case_loader(case))
    variables = copy.deepcopy(case.get("vars", {}))  # templates may mutate them ({% do l.append(1) %})
    source = case["template"]
    try:
        if case.get("mode") == "native":
            # Ansible's native rendering: the template's output nodes, None-valued ones dropped; one node
            # keeps its type, none is None, several are joined as text.
            template = native_environment(case.get("options", {}), loader=case_loader(case)).from_string(source)
            nodes = [n for n in template.root_render_func(template.new_context(variables)) if n is not None]
            if len(nodes) == 1:
                return {"expected": plain(nodes[0])}
            if not nodes:
                return {"expected": None}
            text = "".join(str(detuple(n)) for n in nodes)
            missing = count_trailing_newlines(source) - count_trailing_newlines(text)
            return {"expected": text + "\n" * max(0, missing)}
        text = env.from_string(source).render(**variables)
        missing = count_trailing_newlines(source) - count_trailing_newlines(text)
        if missing > 0:
            text += "\n" * missing
        return {"expected": text}
    except Exception as error:  # every failure is an expectation too
        kind = "UndefinedError" if isinstance(error, jinja2.exceptions.UndefinedError) else type(error).__name__
        # The corpus folder's absolute path (in TemplateNotFound's search path) depends on the checkout.
        message = str(error).split("\n")[0].replace(CORPUS, "<corpus>")
        return {"error": {"type": kind, "message": message}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="record expectations into the corpus files")
    group.add_argument("--check", action="store_true", help="exit non-zero naming cases whose expectation differs")
    args = parser.parse_args()
    differing = []
    total = 0
    seen = set()
    for path in sorted(glob.glob(os.path.join(CORPUS, "*.json"))):
        with open(path, encoding="utf-8") as handle:
            cases = json.load(handle)
        for case in cases:
            total += 1
            if case["id"] in seen:
                sys.exit(f"duplicate case id {case['id']} in {path}")
            seen.add(case["id"])
            outcome = run(case)
            recorded = {k: case[k] for k in ("expected", "error") if k in case}
            if recorded != outcome:
                differing.append(case["id"])
            if args.write:
                case.pop("expected", None)
                case.pop("error", None)
                case.update(outcome)
        if args.write:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]\n")
    if args.write:
        print(f"{total} cases written, {len(differing)} changed")
        return 0
    if differing:
        print(f"{len(differing)} of {total} cases differ from Jinja2: " + ", ".join(differing))
        return 1
    print(f"all {total} cases match Jinja2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
