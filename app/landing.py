"""The page at `/`: what CityKB holds, its headline figures with their sources, two charts and
the latest projects, drawn in the browser from the public API, in Chinese with an English
toggle. Self-contained: no build step, nothing from another host."""

import json
from html import escape
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from app.collections.catalog import DOCUMENTED

router = APIRouter(include_in_schema=False)

EXAMPLES = (
    (
        "/api/v1/projects?sort=-investment_cny,name",
        "项目，按投资额从大到小",
        "projects, largest investment first",
    ),
    (
        "/api/v1/zero-carbon-factories?level=near_zero_carbon",
        "近零碳工厂",
        "near-zero-carbon factories",
    ),
    ("/api/v1/parks?q=%E5%85%89%E7%94%B5", "园区搜索“光电”", "parks matching 光电"),
    ("/api/v1/figures?kind=target", "目标数字", "target figures"),
    ("/api/v1/stats/projects?group_by=status", "项目按状态统计", "projects counted by status"),
    ("/api/v1/projects?format=csv", "项目表格（CSV）", "projects as CSV"),
)


def _collections() -> str:
    """The collections the page counts, as JavaScript: path, Chinese and English label, and the
    kind of record a figure's `subject_type` names."""
    entries = [
        json.dumps(
            [item.tag, item.label_zh, item.plural.capitalize(), item.subject], ensure_ascii=False
        )
        for item in DOCUMENTED
    ]
    pairs = [", ".join(entries[i : i + 2]) + "," for i in range(0, len(entries), 2)]
    return "\n".join("  " + pair for pair in pairs)


def _page() -> str:
    examples = "\n".join(
        f'    <li><a href="{escape(href)}"><code>{escape(href)}</code></a> — '
        f'<span data-zh="{zh}" data-en="{en}">{zh}</span></li>'
        for href, zh, en in EXAMPLES
    )
    template = Path(__file__).with_name("landing.html").read_text(encoding="utf-8")
    return template.replace("<!--EXAMPLES-->", examples).replace(
        "<!--COLLECTIONS-->", _collections()
    )


PAGE = _page()


@router.get("/", response_class=HTMLResponse)
def landing() -> str:
    """A page for people: what CityKB holds and where to start."""
    return PAGE
