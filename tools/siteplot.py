"""Build-time plots for the documentation site: matplotlib figure -> inline SVG.

Use it from a page with a markdown-exec fence; the plot is drawn on every build and never
committed::

    ```python exec="on" html="on"
    import numpy as np
    from siteplot import figure, svg

    fig, ax = figure()
    x = np.linspace(-3, 3, 200)
    ax.plot(x, x**2, label="squared error")
    ax.legend()
    print(svg(fig, alt="Squared error is a parabola with its minimum at the target."))
    ```

``tools/`` is put on ``sys.path`` by ``tools/mkdocs_hooks.py`` (elsewhere, ``PYTHONPATH=tools``).
The SVG is self-contained and safe to inline several times on one page: text is drawn as paths
(no font request), element ids get a per-figure prefix, the output is byte-for-byte
reproducible, and it scales to the column width.  Dark mode is handled by the site CSS.
"""

from __future__ import annotations

import hashlib
import html
import io
import re

import matplotlib

matplotlib.use("Agg")  # never a GUI backend, even if a page imports pyplot

from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["STYLE", "figure", "svg"]

#: rcParams every site figure uses (applied while the figure is created and saved).
STYLE: dict[str, object] = {
    "svg.fonttype": "path",  # glyphs as paths: no font files, no requests
    "svg.hashsalt": "losslab-docs",  # deterministic ids -> reproducible builds
    "font.size": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(
        color=["#3f51b5", "#e65100", "#2e7d32", "#ad1457", "#00838f", "#6d4c41"]
    ),
    "lines.linewidth": 2.0,
    "legend.frameon": False,
    "figure.dpi": 100,
}

matplotlib.rcParams.update(STYLE)  # also for legends, lines, ... added after figure()

_ID = re.compile(r'\bid="([^"]+)"')


def figure(
    ncols: int = 1, *, width: float = 6.4, height: float = 3.4, **subplots: object
) -> tuple[Figure, Axes | list[Axes]]:
    """Return ``(fig, ax)`` (``ax`` is a list when ``ncols > 1``) styled for the site.

    Uses :class:`matplotlib.figure.Figure` directly: no pyplot state, nothing to close.
    """
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(1, ncols, **subplots)
    return fig, (list(axes) if ncols > 1 else axes)


def svg(fig: Figure, *, alt: str, caption: str | None = None) -> str:
    """Return ``fig`` as an inline ``<figure>`` holding an accessible, self-contained SVG.

    ``alt`` describes the plot for screen readers (required); ``caption`` is shown below it.
    """
    if not alt.strip():
        raise ValueError("`alt` is empty, expected a sentence describing the plot")
    buf = io.StringIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    text = buf.getvalue()
    # Drop the XML prolog and DOCTYPE: they are not allowed inside HTML.
    text = text[text.index("<svg") :]
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    # matplotlib's `*{stroke-linejoin...}` rule would style the whole page once inlined.
    text = text.replace('<style type="text/css">*{', "<style>.ll-plot__svg *{")
    # Prefix every id so several inline SVGs on one page never clash.
    prefix = "f" + hashlib.sha1(text.encode()).hexdigest()[:8] + "-"
    ids = set(_ID.findall(text))
    text = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(
        r'(url\(#|href="#)([^)"]+)',
        lambda m: m.group(1) + (prefix + m.group(2) if m.group(2) in ids else m.group(2)),
        text,
    )
    # Scale with the column; keep the aspect ratio from the viewBox.
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    label = html.escape(alt, quote=True)
    text = text.replace("<svg", f'<svg role="img" aria-label="{label}" class="ll-plot__svg"', 1)
    # No blank lines: Markdown would end the raw HTML block there.
    text = "\n".join(line for line in text.splitlines() if line.strip())
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    # Panels side by side: on a phone the site CSS shows them one screen width each, side by
    # side in a scroller (class ll-plot--panels-N), instead of N panels squeezed into one.
    cols = len({round(ax.get_position().x0, 3) for ax in fig.axes if ax.get_visible()})
    if cols > 1:
        cls = f"ll-plot ll-plot--panels ll-plot--panels-{min(cols, 4)}"
        text = f'<div class="ll-plot__scroll">\n{text}\n</div>'
        return f'<figure class="{cls}">\n{text}\n{cap}</figure>'
    return f'<figure class="ll-plot">\n{text}\n{cap}</figure>'
