#!/usr/bin/env python3
"""The man pages and docs/CLI.md from one source: the programs' own help.

The options of dcmond, dcmon (and each of its commands) and dcmon-sim are written once,
in the help text each program prints (the C code next to its option parser).  This
script runs the built programs for that text and renders it:

  * man pages dcmond(8), dcmon(1), dcmon-sim(1) from docs/man/<page>.md (prose in a
    small Markdown subset) where a line `@help PROGRAM ARGS...` stands for that help
    text and `@commands` for `dcmon help CMD` of every command;
  * dcmon.yaml(5) from docs/man/dcmon.yaml.5.md, which includes docs/CONFIG.md;
  * docs/CLI.md, every help text (committed; a test checks it is current);
and checks that every long option in the programs' getopt tables is in their help.

  mkman.py --build DIR --src DIR --out DIR      man pages into DIR
  mkman.py --build DIR --src DIR --cli-md FILE  docs/CLI.md
  mkman.py --build DIR --src DIR --check        undocumented options: exit 1
  mkman.py --build DIR --src DIR --options      PROGRAM OPTION of every long option
"""
import argparse
import os
import re
import subprocess
import sys

PAGES = ["dcmond.8", "dcmon.1", "dcmon-sim.1", "dcmon.yaml.5"]
PROGRAMS = {"dcmond": "dcmond", "dcmon": "dcmon", "dcmon-sim": "sim/dcmon-sim"}
# Where each program's getopt tables are (option names are checked against its help).
SOURCES = {"dcmond": ["daemon/dcmond_main.c"], "dcmon": ["cli"], "dcmon-sim": ["sim"]}


def run_help(build, prog, args):
    """The text PROGRAM ARGS prints (help goes to stdout or stderr, any exit code)."""
    exe = os.path.join(build, PROGRAMS[prog])
    env = dict(os.environ, DCMON_SOCKET="/run/dcmon/dcmon.sock")
    env.pop("DCMON_SIM_CONFIG", None)
    env.pop("DCMON_SIM_SOCKET", None)
    p = subprocess.run([exe] + args, capture_output=True, text=True, env=env, timeout=30)
    return (p.stdout + p.stderr).rstrip("\n")


def dcmon_commands(build):
    """The command names of `dcmon --help`."""
    text = run_help(build, "dcmon", ["--help"])
    cmds, on = [], False
    for line in text.splitlines():
        if line.strip() == "commands:":
            on = True
        elif on and re.match(r"^  [a-z][a-z-]*", line):
            cmds.append(line.split()[0])
    return cmds


def all_help(build):
    """[(title, text)] of every help text, in the order of the docs."""
    out = [("dcmond --help", run_help(build, "dcmond", ["--help"])),
           ("dcmon --help", run_help(build, "dcmon", ["--help"]))]
    for c in dcmon_commands(build):
        out.append(("dcmon help " + c, run_help(build, "dcmon", ["help", c])))
    out.append(("dcmon-sim --help", run_help(build, "dcmon-sim", ["--help"])))
    return out


# ---- roff ------------------------------------------------------------------------

def esc(s):
    """Text for roff: backslashes, hyphens of options, a leading dot or quote."""
    s = s.replace("\\", "\\e")
    s = re.sub(r"(?<![\w])-", r"\\-", s)
    return line_safe(s)


def line_safe(s):
    """A line that roff must not read as a request."""
    return "\\&" + s if s[:1] in (".", "'") else s


def inline(s):
    """Markdown inline code and bold to roff fonts; links to their text."""
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    parts = re.split(r"(`[^`]*`)", s)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            out.append("\\fB" + esc(p[1:-1]) + "\\fR")
        else:
            t = esc(p)
            t = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", t)
            out.append(t)
    return line_safe("".join(out))


OPTION_LINE = re.compile(r"^\s{1,6}(-\S.*?)\s{2,}(\S.*)$")


def help_roff(text):
    """A help text: option lines as tagged paragraphs, the rest as it is printed."""
    out, verbatim, last_tp = [], [], False

    def flush():
        if verbatim:
            out.extend([".PP", ".nf"] + [esc(v) for v in verbatim] + [".fi"])
            verbatim.clear()

    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            flush()
            out += [".TP", "\\fB" + esc(m.group(1)) + "\\fR", esc(m.group(2))]
            last_tp = True
        elif last_tp and re.match(r"^\s{8,}\S", line):
            out.append(esc(line.strip()))
        else:
            verbatim.append(line)
            last_tp = False
    flush()
    return out


def split_cells(row):
    """Cells of a Markdown table row; a | inside `code` is not a separator."""
    cells, cur, code = [], "", False
    for ch in row.strip().strip("|"):
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def table_roff(rows):
    """A table as one tagged paragraph per row: the first cell, then the others named."""
    head = split_cells(rows[0])
    out = []
    for r in rows[2:]:
        cells = split_cells(r)
        out += [".TP", inline(cells[0])]
        rest = []
        for h, c in zip(head[1:], cells[1:]):
            if c and c != "—":
                rest.append((h + ": " if h else "") + c)
        out.append(inline("; ".join(rest)) if rest else "\\&")
    return out


