"""``python -m coursebook [LESSON ...]``: build the course's web site (what ``make html`` runs)."""

import argparse
import sys

from .build import build_site
from .execute import LessonError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m coursebook", description=__doc__)
    parser.add_argument("lessons", nargs="*", help="only these notebooks (default: every lesson)")
    parser.add_argument("--notebooks", default="notebooks", help="the lessons' folder")
    parser.add_argument("--out", default="build/html", help="where the site goes")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take")
    parser.add_argument("--mathjax-url", default=None,
                        help="load MathJax from here instead of nbconvert's CDN address")
    args = parser.parse_args(argv)
    try:
        build_site(args.notebooks, args.out, names=args.lessons or None, timeout=args.timeout,
                   mathjax_url=args.mathjax_url)
    except (LessonError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
