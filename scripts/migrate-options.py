#!/usr/bin/env python3
"""One-off migration (issue 13): turn a module's `spec` + `Arguments` pair into `@Option` declarations.
Usage: migrate-options.py FILE...  Files it cannot migrate safely are left alone and named on stderr."""
import re, sys

def balanced(s, i):
    """Index after the bracket closing the one at s[i], skipping string literals."""
    opening = s[i]; closing = {'(': ')', '[': ']', '{': '}'}[opening]
    depth = 0; j = i
    while j < len(s):
        c = s[j]
        if c == '"':
            if s.startswith('"""', j):
                j = s.index('"""', j + 3) + 3; continue
            j += 1
            while s[j] != '"':
                j += 2 if s[j] == '\\' else 1
        elif c in '([{': depth += 1
        elif c in ')]}':
            depth -= 1
            if depth == 0: return j + 1
        j += 1
    raise ValueError("unbalanced")

def migrate(path):
    s = open(path).read()
    m = re.search(r'public static let spec = ArgumentSpec\(\[', s)
    if not m: return "no literal spec"
    call_start = m.end() - 2            # the '(' of ArgumentSpec(
    call_end = balanced(s, call_start)
    list_start = m.end() - 1
    list_end = balanced(s, list_start)
    rest = s[list_end:call_end - 1]      # ", mutuallyExclusive: ..." or "+ X" or ""
    shared = []
    if rest.lstrip().startswith('+ FileAttributes.options'):
        shared = ['mode', 'owner', 'group']
        rest = rest.lstrip()[len('+ FileAttributes.options'):]
    if rest.strip() and not rest.lstrip().startswith(','): return "spec adds options from elsewhere"
    entries = []; j = list_start + 1
    body = s[list_start + 1:list_end - 1]
    k = 0
    while True:
        n = body.find('OptionSpec(', k)
        if n < 0: break
        e = balanced(body, n + len('OptionSpec'))
        entries.append(body[n + len('OptionSpec('):e - 1])
        k = e
    if re.sub(r'OptionSpec\(', '', body).count('OptionSpec'): return "odd spec"
    a = re.search(r'public struct Arguments: Decodable, Sendable \{', s)
    if not a: return "no Arguments struct"
    a_end = balanced(s, a.end() - 1)
    a_body = s[a.end():a_end - 1]
    fields = dict((n.strip('`'), t) for n, t in re.findall(r'^\s*var (`?\w+`?): ([^\n{=]+?)\s*$', a_body, re.M))
    names = [re.match(r'\s*"(\w+)"', e).group(1) for e in entries]
    free = '_raw_params' in fields and '_raw_params' not in names
    if free: fields.pop('_raw_params')
    if set(fields) != set(names + shared): return f"fields {sorted(set(fields) ^ set(names + shared))} do not match the spec"
    indent = '        '
    def swift_name(n): return '`' + n + '`' if n in ('protocol', 'default', 'class') else n
    declared = [f'{indent}@Option({" ".join(l.strip() for l in e.splitlines())}) var {swift_name(n)}: {fields[n]}' for n, e in zip(names, entries)]
    declared += [f'{indent}@Option(FileAttributes.{n}) var {n}: {fields[n]}' for n in shared]
    if free: declared.insert(0, f'{indent}/// Free-form text after the module name.\n{indent}var _raw_params: String? = nil')
    others = re.sub(r'^\s*var (`?\w+`?): ([^\n{=]+?)\s*$\n?', '', a_body, flags=re.M)
    new_args = 'public struct Arguments: ModuleArguments {\n' + '\n'.join(declared) + '\n' + others.rstrip() + '\n\n        public init() {}\n    }'
    new_args = new_args.replace('\n\n\n', '\n\n')
    s = s[:a.start()] + new_args + s[a_end:]
    rest_args = rest.strip()
    s = s[:m.start()] + 'public static let spec = ArgumentSpec(Arguments.self' + (', ' + rest_args.lstrip(',').strip() if rest_args else '') + ')' + s[call_end:]
    open(path, 'w').write(s)
    return None

for path in sys.argv[1:]:
    why = migrate(path)
    print(f"{path}: {'migrated' if why is None else 'left: ' + why}", file=sys.stderr)
