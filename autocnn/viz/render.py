"""``render``: write the picture of a graph to an SVG, PNG or PDF file.

Rendering needs Graphviz's ``dot`` program (the ``graphviz`` Python package only writes
DOT text). Without it, ``render`` still writes the ``.dot`` source next to the requested
file and prints the one command that installs Graphviz, so nothing is lost: the file can
be rendered later with ``dot -Tsvg graph.dot -o graph.svg``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import graphviz

from autocnn.autograd.tensor import Tensor
from autocnn.files import atomic_write
from autocnn.viz.dot import to_dot
from autocnn.viz.graphviz_tool import INSTALL_HINT, dot_available

__all__ = ["FORMATS", "INSTALL_HINT", "dot_available", "render", "save", "write_picture"]

#: the formats ``render`` writes (``dot`` writes the DOT source and needs no Graphviz)
FORMATS = ("svg", "png", "pdf", "dot")



def check_format(format: str, where: str = "render") -> str:
    """``format`` lower-cased (a leading dot dropped), or a ``ValueError`` listing the valid
    formats; the message names the format without the dot, however it was given."""
    fmt = str(format).lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"{where}: unknown format {fmt!r}; valid formats are "
            + ", ".join(repr(f) for f in FORMATS)
        )
    return fmt


def format_of(path: str | Path, format: str | None, where: str = "render") -> str:
    """The checked format to write ``path`` in: ``format`` when given, else the suffix of
    ``path``, else "svg"."""
    suffix = Path(path).suffix
    return check_format(format if format is not None else (suffix or "svg"), where)


def target_path(path: str | Path, fmt: str, where: str = "render") -> Path:
    """The file to write: ``path`` with ``.fmt`` added when it has no suffix.

    A suffix naming another format is an error rather than a file whose name lies about
    its content.
    """
    p = Path(path)
    suffix = p.suffix.lower().lstrip(".")
    if not suffix:
        return p.with_name(p.name + "." + fmt)
    if suffix != fmt and suffix in FORMATS:
        raise ValueError(
            f"{where}: the path {str(path)!r} ends in .{suffix} but format={fmt!r}; pass "
            f"format={suffix!r} or change the file name"
        )
    return p


def write_picture(picture: graphviz.Digraph, path: str | Path, format: str = "svg",
                  where: str = "render") -> Path:
    """Write an already built picture to ``path`` (see ``render``); returns the file."""
    fmt = check_format(format, where)
    if Path(path).is_dir() or str(path).endswith(("/", "\\")):
        raise ValueError(f"{where}: the path {str(path)!r} is a folder; give a file name such "
                         f"as {str(Path(path) / ('graph.' + fmt))!r}")
    out = target_path(path, fmt, where)
    if out.is_dir():
        raise ValueError(f"{where}: {str(out)!r} is a folder; give another file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        atomic_write(out, picture.source)
        return out
    try:
        data = picture.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        dot_file = out.with_suffix(".dot")
        atomic_write(dot_file, picture.source)
        print(
            f"{where}: Graphviz's `dot` program was not found, so {out.name} was not "
            f"rendered; wrote the DOT source to {dot_file} instead. To render it, "
            f"{INSTALL_HINT}, then run: dot -T{fmt} {dot_file} -o {out}",
            file=sys.stderr,
        )
        return dot_file
    atomic_write(out, data)
    return out


def save(picture: graphviz.Digraph, path: str | Path, format: str | None = None) -> Path:
    """Write a picture made by ``to_dot`` (or a frame) to ``path``; returns the path written.

    ``format`` defaults to the suffix of ``path``, else "svg"; see ``render`` for the rest.
    """
    return write_picture(picture, path, format_of(path, format, "save"), "save")


def render(output: Tensor, path: str | Path, format: str | None = None, **opts: Any) -> Path:
    """Draw the graph that produced ``output`` into the file ``path``; returns the path written.

    ``format`` is "svg", "png", "pdf" (rendered by Graphviz's ``dot`` program) or "dot" (the
    source). By default (``None``) it is taken from the suffix of ``path`` (``g.png`` is a
    PNG), else "svg"; a ``format`` that contradicts the suffix (``g.png`` with
    ``format="svg"``) is an error. ``path`` gets the format's suffix when it has none.
    ``opts`` are the options of ``to_dot`` (``show_values=True``, ``collapse=True``, ...).
    Without the ``dot`` program the DOT source is written to ``path`` with suffix ``.dot``,
    and a message on stderr says how to install Graphviz; the ``.dot`` path is returned.
    """
    fmt = format_of(path, format)
    return write_picture(to_dot(output, **opts), path, fmt)
