"""How far apart the lessons' checks land under different BLAS kernels and thread counts.

A check about a training run must hold on every machine a learner may have, yet the last bits of a
matrix product depend on the BLAS kernel (OpenBLAS picks one for the CPU: SkylakeX, Haswell,
Sandybridge, ...) and on how many threads share it, and a chaotic run turns those bits into a
different trajectory. This script executes lessons under several settings and reports, for every
comparison inside every check cell (``a < b``, ``x > 0.9``, ...), the two sides and the margin by
which it holds under each setting: the spread of the margin across settings is what a check has to
survive, and a check whose margin is not a healthy multiple of that spread is listed as fragile.

    .venv/bin/python tests/portability.py 05 11             # two lessons, the default settings
    .venv/bin/python tests/portability.py --settings default:1 Haswell:2 --json out.json 10

Each lesson runs once per setting, in a fresh Python process with ``OPENBLAS_CORETYPE`` and
``OPENBLAS_NUM_THREADS`` (and ``OMP_NUM_THREADS``) set, its code cells executed in order by an
IPython shell (as a kernel would, without the messaging). In the check cells every ``assert`` is
rewritten so that it records the values of each comparison in its condition instead of raising:
a failing check is reported and the lesson goes on, so one run measures all of its checks.
``make test-portability`` is the pass/fail companion: it runs the lessons' checks under other
kernels with nbval, as ``make test`` does under the default one.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
# "default" is the kernel OpenBLAS picks for this CPU (SkylakeX on the course's CI machine)
DEFAULT_SETTINGS = ["default:1", "default:2", "Haswell:1", "Sandybridge:1"]
# A check is fragile when its smallest margin is less than this many times the margin's spread.
HEALTHY = 3.0

# Executed in the child process: argv[1] is the notebook. Prints one JSON line: the BLAS the process
# runs on, per check cell the comparisons it recorded, the cells that raised, and the seconds taken.
RUNNER = r'''
import ast, json, sys, time
import numpy as np
import nbformat
from IPython.core.interactiveshell import InteractiveShell

OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
       ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
records, current = {}, {"cell": None, "source": ""}


def number(value):
    """A float for a real number or a numeric array (its values as a flat array), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None
    return array if array.size else None


def margin(op, left, right):
    """How far ``left op right`` holds (negative: by how far it fails), the worst element of arrays."""
    if op in ("<", "<="):
        return float(np.min(right - left))
    if op in (">", ">="):
        return float(np.min(left - right))
    return None


def compare(site, left, ops, rights):
    """Evaluate a chained comparison exactly as Python would, and record each link's two sides."""
    for link, (op, right) in enumerate(zip(ops, rights)):
        result = TESTS[op](left, right)
        record(site, op, left, right, result)
        if link == len(ops) - 1 or not result:
            return result
        left = right


TESTS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
         ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
         "is": lambda a, b: a is b, "is not": lambda a, b: a is not b,
         "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}


def record(site, op, left, right, result):
    """Keep one comparison's sides; of a comparison made many times (a loop), its worst case.
    Whatever goes wrong here is recorded, never raised into the lesson."""
    try:
        keep(site, op, left, right, result)
    except Exception as error:  # noqa: BLE001 - measuring must not change what the lesson does
        records.setdefault(current["cell"], {}).setdefault(
            f"{site[0]}:{site[1]}", {"text": site[2], "assert": site[3], "calls": 0, "op": op,
                                     "unrecorded": f"{type(error).__name__}: {error}"[:200]})


