"""``python -m quality.enhance denoise --checkpoint MODEL IN... --output DIR``."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m quality.enhance", description="Speech enhancement tools.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("denoise", help="enhance files, folders or list files with a trained enhancer",
                       epilog="Exit status: 0 all enhanced, 2 some files failed, 1 usage error.")
    d.add_argument("inputs", nargs="+", metavar="IN", help="audio files, folders (recursive) or list files")
    d.add_argument("--checkpoint", required=True, help="enhancer model.pt (e.g. checkpoints/dpcrn_base.pt)")
    d.add_argument("--output", required=True, help="output folder (16 kHz 16-bit WAV; folder structure kept)")
    d.add_argument("--window", type=float, default=20.0, help="seconds enhanced at a time for long files (default 20)")
    d.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..checkpoint import CheckpointError
    from .denoise import denoise

    try:
        failed = denoise(args.checkpoint, args.inputs, args.output, args.window, progress=not args.no_progress)
    except (CheckpointError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