def md_roff(lines, src, build, top=1):
    """The Markdown subset of docs/: headings (level `top` is .SH), paragraphs, lists,
    code blocks, tables, definitions (a line, then ": text"), and the @help /
    @commands / @include directives."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("@help "):
            words = line.split()[1:]
            out += help_roff(run_help(build, words[0], words[1:]))
        elif line.strip() == "@commands":
            for c in dcmon_commands(build):
                out += [".SS " + esc("dcmon " + c)] + help_roff(run_help(build, "dcmon", ["help", c]))
        elif line.startswith("@include "):
            with open(os.path.join(src, line.split()[1])) as f:
                inc = f.read().splitlines()
            out += md_roff([l for l in inc if not l.startswith("# ")], src, build, top=2)
        elif line.startswith("```"):
            j = i + 1
            block = []
            while j < len(lines) and not lines[j].startswith("```"):
                block.append(esc(lines[j]))
                j += 1
            out += [".PP", ".RS 4", ".nf"] + block + [".fi", ".RE"]
            i = j
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            title = line.lstrip("#").strip().replace("`", "")
            out.append((".SH " if level <= top else ".SS ") + esc(title.upper() if level <= top else title))
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += table_roff(rows)
            continue
        elif re.match(r"^(\*|-|\d+\.) ", line):
            mark = line.split()[0]
            text = [line[len(mark) + 1:].strip()]
            while i + 1 < len(lines) and re.match(r"^\s{2,}\S", lines[i + 1]):
                i += 1
                text.append(lines[i].strip())
            out += [".IP " + ("\\(bu 2" if mark in ("*", "-") else mark + " 4"), inline(" ".join(text))]
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            out += [".TP", inline(line), inline(lines[i + 1][2:])]  # term, then ": definition"
            i += 1
        elif line.strip() == "":
            out.append(".PP")
        else:  # a paragraph: its lines joined, so `code` may span them
            text = [line]
            while i + 1 < len(lines) and plain(lines, i + 1):
                i += 1
                text.append(lines[i])
            out.append(inline(" ".join(text)))
        i += 1
    return out


def plain(lines, i):
    """True if lines[i] continues a paragraph."""
    l = lines[i]
    if l.strip() == "" or l.startswith(("#", "|", "```", "@", ": ")):
        return False
    if i + 1 < len(lines) and lines[i + 1].startswith(": "):
        return False
    return not re.match(r"^(\*|-|\d+\.) ", l)


def page(name, src, build, version):
    """One man page from docs/man/NAME.md."""
    title, section = name.rsplit(".", 1)
    with open(os.path.join(src, "docs", "man", name + ".md")) as f:
        body = f.read().splitlines()
    head = ['.\\" Generated by scripts/mkman.py from docs/man/%s.md and the programs\' help; do not edit.' % name,
            '.TH "%s" "%s" "" "dcmon %s" "dcmon"' % (title.upper(), section, version)]
    lines = head + md_roff(body, src, build)
    # no empty paragraphs in a row, none right after a heading
    out = []
    for l in lines:
        if l == ".PP" and out and (out[-1] == ".PP" or out[-1].startswith((".SH", ".SS", ".TH"))):
            continue
        out.append(l)
    return "\n".join(out) + "\n"


def cli_md(build):
    out = ["# Command-line reference", "",
           "Generated by `scripts/mkman.py` from the programs' own `--help` (the one source",
           "of the man pages dcmond(8), dcmon(1) and dcmon-sim(1) too); do not edit.",
           "`tests/integration/test_manpages.sh` fails when this file is stale or an option",
           "is missing from the help.", ""]
    for title, text in all_help(build):
        out += ["## `%s`" % title, "", "```", text, "```", ""]
    return "\n".join(out)


def long_options(path):
    """Long option names of every getopt table (`struct option x[] = {...}`) in path."""
    with open(path) as f:
        text = f.read()
    names = []
    for block in re.findall(r"struct option \w+\[\]\s*=\s*\{(.*?)\};", text, re.S):
        names += re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,', block)
    return names


def source_options(src):
    """[(program, option, file)] of every long option in the programs' sources."""
    found = []
    for prog, paths in SOURCES.items():
        for p in paths:
            full = os.path.join(src, p)
            files = [os.path.join(full, f) for f in sorted(os.listdir(full)) if f.endswith(".c")] \
                if os.path.isdir(full) else [full]
            for f in files:
                found += [(prog, name, os.path.relpath(f, src)) for name in long_options(f)]
    return found


def check(src, build):
    """Long options of each program's sources missing from its help texts."""
    helps = {"dcmond": run_help(build, "dcmond", ["--help"]),
             "dcmon-sim": run_help(build, "dcmon-sim", ["--help"]),
             "dcmon": "\n".join(t for title, t in all_help(build) if title.startswith("dcmon "))}
    missing = []
    for prog, name, f in source_options(src):
        if not re.search(r"(?<![\w-])--%s(?![\w-])" % re.escape(name), helps[prog]):
            missing.append("%s: --%s (%s) is not in its help" % (prog, name, f))
    return missing


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out")
    ap.add_argument("--cli-md")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--options", action="store_true", help="list PROGRAM OPTION of the sources")
    ap.add_argument("--version", default="")
    a = ap.parse_args()
    if a.options:
        for prog, name, f in source_options(a.src):
            print(prog, name)
        return 0
    if a.check:
        missing = check(a.src, a.build)
        for m in missing:
            print(m)
        return 1 if missing else 0
    if a.cli_md:
        with open(a.cli_md, "w") as f:
            f.write(cli_md(a.build))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for name in PAGES:
            with open(os.path.join(a.out, name), "w") as f:
                f.write(page(name, a.src, a.build, a.version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