def keep(site, op, left, right, result):
    a, b = number(left), number(right)
    entry = {"op": op}
    try:
        holds = bool(np.all(result))
    except (TypeError, ValueError):
        holds = None
    if a is not None and b is not None and op in ("<", "<=", ">", ">="):
        try:
            entry.update(margin=margin(op, a, b), left=float(np.min(a) if op[0] == ">" else np.max(a)),
                         right=float(np.max(b) if op[0] == ">" else np.min(b)))
        except ValueError:
            entry.update(holds=holds)
    elif op in ("==", "!=") and a is not None and b is not None and a.size == 1 and b.size == 1:
        entry.update(left=float(a.item()), right=float(b.item()))
    else:
        entry.update(holds=holds)
    seen = records.setdefault(current["cell"], {}).setdefault(
        f"{site[0]}:{site[1]}", {"text": site[2], "assert": site[3], "calls": 0})
    seen["calls"] += 1
    if "margin" in entry:
        if "margin" not in seen or entry["margin"] < seen["margin"]:
            seen.update(entry)
    elif "op" not in seen or (entry.get("holds") is False):
        seen.update(entry)


def check(line, passed):
    """An assert's outcome, recorded rather than raised."""
    try:
        passed = bool(passed)
    except Exception:  # noqa: BLE001 - an ambiguous truth value fails, as it would in the lesson
        passed = False
    outcomes = records.setdefault(current["cell"], {}).setdefault("asserts", {})
    outcomes[str(line)] = outcomes.get(str(line), True) and passed


