#!/usr/bin/env python3
"""Folds `perf script` output into stacks and draws them as a flame graph SVG.

    perf script -i perf.data | scripts/flamegraph.py --title "fanout" > out.svg
    scripts/flamegraph.py --folded < stacks.txt > out.svg   # "a;b;c 42" lines

Debian ships no flame graph tool (Brendan Gregg's scripts are not packaged),
so this small one is ours: the SVG has a box per frame, as wide as its share
of the samples, callers below callees, with the function, its share and its
sample count in a tooltip. Kernel frames are orange, chatd's blue, other
user-space libraries green.

Also prints the top functions by self time to stderr (--top N).
"""

import argparse
import collections
import html
import re
import sys

FRAME_RE = re.compile(r"^\s*[0-9a-f]+\s+(.+?)\s+\((.*)\)\s*$")


def fold_perf_script(lines):
    """perf script text -> Counter of 'root;...;leaf' stacks."""
    stacks = collections.Counter()
    frames = []
    in_sample = False
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                stacks[";".join(reversed(frames))] += 1
            frames = []
            in_sample = False
            continue
        if not line.startswith((" ", "\t")):
            in_sample = True  # the sample's header: comm pid time event
            frames = []
            continue
        if not in_sample:
            continue
        m = FRAME_RE.match(line)
        if not m:
            continue
        sym, dso = m.group(1), m.group(2)
        sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
        if sym == "[unknown]":
            sym = "[" + dso.rsplit("/", 1)[-1] + "]"
        if "kernel" in dso:
            sym += "_[k]"
        frames.append(sym)
    if frames:
        stacks[";".join(reversed(frames))] += 1
    return stacks


def read_folded(lines):
    stacks = collections.Counter()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        stacks[stack] += int(count)
    return stacks


class Node:
    __slots__ = ("name", "value", "children")

    def __init__(self, name):
        self.name = name
        self.value = 0
        self.children = {}


def build_tree(stacks):
    root = Node("all")
    for stack, count in stacks.items():
        root.value += count
        node = root
        for frame in stack.split(";"):
            node = node.children.setdefault(frame, Node(frame))
            node.value += count
    return root


def color(name):
    h = sum(ord(c) for c in name) % 40
    if name.endswith("_[k]"):
        return f"rgb({215 + h % 40},{110 + h},{40})"
    if "chat" in name or name.startswith(("Shard", "main")):
        return f"rgb({70 + h},{130 + h},{210})"
    return f"rgb({80 + h},{180 + h // 2},{90})"


def render(root, title, width=1200, row=16, min_px=0.3):
    depth = 0

    def measure(node, d):
        nonlocal depth
        depth = max(depth, d)
        for c in node.children.values():
            measure(c, d + 1)

    measure(root, 0)
    height = (depth + 1) * row + 60
    total = max(root.value, 1)
    scale = (width - 20) / total
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">',
        f'<rect width="100%" height="100%" fill="#fafafa"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="15">'
        f"{html.escape(title)}</text>",
        f'<text x="10" y="40" font-size="11">{total} samples; width = share of CPU time; '
        f"orange kernel, blue chatd, green libraries; hover for details</text>",
    ]

    def draw(node, x, d):
        w = node.value * scale
        if w < min_px:
            return
        y = height - (d + 1) * row - 4
        name = node.name.replace("_[k]", " [k]")
        pct = 100.0 * node.value / total
        out.append(
            f'<g><title>{html.escape(name)} ({node.value} samples, {pct:.2f}%)</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
            f'fill="{color(node.name)}" rx="2"/>'
        )
        chars = int(w / 7)
        if chars >= 3:
            label = name if len(name) <= chars else name[: chars - 2] + ".."
            out.append(f'<text x="{x + 3:.1f}" y="{y + row - 4}">{html.escape(label)}</text>')
        out.append("</g>")
        cx = x
        for c in sorted(node.children.values(), key=lambda n: n.name):
            draw(c, cx, d + 1)
            cx += c.value * scale

    draw(root, 10, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def top_self(stacks, n):
    selfc = collections.Counter()
    total = sum(stacks.values()) or 1
    for stack, count in stacks.items():
        selfc[stack.rsplit(";", 1)[-1]] += count
    lines = [f"top {n} functions by self time ({total} samples):"]
    for name, count in selfc.most_common(n):
        lines.append(f"  {100.0 * count / total:5.1f}%  {name.replace('_[k]', ' [k]')}")
    kernel = sum(c for s, c in stacks.items() if s.rsplit(";", 1)[-1].endswith("_[k]"))
    lines.append(f"  kernel share of samples: {100.0 * kernel / total:.1f}%")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--title", default="flame graph")
    ap.add_argument("--folded", action="store_true", help="input is folded stacks")
    ap.add_argument("--top", type=int, default=15, help="print the top N self-time functions")
    ap.add_argument("--save-folded", help="also write the folded stacks here")
    args = ap.parse_args()
    stacks = read_folded(sys.stdin) if args.folded else fold_perf_script(sys.stdin)
    if not stacks:
        sys.exit("flamegraph.py: no samples in the input")
    if args.save_folded:
        with open(args.save_folded, "w") as f:
            for stack, count in sorted(stacks.items()):
                f.write(f"{stack} {count}\n")
    sys.stdout.write(render(build_tree(stacks), args.title))
    if args.top:
        print(top_self(stacks, args.top), file=sys.stderr)


if __name__ == "__main__":
    main()
