"""``python -m coursebook [LESSON ...]``: build the course's web site (what ``make html`` runs).

With LESSON names, only those pages are built again; the rest of an existing site and its index
stay, the index updated. Every failure ends with one line saying what to do, and status 1.
"""

import argparse
import sys

from .build import build_site
from .execute import LessonError
from .frames import FRAME_BUDGET


def _positive(kind, what):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number above 0, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{what} must be a number above 0 (0 or less would mean "
                                             f"no limit), got {text!r}")
        return value
    return parse


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m coursebook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*",
                        help="only these notebooks, e.g. 05-cross-entropy-and-softmax "
                             "(default: every lesson)")
    parser.add_argument("--notebooks", default="notebooks", help="the lessons' folder")
    parser.add_argument("--out", default="build/html",
                        help="where the site goes: a new or empty folder, or a site built before "
                             "(default: build/html)")
    parser.add_argument("--timeout", type=_positive(float, "--timeout"), default=600,
                        help="the most seconds one cell may take (default: 600)")
    parser.add_argument("--frames", type=_positive(int, "--frames"), default=FRAME_BUDGET,
                        help="the most pictures precomputed for one widget's sliders "
                             f"(default: {FRAME_BUDGET})")
    parser.add_argument("--no-frames", action="store_true",
                        help="show every widget as a still picture (a faster build)")
    parser.add_argument("--mathjax-url", default=None,
                        help="load MathJax 3 from here instead of the copy in the site")
    args = parser.parse_args(argv)
    try:
        build_site(args.notebooks, args.out, names=args.lessons or None, timeout=args.timeout,
                   mathjax_url=args.mathjax_url, frames=not args.no_frames, budget=args.frames)
    except (LessonError, ValueError, OSError) as error:   # SiteFolderError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
