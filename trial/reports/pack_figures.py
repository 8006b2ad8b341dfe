"""The pack's figures as numbered outputs: each with its number, title, population and footnotes,
written as an interactive HTML page and a PNG that both carry them, and kept as a bare image for the
combined Word document (which sets the same texts as Word paragraphs around it).

Numbering: figure ``14.x.y.k`` is the k-th figure of table ``14.x.y``; the Word document places it
right after that table. The bare images are drawn by Kaleido with the local Chromium, all in one
browser session, which takes seconds: ``FigureRender`` runs it in a thread while the tables are
written. The frame of a PNG (texts above and below) is added with Pillow, so each figure is drawn once.
"""

from __future__ import annotations

import html
import io
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from PIL import Image, ImageDraw, ImageFont

from trial.reports import figures
from trial.reports.layouts import POPULATIONS
from trial.reports.model import PackInfo

WIDTH = 1000  # pixels of a figure's PNG


@dataclass(frozen=True)
class FigureSpec:
    id: str  # "14.2.2.1": the first figure of table 14.2.2
    stem: str  # its files are figure-<stem>.html and .png
    title: str
    population: str
    footnotes: tuple[str, ...]

    @property
    def caption(self) -> str:
        return f"Figure {self.id}"

    @property
    def name(self) -> str:
        return f"figure-{self.stem}"

    @property
    def table(self) -> str:
        """The table the figure illustrates (and follows in the Word document)."""
        return self.id.rsplit(".", 1)[0]


SPECS = (
    FigureSpec("14.1.1.1", "consort", "Flow of subjects (CONSORT diagram)", "All screened subjects",
               ("Counts as in table 14.1.1.",)),
    FigureSpec("14.2.2.1", "mean-change", "Change from baseline in the primary endpoint by visit and arm (mean, 95 % CI)",
               f"{POPULATIONS['ITT']}, observed cases", ("Error bars: 95 % confidence interval of the mean. Values as in table 14.2.2.",)),
    FigureSpec("14.2.2.2", "individual-changes", "Individual changes from baseline at the primary visit",
               f"{POPULATIONS['ITT']}, observed cases",
               ("One bar per subject, sorted by the change; above 2,000 subjects each arm's sorted changes are drawn as a line.",)),
    FigureSpec("14.3.2.1", "ae-incidence", "Treatment-emergent adverse events by preferred term, with the risk difference",
               POPULATIONS["SAF"], ("Risk difference: test minus control, 95 % CI by Newcombe's hybrid score method. "
                                    "Values as in table 14.3.2.",)),
)
TITLES = {spec.stem: spec.title for spec in SPECS}


def pack_figures(ard: pd.DataFrame, adhc: pd.DataFrame, study) -> list[tuple[FigureSpec, go.Figure]]:
    """The pack's figures in number order, each with its spec; the Plotly title is left to the frame."""
    built = {
        "consort": figures.consort(ard, study),
        "mean-change": figures.mean_change_by_visit(ard, study),
        "individual-changes": figures.individual_changes(adhc, study),
        "ae-incidence": figures.ae_incidence(ard, study),
    }
    for fig in built.values():
        fig.update_layout(title=None, margin={"t": 40})
    return [(spec, built[spec.stem]) for spec in SPECS]


def _height(fig: go.Figure) -> int:
    return fig.layout.height or 560


class FigureRender:
    """The bare PNGs of the pack's figures, drawn in a thread; ``result()`` waits for them.

    ``result()`` gives ``(images, problem)``: the PNG bytes by figure name, or no images and a
    sentence on why they could not be drawn (no Chromium).
    """

    def __init__(self, pairs: list[tuple[FigureSpec, go.Figure]], folder: Path):
        self._pairs, self._folder = pairs, folder
        self._images: dict[str, bytes] = {}
        self._problem: str | None = None
        self._thread = threading.Thread(target=self._draw, name="pack-figures", daemon=True)
        self._thread.start()

    def _draw(self) -> None:
        paths = [self._folder / f".{spec.name}.bare.png" for spec, _ in self._pairs]
        try:
            pio.write_images([fig for _, fig in self._pairs], paths, width=WIDTH, height=[_height(f) for _, f in self._pairs])
            self._images = {spec.name: path.read_bytes() for (spec, _), path in zip(self._pairs, paths, strict=True)}
        except Exception as exc:  # Kaleido raises its own kinds when no browser starts
            self._problem = (f"The PNG figures need Chromium, which could not be started ({type(exc).__name__}); "
                             "the HTML figures are there.")
        finally:
            for path in paths:
                path.unlink(missing_ok=True)

    def result(self) -> tuple[dict[str, bytes], str | None]:
        self._thread.join()
        return self._images, self._problem


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)  # Pillow's own scalable font: nothing to find on the machine


