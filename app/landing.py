from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

EXAMPLES = (
    (
        "/api/v1/projects?sort=-investment_cny,name",
        "项目，按投资额从大到小 · projects, largest first",
    ),
    (
        "/api/v1/zero-carbon-factories?level=near_zero_carbon",
        "近零碳工厂 · near-zero-carbon factories",
    ),
    ("/api/v1/parks?q=%E5%85%89%E7%94%B5", "园区搜索“光电” · parks matching 光电"),
    ("/api/v1/figures?kind=target", "目标数字 · target figures"),
    ("/api/v1/districts", "行政区划 · districts"),
)

PAGE = """<!doctype html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CityKB · 城市发展知识库</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.6; color: #1d2733; }}
h1 {{ margin-bottom: 0; }} .sub {{ color: #52606d; margin-top: .2rem; }}
code {{ background: #f0f3f6; padding: 0 .25rem; border-radius: 3px; }}
li {{ margin: .3rem 0; }}
</style>
</head>
<body>
<h1>CityKB · 城市发展知识库</h1>
<p class="sub">A cited knowledge base of a city's development: projects, parks, renewal cases and
zero-carbon factories. 每条记录都注明出处段落与原文短引。</p>
<ul>
<li><a href="/docs">/docs</a> — interactive API documentation · 交互式接口文档</li>
<li><a href="/redoc">/redoc</a> — reference · 参考文档</li>
<li><a href="/openapi.json">/openapi.json</a> — OpenAPI document for client generators</li>
</ul>
<h2>Examples · 示例</h2>
<ul>
{examples}
</ul>
</body>
</html>
"""


@router.get("/", response_class=HTMLResponse)
def landing() -> str:
    """A page for people: what CityKB holds and where to start."""
    examples = "\n".join(
        f'<li><a href="{href}"><code>{href}</code></a> — {label}</li>' for href, label in EXAMPLES
    )
    return PAGE.format(examples=examples)