class Recorder(ast.NodeTransformer):
    """Every assert records its outcome; every comparison inside one records its two sides."""

    assert_line = None

    def visit_Assert(self, node):
        self.assert_line = node.lineno
        self.generic_visit(node)
        self.assert_line = None
        call = ast.Call(ast.Name("__portability_check", ast.Load()),
                        [ast.Constant(node.lineno), node.test], [])
        return ast.copy_location(ast.Expr(call), node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if self.assert_line is None or not all(type(o) in OPS for o in node.ops):
            return node
        text = ast.get_source_segment(current["source"], node) or ast.unparse(node)
        site = ast.Tuple([ast.Constant(node.lineno), ast.Constant(node.col_offset),
                          ast.Constant(text[:160]), ast.Constant(self.assert_line)], ast.Load())
        ops = ast.List([ast.Constant(OPS[type(o)]) for o in node.ops], ast.Load())
        call = ast.Call(ast.Name("__portability_compare", ast.Load()),
                        [site, node.left, ops, ast.List(node.comparators, ast.Load())], [])
        return ast.copy_location(call, node)


class OnlyInChecks(ast.NodeTransformer):
    def visit_Module(self, node):
        if current["cell"] is None:
            return node
        return ast.fix_missing_locations(Recorder().visit(node))


def blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown"
    return ", ".join(f"{i.get('internal_api')} {i.get('architecture')} x{i.get('num_threads')}"
                     for i in threadpool_info() if i.get("user_api") == "blas") or "unknown"


nb = nbformat.read(sys.argv[1], as_version=4)
shell = InteractiveShell.instance()
shell.register_magic_function(lambda line: None, "line", "matplotlib")   # plots go to Agg
shell.user_ns.update(__portability_compare=compare, __portability_check=check)
shell.ast_transformers.append(OnlyInChecks())
start, errors, seconds = time.perf_counter(), {}, {}
for index, cell in enumerate(nb.cells):
    if cell.cell_type != "code":
        continue
    is_check = cell.source.lstrip().startswith("# CHECK")
    current.update(cell=index if is_check else None,
                   source=shell.transform_cell(cell.source) if is_check else "")
    began = time.perf_counter()
    result = shell.run_cell(cell.source, silent=True)
    seconds[index] = time.perf_counter() - began
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        errors[index] = f"{type(error).__name__}: {str(error)[:200]}"
print(json.dumps({"blas": blas(), "records": records, "errors": errors,
                  "seconds": time.perf_counter() - start, "cell_seconds": seconds}))
'''


def lesson_path(name):
    """notebooks/NN-*.ipynb for a lesson number ("05") or a path."""
    path = Path(name)
    if path.suffix == ".ipynb":
        return path.resolve()
    matches = sorted(NOTEBOOK_DIR.glob(f"{name}-*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"lesson {name!r}: expected one notebook notebooks/{name}-*.ipynb, "
                         f"found {[m.name for m in matches]}")
    return matches[0]


def parse_setting(text):
    """'Haswell:2' -> ('Haswell', 2); the kernel name alone means one thread."""
    kernel, _, threads = text.partition(":")
    try:
        count = int(threads or 1)
    except ValueError:
        count = 0
    if not kernel or count < 1:
        raise argparse.ArgumentTypeError(
            f"a setting is KERNEL or KERNEL:THREADS (e.g. Haswell:2), got {text!r}")
    return kernel, count


def run(path, kernel, threads, timeout):
    """Execute one lesson under one setting; returns the runner's report."""
    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_CORETYPE": kernel,
           "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    if kernel == "default":
        del env["OPENBLAS_CORETYPE"]
    done = subprocess.run([sys.executable, "-c", RUNNER, str(path)], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{path.name} under {kernel}:{threads} did not finish:\n"
                           f"{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def summarise(path, reports):
    """Rows, one per comparison of a check cell: its values under each setting and its spread."""
    rows = []
    settings = list(reports)
    cells = sorted({int(c) for r in reports.values() for c in r["records"] if c != "null"})
    for cell in cells:
        sites = {}
        for setting in settings:
            for key, value in reports[setting]["records"].get(str(cell), {}).items():
                if key != "asserts":
                    sites.setdefault(key, {})[setting] = value
        for key, per_setting in sorted(sites.items(), key=lambda kv: tuple(map(int, kv[0].split(":")))):
            first = next(iter(per_setting.values()))
            text, line = first["text"], str(first["assert"])
            failed = [s for s in settings
                      if reports[s]["records"].get(str(cell), {}).get("asserts", {}).get(line) is False]
            margins = [v.get("margin") for v in per_setting.values()]
            row = {"lesson": path.name[:2], "cell": cell, "site": key, "text": text,
                   "values": {s: {k: v[k] for k in ("left", "right", "margin", "holds") if k in v}
                              for s, v in per_setting.items()},
                   "failed_under": failed}
            if margins and all(m is not None for m in margins) and len(margins) == len(settings):
                row["min_margin"] = min(margins)
                row["spread"] = max(margins) - min(margins)
                lefts = [v["left"] for v in per_setting.values()]
                rights = [v["right"] for v in per_setting.values()]
                row["spread_left"] = max(lefts) - min(lefts)
                row["spread_right"] = max(rights) - min(rights)
                # differences in the last bits of a deterministic result are not a spread
                scale = max(1.0, *map(abs, lefts), *map(abs, rights))
                if row["spread"] < 1e-9 * scale:
                    row["spread"] = 0.0
                row["fragile"] = row["spread"] > 0 and row["min_margin"] < HEALTHY * row["spread"]
            else:
                outcomes = {json.dumps({k: v.get(k) for k in ("left", "right", "holds")})
                            for v in per_setting.values()}
                row["fragile"] = len(outcomes) > 1 and any(
                    v.get("holds") is False or ("left" in v and v["left"] != v.get("right"))
                    for v in per_setting.values())
            rows.append(row)
        # asserts without a comparison (np.allclose(...), report.passed(...)): their outcome only
        compared = {str(v["assert"]) for per_setting in sites.values() for v in per_setting.values()}
        outcomes = {s: reports[s]["records"].get(str(cell), {}).get("asserts", {}) for s in settings}
        for line in sorted({line for o in outcomes.values() for line in o} - compared, key=int):
            failed = [s for s in settings if outcomes[s].get(line) is False]
            rows.append({"lesson": path.name[:2], "cell": cell, "site": f"{line}:0",
                         "text": f"(the assert on line {line})", "failed_under": failed,
                         "values": {s: {"holds": outcomes[s].get(line)} for s in settings},
                         "fragile": 0 < len(failed) < len(settings)})
    return rows


def show(rows, settings, only_varying):
    for row in rows:
        varies = row.get("spread", 0) > 0 or row["fragile"] or row["failed_under"]
        if only_varying and not varies:
            continue
        flag = "FRAGILE " if row["fragile"] else ""
        if row["failed_under"]:
            flag += "FAILS under " + ", ".join(row["failed_under"]) + " "
        print(f"{row['lesson']} [{row['cell']}] {flag}{row['text']}")
        for setting in settings:
            value = row["values"].get(setting, {})
            parts = [f"{k}={value[k]:.6g}" if isinstance(value[k], float) else f"{k}={value[k]}"
                     for k in ("left", "right", "margin", "holds") if k in value]
            print(f"    {setting:16s} " + "  ".join(parts))
        if "spread" in row:
            ratio = row["min_margin"] / row["spread"] if row["spread"] else float("inf")
            print(f"    smallest margin {row['min_margin']:.6g}, spread {row['spread']:.3g} "
                  f"(left {row['spread_left']:.3g}, right {row['spread_right']:.3g}): "
                  f"margin / spread = {ratio:.3g}")


def blas_in_use():
    """(architecture, threads) of the BLAS numpy uses in this process, e.g. ("Haswell", 1)."""
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl then finds
    from threadpoolctl import threadpool_info

    found = [(i.get("architecture"), i.get("num_threads")) for i in threadpool_info()
             if i.get("user_api") == "blas"]
    return found[0] if found else (None, None)


def expect_kernel(kernel):
    """Exit with a clear message unless numpy's BLAS runs ``kernel`` (as OPENBLAS_CORETYPE asked)."""
    architecture, threads = blas_in_use()
    if architecture is None or architecture.lower() != kernel.lower():
        raise SystemExit(f"numpy's BLAS runs the kernel {architecture!r}, not {kernel!r}: "
                         f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} was "
                         "not taken (numpy without OpenBLAS, or a CPU without that kernel's "
                         "instructions), so this run would not test what it says")
    print(f"numpy's BLAS: OpenBLAS, {architecture} kernel, {threads} thread(s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers (05) or notebook paths")
    parser.add_argument("--expect-kernel", metavar="KERNEL",
                        help="only check that numpy's BLAS runs this OpenBLAS kernel (exit 1 if not)")
    parser.add_argument("--settings", nargs="+", type=parse_setting,
                        default=[parse_setting(s) for s in DEFAULT_SETTINGS],
                        help="OpenBLAS kernel and thread count, e.g. default:1 Haswell:2 "
                             f"(default: {' '.join(DEFAULT_SETTINGS)})")
    parser.add_argument("--json", type=Path, help="also write every row to this file")
    parser.add_argument("--all", action="store_true",
                        help="show every comparison, not only those that vary or fail")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per lesson and setting")
    args = parser.parse_args(argv)
    if args.expect_kernel:
        expect_kernel(args.expect_kernel)
        return 0
    if not args.lessons:
        parser.error("name at least one lesson, e.g. 05")
    names = [f"{kernel}:{threads}" for kernel, threads in args.settings]
    everything = []
    for lesson in args.lessons:
        path = lesson_path(lesson)
        reports = {}
        for (kernel, threads), name in zip(args.settings, names):
            began = time.perf_counter()
            reports[name] = run(path, kernel, threads, args.timeout)
            report = reports[name]
            print(f"# {path.name} under {name} (BLAS: {report['blas']}): {report['seconds']:.1f} s "
                  f"of cells, {time.perf_counter() - began:.1f} s in all"
                  + "".join(f"\n#   cell {c} raised {e}" for c, e in report["errors"].items()),
                  flush=True)
        rows = summarise(path, reports)
        show(rows, names, only_varying=not args.all)
        everything.extend(rows)
        if args.json:
            args.json.write_text(json.dumps(everything, indent=1))
    fragile = [r for r in everything if r["fragile"] or r["failed_under"]]
    print(f"\n{len(everything)} comparisons in check cells, {len(fragile)} fragile or failing"
          + "".join(f"\n  {r['lesson']} [{r['cell']}] {r['text']}" for r in fragile))
    return 1 if fragile else 0


if __name__ == "__main__":
    sys.exit(main())