def _lines(draw, text: str, font, width: int) -> list[str]:
    """``text`` wrapped to ``width`` pixels in ``font``."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            trial_line = f"{line} {word}".strip()
            if draw.textlength(trial_line, font=font) > width and line:
                out.append(line)
                line = word
            else:
                line = trial_line
        out.append(line)
    return out


def framed_png(bare: bytes, spec: FigureSpec, info: PackInfo) -> bytes:
    """The figure with its number and title, population above and footnotes and stamp below."""
    image = Image.open(io.BytesIO(bare)).convert("RGB")
    margin, width = 40, image.width - 80
    probe = ImageDraw.Draw(image)
    above = [(line, _font(22), (0, 0, 0)) for line in _lines(probe, f"{spec.caption}   {spec.title}", _font(22), width)]
    above += [(line, _font(16), (60, 60, 60)) for line in _lines(probe, spec.population, _font(16), width)]
    below = [(line, _font(14), (60, 60, 60)) for note in spec.footnotes for line in _lines(probe, note, _font(14), width)]
    below += [(line, _font(13), (90, 90, 90)) for line in _lines(probe, info.stamp, _font(13), width)]
    step = lambda font: int(font.size * 1.4)
    top = margin + sum(step(f) for _, f, _ in above)
    bottom = 16 + sum(step(f) for _, f, _ in below) + margin // 2
    canvas = Image.new("RGB", (image.width, top + image.height + bottom), "white")
    canvas.paste(image, (0, top))
    draw = ImageDraw.Draw(canvas)
    y = margin // 2
    for text, font, colour in above:
        draw.text((margin, y), text, font=font, fill=colour)
        y += step(font)
    y = top + image.height + 16
    for text, font, colour in below:
        draw.text((margin, y), text, font=font, fill=colour)
        y += step(font)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=False)
    return out.getvalue()


def figure_html(spec: FigureSpec, fig: go.Figure, info: PackInfo, path: Path) -> Path:
    """The interactive figure as a page under its number, title and population, footnotes below
    (Plotly's script written once into the folder, never fetched)."""
    body = fig.to_html(include_plotlyjs="directory", full_html=False)
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in (*spec.footnotes, info.stamp))
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(spec.caption)}</title><style>"
        "body{font-family:system-ui,Segoe UI,Arial,sans-serif;margin:2rem;max-width:1100px}"
        "h2{font-size:16px;margin:0 0 .2rem}.population{margin:0 0 .6rem;color:#333}.note{color:#555;font-size:12px;margin:.3rem 0}"
        f"</style></head><body><h2>{html.escape(spec.caption)}&nbsp;&nbsp;{html.escape(spec.title)}</h2>"
        f"<p class='population'>{html.escape(spec.population)}</p>{body}{notes}</body></html>",
        encoding="utf-8",
    )
    return path


def write_figure_files(pairs, images: dict[str, bytes], info: PackInfo, out: Path) -> list[Path]:
    """Each figure's HTML page, and its framed PNG when the bare image was drawn; Plotly's script once."""
    script = out / "plotly.min.js"
    script.write_text(get_plotlyjs(), encoding="utf-8")
    written = [script]
    for spec, fig in pairs:
        written.append(figure_html(spec, fig, info, out / f"{spec.name}.html"))
        if spec.name in images:
            png = out / f"{spec.name}.png"
            png.write_bytes(framed_png(images[spec.name], spec, info))
            written.append(png)
    return written
