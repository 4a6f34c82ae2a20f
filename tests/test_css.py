"""Stylesheets: what they load is found (for capture) and pointed at the archive (for serve)."""

from __future__ import annotations

from crawler.css import css_refs, rewrite_css

BASE = "http://yjs.example.edu.cn/css/news.vsb.css"
CSS = """@import url("base.css");
@import 'print.css';
.banner { background: #fff url(../images/banner.jpg) no-repeat; }
.logo { background-image: url( "/images/logo.png" ); }
@font-face { font-family: "方正小标宋"; src: url('/fonts/fz.woff2') format("woff2"); }
.dot { background: url(data:image/gif;base64,R0lGOD==); }
.same { background: url(../images/banner.jpg); }
""".encode("gb18030")


def test_a_stylesheet_names_its_imports_images_and_fonts() -> None:
    imports, files = css_refs(CSS, BASE)
    assert imports == [
        "http://yjs.example.edu.cn/css/base.css",
        "http://yjs.example.edu.cn/css/print.css",
    ]
    assert files == [
        "http://yjs.example.edu.cn/images/banner.jpg",
        "http://yjs.example.edu.cn/images/logo.png",
        "http://yjs.example.edu.cn/fonts/fz.woff2",
    ]


def test_archived_copies_replace_references_and_the_rest_become_absolute() -> None:
    kept = {"http://yjs.example.edu.cn/images/banner.jpg": "/files/aaa"}
    out = rewrite_css(CSS, BASE, kept.get)
    assert out.count(b"url(/files/aaa)") == 2
    assert b'url( "/images/logo.png" )' not in out
    assert b'url("http://yjs.example.edu.cn/images/logo.png")' in out
    assert b"@import 'http://yjs.example.edu.cn/css/print.css'" in out
    assert b"data:image/gif;base64,R0lGOD==" in out
    assert "方正小标宋".encode("gb18030") in out  # the stylesheet's own bytes, not re-encoded
