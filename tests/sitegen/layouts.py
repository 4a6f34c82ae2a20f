"""Page templates (bytes) in the real layouts: Tsinghua A/B/C, a GBK-era site and a Drupal-like English site."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from .model import Lead, ListItem, Para, Story

# ------------------------------------------------------------------ helpers


@lru_cache(maxsize=1 << 16)
def esc(s: str) -> str:
    return html.escape(s, quote=False)


def attr(s: str) -> str:
    return html.escape(s, quote=True)


@lru_cache(maxsize=1 << 16)
def ent(s: str) -> str:
    """Escape the way the legacy CMS did: curly quotes and dashes as named entities."""
    return (
        html.escape(s, quote=False)
        .replace("\u201c", "&ldquo;")
        .replace("\u201d", "&rdquo;")
        .replace("\u2014", "&mdash;")
    )


def js_str(s: str) -> str:
    """A double-quoted JavaScript string literal."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("</", "<\\/") + '"'


def url_path(url: str) -> str:
    """'http://host/a/b?x=1' -> '/a/b?x=1'."""
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def shorten(title: str, limit: int = 24) -> str:
    """Listing titles are cut with '...' when long (take the title from the article page)."""
    return title if len(title) <= limit else title[:limit] + "..."


@dataclass
class Link:
    """A link in a related-news or sidebar block."""

    href: str
    title: str
    date: str  # YYYY-MM-DD


LEGACY_COLUMNS = (
    ("4204", "头条新闻"),
    ("4205", "综合新闻"),
    ("4206", "百年校庆"),
    ("4207", "媒体清华"),
    ("4208", "清华人物"),
    ("4209", "教学科研"),
    ("4210", "招生就业"),
    ("4211", "国际合作"),
    ("4212", "校园写意"),
    ("4213", "校友动态"),
    ("4214", "领导讲话"),
    ("4215", "紫荆论坛"),
    ("4216", "清华史苑"),
    ("4195", "高教视点"),
    ("4217", "社会服务"),
    ("4218", "专题新闻"),
    ("4222", "图片新闻"),
    ("4225", "信息预告"),
)
LEGACY_NAMES = dict(LEGACY_COLUMNS)
THUNEWS_COLUMNS = (
    ("9648", "头条新闻"),
    ("10303", "综合新闻"),
    ("9649", "要闻聚焦"),
    ("9650", "媒体清华"),
    ("9652", "图说清华"),
    ("9654", "校园写意"),
    ("9656", "清华人物"),
    ("9655", "专题新闻"),
    ("10304", "新闻排行"),
    ("9657", "新闻合集"),
)
THUNEWS_NAMES = dict(THUNEWS_COLUMNS)
THU = "http://news.tsinghua.edu.cn"

# ------------------------------------------------------------------ Layout A: publish/news (<=2015)

_A_HEAD = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<!-- IE8 兼容 -->
<meta http-equiv="X-UA-Compatible" content="IE=EmulateIE7" />
<link rel="shortcut icon" href="/publish/news/icon/favicon.ico" />
<title>{title} - 清华大学新闻网</title>
<script type="text/javascript">
function joinNavText(navText, sep){{
  var out = "{title_js} - 清华大学新闻网 - 首页  ";
  var parts = navText.split(sep);
  for (var k = 1; k < parts.length; k++) {{ out += sep + parts[k]; }}
  return out;
}}
var navText = "&nbsp;<A href='/publish/news/index.html' class='navigation_style'>首页</a> - <A href='/publish/news/{col}/index.html' class='navigation_style'>{colname}</a>{tail}".replace(/<.*?>/g, "");
document.title = joinNavText(navText, " - ");
</script><link type="text/css" rel="stylesheet" href="/publish/news/css/stylesheet.css" />
<script src="/publish/news/js/qrcode.js" type="text/javascript"></script>
<script src="/public/jquery/jquery-1.4.min.js" type="text/javascript"></script>
<!-- links to other sites open in a new window -->
<script type="text/javascript">
<!--
$(document).ready(function() {{
  $("a[href^='http://']").not("[href*='" + location.hostname + "']").attr("target", "_blank");
  $("a[href*='/publish/news/']").removeAttr("target");
}});
//-->
</script><script type="text/javascript">
  var _stats = _stats || [];
  _stats.push(['_setAccount', 'UA-00000000-1']);
  _stats.push(['_trackPageview']);
  (function() {{
    var s = document.createElement('script'); s.type = 'text/javascript'; s.async = true;
    s.src = '/public/stats/stats.js';
    var first = document.getElementsByTagName('script')[0]; first.parentNode.insertBefore(s, first);
  }})();
</script>
</head>
<body>
"""

_A_TOP = (
    """<!-- 页头区域开始 -->
<script language="javascript" type="text/javascript">
//<![CDATA[
$(document).ready(function(){
  jQuery.getJSON("/application/visits/visits.jsp?sid=news&r=" + Math.random(), function(rows){
    $("#total").empty().append(rows[0].total);
  });
});
//]]>
</script>
<div id="weather">
 <ul>
  <li class="yjfk"></li>
  <li class="center">
   <span class="date">
<script language="javaScript">
var now = new Date();
var weekNames = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
document.write(now.getFullYear(), '年', now.getMonth() + 1, '月', now.getDate(), '日 ', weekNames[now.getDay()]);
</script>
   </span>
   &nbsp;&nbsp;<span class="dot">总浏览数：<span id="total"><img src="/publish/news/images/ajax-loader.gif" width="10px" height="10px"/></span>&nbsp;&nbsp;</span>
  </li>
  <li class="right">
   <a href="/publish/news/index.html">首页</a> |
   <a href="/publish/newsen/index.html">English</a> |
   <a target="_blank" href="http://weibo.com/">清华微博</a> |
   <a href="/publish/news/mobile/index.html">手机版</a> |
   <a href="/publish/news/rss/index.html">RSS聚合</a> |
   <a href="http://www.tsinghua.edu.cn/publish/th/index.html" target="_blank">清华主页</a>
  </li>
 </ul>
</div>
<div id="banner">
 <a href="/publish/news/index.html"><img src="/publish/news/images/s_12.gif" alt="banner" border="0" /> </a>
</div>
<div id="navigation_top">
 <img src="/publish/news/images/space.gif" />
</div>
<div id="navigation">
 <div id="navigation_txt">
  """
    + '<span class="line">|</span>'.join(
        f'<a href="/publish/news/{c}/index.html" class="a14">{n}</a>'
        + ("<br />" if c == "4213" else "")
        for c, n in LEGACY_COLUMNS
    )
    + """
 </div>
</div>
<!-- 页头区域结束 -->"""
)

_A_LATEST = """   <div class="Tab_wind_sec">
     <ul>
       <li class="yjfk"></li>
       <li class="center">&nbsp;最新新闻列表</li>
       <li class="right">&nbsp;</li>
     </ul>
   </div>
   <script language="javascript" type="text/javascript">
      //<![CDATA[
      $(document).ready(function(){
        // the list is filled from a JSON file when the page is shown
        jQuery.getJSON("/publish/news/latestnews.json?r=" + Math.random(), function(rows){
          var box = $("#datalist_secl");
          var out = "<ul>";
          jQuery.each(rows, function(i, row){
            out += "<li><a href=\\"" + row["href"] + "\\" title=\\"" + row["title"] + "\\">" + row["title"] + "&nbsp;[" + row["datetime"] + "]</a></li>";
          });
          box.empty().append(out + "</ul>");
        });
      });
      //]]>
   </script>
   <div id="datalist_secl">
   </div>
"""

_A_TOPICS = (
    ("9250", "深化综合改革专题"),
    ("9209", "良师益友特别报道"),
    ("9190", "校园文化建设"),
    ("9185", "教学成果奖巡礼"),
    ("9174", "科技园建设回眸"),
    ("9160", "毕业季"),
    ("9151", "开学季"),
    ("9133", "暑期社会实践"),
    ("9120", "学术新星"),
    ("9102", "校友风采"),
    ("9088", "绿色校园"),
)

_A_LEFT_EXTRA = (
    """   <div class="Tab_wind_sec">
     <ul>
       <li class="yjfk"></li>
       <li class="center">&nbsp;专题新闻</li>
       <li class="right">&nbsp;</li>
     </ul>
   </div>
   <div id="zt_sec">
    <ul>
"""
    + "".join(
        f'     <li>\n      <a href="/publish/news/{c}/index.html"><span>{n}</span></a>\n     </li>\n'
        for c, n in _A_TOPICS
    )
    + """    </ul>
   </div>
   <div class="Tab_wind_sec">
     <ul>
       <li class="yjfk"></li>
       <li class="center">&nbsp;新闻排行榜</li>
       <li class="right">&nbsp;</li>
     </ul>
   </div>
   <script language="javascript" type="text/javascript">
   //<![CDATA[
   $(document).ready(function(){
     jQuery.getJSON("/publish/news/newsladder.json?r=" + Math.random(), function(rows){
       var list = $("#resText").empty();
       jQuery.each(rows, function(i, row){
         list.append("<li><a href=\\"" + row["href"] + "\\">" + row["title"] + "&nbsp;[" + row["datetime"] + "](" + row["dotnum"] + ")</a></li>");
       });
     });
   });
   //]]>
   </script>
   <div id="datalist_secl2">
     <ul id="resText"></ul>
   </div>
"""
)

_A_QR = """<table width="80%" border="0" align="center" cellpadding="0" cellspacing="0" style="margin-top:50px;">
  <tr>
    <td width="25%"><img src="/publish/news/images/1.jpg" width="120" height="120"></td>
    <td width="25%"><img src="/publish/news/images/2.png" width="120" height="120"></td>
    <td width="25%"><img src="/publish/news/images/3.jpg" width="120" height="120"></td>
    <td width="25%"><img src="/publish/news/images/4.jpg" width="120" height="120"></td>
  </tr>
  <tr>
    <td height="30">官方微信</td>
    <td>官方微博</td>
    <td>校报微信</td>
    <td>电视台微信</td>
  </tr>
</table>
"""

_A_FRIENDS = (
    (
        "校内网站",
        (
            ("http://www.tsinghua.edu.cn/", "学校主页"),
            ("http://xqh.tsinghua.edu.cn/", "校报"),
            ("http://tv.tsinghua.edu.cn/", "电视台"),
            ("http://lib.tsinghua.edu.cn/", "图书馆"),
            ("http://career.tsinghua.edu.cn/", "就业信息"),
            ("http://xsg.tsinghua.edu.cn/", "校史馆"),
            ("http://www.tsinghua.org.cn/", "校友总会"),
            ("http://info.tsinghua.edu.cn/", "信息门户"),
        ),
    ),
    (
        "高校新闻",
        (
            ("http://news.pku.edu.cn/", "北京大学"),
            ("http://news.ruc.edu.cn/", "人民大学"),
            ("http://news.fudan.edu.cn/", "复旦大学"),
            ("http://www.news.zju.edu.cn/", "浙江大学"),
            ("http://news.ustc.edu.cn/", "中国科大"),
            ("http://news.nju.edu.cn/", "南京大学"),
            ("http://news.sjtu.edu.cn/", "上海交大"),
            ("http://news.xjtu.edu.cn/", "西安交大"),
        ),
    ),
    (
        "国内媒体",
        (
            ("http://www.xinhuanet.com/", "新华网"),
            ("http://www.people.com.cn/", "人民网"),
            ("http://www.jyb.cn/", "教育新闻网"),
            ("http://www.gmw.cn/", "光明网"),
            ("http://www.sciencenet.cn/", "科学网"),
            ("http://www.chinanews.com/", "中国新闻网"),
        ),
    ),
)


def _friend_tables() -> str:
    out = []
    for head, links in _A_FRIENDS:
        rows = []
        for i in range(0, len(links), 4):
            cells = "".join(
                f'\n        <td class="dot">&nbsp;</td>\n        <td><a href="{h}" target="_blank">{n}</a></td>'
                for h, n in links[i : i + 4]
            )
            rows.append(f"      <tr>{cells}\n      </tr>\n")
        out.append(
            f'  <div class="flowtitle_link">{head}</div>\n  <div class="flowtext_link">\n'
            f'   <table class="table_link">\n{"".join(rows)}   </table>\n  </div>\n'
        )
    return "".join(out)


_A_FOOTER = (
    """<!-- 页脚区域开始 -->
<script type="text/javascript">
function showLinks(evt) {
  var e = window.event ? window.event : evt;
  var box = document.getElementById('flink');
  box.style.display = 'block';
  box.style.left = (document.documentElement.scrollLeft + e.clientX - box.clientWidth / 2) + "px";
  box.style.top = (document.documentElement.scrollTop + e.clientY - box.clientHeight - 3) + "px";
}
function keepLinks() { document.getElementById('flink').style.display = 'block'; }
function hideLinks() { document.getElementById('flink').style.display = 'none'; }
</script>
<div id="footer">
<a href="/publish/news/4198/index.html"><span class="bluetxt">关于我们</span></a> │ <a href="/publish/news/4199/index.html"><span class="bluetxt">联系我们</span></a> │ <a href="#" onmouseover="showLinks(event);" onmouseout="hideLinks();"><span class="bluetxt">友情链接</span></a> │ <a href="/publish/news/zhuanti/zl.html"><span class="bluetxt">校园展览</span></a> │ <a href="/publish/news/newscenter/xczl.htm"><span class="bluetxt">宣传资料</span></a><br/><br/>清华大学新闻中心版权所有，新闻网编辑部维护 电子信箱:news@example.edu.cn<br/>Copyright 2006-2015 news.tsinghua.edu.cn. All rights reserved.
</div>
<div id="flink" class="flowcss_link" style="display:none;position:absolute;" onmouseover="keepLinks();" onmouseout="hideLinks();">
"""
    + _friend_tables()
    + """</div>
<!-- 页脚区域结束 --></body>
</html>"""
)


def legacy_body_html(story: Story) -> str:
    """The CMS body of a layout-A page (what sits both in #hidden_detail and in #datalist_detail)."""
    out = [
        f'<p style="text-align: center"><strong><span style="font-size: 18px">{ent(story.title)}'
        "</span></strong></p>\n"
    ]
    kai = '<span style="font-family: 楷体,楷体_GB2312">'
    if story.subtitle:
        out.append(
            f'<p style="text-align: center"><span style="font-size: 14px">{ent(story.subtitle)}'
            "</span></p>\n"
        )
    if story.source_line:
        out.append(f'<p style="text-align: center">{kai}{ent(story.source_line.text)}</span></p>\n')
    for b in story.body:
        if isinstance(b, Lead):
            out.append(f"<p>\u3000\u3000{ent(b.text)}</p>\n")
        elif isinstance(b, Para):
            if b.kind == "heading":
                out.append(f'<p style="text-align: center"><strong>{ent(b.text)}</strong></p>\n')
            else:
                out.append(f"<p>\u3000\u3000{ent(b.text)}</p>\n")
        else:
            out.append(
                f'<p style="text-align: center"><img alt="" src="{attr(b.src)}" '
                'style="width: 500px; height: 333px" /></p>\n'
            )
            if b.caption:
                out.append(f'<p style="text-align: center">{kai}{ent(b.caption)}</span></p>\n')
            if b.credit_text:
                out.append(f'<p style="text-align: center">{kai}{ent(b.credit_text)}</span></p>\n')
    trailer = _trailer_text(story)
    if trailer:
        out.append(f'<p style="text-align: right">{ent(trailer)}</p>\n')
    out.append("<p>&nbsp;</p>")
    return "".join(out)


def _trailer_text(story: Story) -> str:
    parts = []
    if story.contributors:
        parts.append("供稿：" + " ".join(story.contributors))
    if story.editors:
        parts.append("编辑：" + " ".join(story.editors))
    if story.reviewers:
        parts.append("审核：" + " ".join(story.reviewers))
    return "\u3000".join(parts)


def _a_related(links: Sequence[Link]) -> str:
    items = "".join(
        f"          <li><a href='{attr(x.href)}'>{esc(x.title)}</a><span class='txt_date'>"
        f"[{x.date}]</span></li>\n"
        for x in links
    )
    return (
        '      <div id="xgxw_sec">相关新闻</div>\n      <div id="datalist_sec">\n        <ul>\n'
        f"{items}        </ul>\n      </div>\n"
    )


def legacy_article(story: Story, col: str, related: Sequence[Link] = ()) -> bytes:
    """Layout A article page: body twice (hidden + visible), [更新：] time, read counter, related news."""
    aid = story.article_id
    title_js = story.title.replace("\\", "\\\\").replace('"', '\\"')
    head = _A_HEAD.format(
        title=esc(story.title),
        title_js=title_js,
        col=col,
        colname=LEGACY_NAMES.get(col, "综合新闻"),
        tail=" - 内容",
    )
    body = legacy_body_html(story)
    updated = story.published.strftime("%Y-%m-%d %H:%M:%S")
    h3 = title_js
    main = f"""<div id="home_news_top">
<table class="table_big">
  <tr>
    <td class="sec_lefttd">
{_A_LATEST}{_A_LEFT_EXTRA}    </td>
    <td class="sec_righttd">
      <div id="position_sec">&nbsp;<A href='/publish/news/index.html' class='navigation_style'>首页</a>&nbsp;&gt;&nbsp;<A href='/publish/news/{col}/index.html' class='navigation_style'>{LEGACY_NAMES.get(col, "综合新闻")}</a>&nbsp;&gt;&nbsp;内容</div>      <div id="hidden_detail" style="display:none;">
       {body}
      </div>
      <div id="datalist_detail">
      <script language="javascript" type="text/javascript">
      //var detail=document.getElementById("hidden_detail").innerHTML;
      //if(detail.search("[Hh][0-9] [Aa][Ll][Ii][Gg][Nn]")==-1)
      //{{
      // document.write("<H3 align=center>{h3}</H3>");
      //}}
      </script>
   <P>{body}</P>
    </div>
      <div id="source1">（http://news.tsinghua.edu.cn）</div>
      <div id="title_detail_picwriter">[更新：{updated}]</div>
      <script language="javascript" type="text/javascript">
      //<![CDATA[
      $(document).ready(function(){{
        jQuery.get("/application/visitor/article_item_visitors_2.jsp?articleID={aid}&" + Math.random(), function(n){{
          $("#item_total").empty().append(n);
        }});
      }});
      //]]>
      </script>
      <div id="title_detail_picwriter">[阅读：<span id="item_total"><img src="/publish/news/images/ajax-loader.gif" width="10px" height="10px"/></span>人次]</div>
{_A_QR}
{_a_related(related)}      <div class="fbpl">
        <ul>
          <li class="yjfk"></li>
          <li class="center">网友评议</li>
        </ul>
      </div>
      <div>
      <!-- 评论区域开始 -->
<script type="text/javascript">
$(function(){{
  $("#commentFrame").load(function(){{ $(this).height($(this).contents().height() + 20); }});
}});
</script>
<iframe src="/application/comment/getcomment.jsp?tid={aid}" id="commentFrame" width="100%" frameborder="0" scrolling="No" allowtransparency="allowTransparency" marginwidth="0" marginheight="0"></iframe>
<!-- 评论区域结束 -->      </div>
    </td>
  </tr>
</table>
</div>
"""
    return (head + _A_TOP + main + _A_FOOTER).encode("utf-8")


def _a_pager(col: str, page: int, total_pages: int, total_items: int) -> str:
    def href(n: int) -> str:
        return (
            f"/publish/news/{col}/index.html" if n == 1 else f"/publish/news/{col}/index_{n}.html"
        )

    def link(n: int, label: str) -> str:
        return f"<a href='{href(n)}'><font color='#000000'>{label}</font></a>"

    def grey(label: str) -> str:
        return f"<font color='#C0C0C0'>{label}</font>"

    first = grey("首页") if page == 1 else link(1, "首页")
    prev = grey("上一页") if page == 1 else link(page - 1, "上一页")
    nxt = grey("下一页") if page >= total_pages else link(page + 1, "下一页")
    last = grey("末页") if page >= total_pages else link(total_pages, "末页")
    return f"""<div id="pages_sec">

<span style='font-size:12px'>
		共<b>{total_items}</b>条&nbsp;&nbsp;
		分<b>{total_pages}</b>页&nbsp;&nbsp;
		当前&nbsp;第<b>{page}</b>页&nbsp;&nbsp;
		 {first}
		 {prev}
		 {nxt}
		 {last}
</span>
<script type="text/javascript">
var n={total_pages};
if(n>1){{
  document.write("<span>跳转到：<select name='topage' size='1' onchange='doGo(this.value);'>");
  for(var i=1;i<=n;i++){{
    document.write("<option value='"+i+"'"+(i=={page}?" selected":"")+">"+i+"</option>");
  }}
  document.write("</select></span>");
}}
</script>
<script src="/publish/news/js/porto_onlyfornews.js" type="text/javascript"></script>
</div>"""


def legacy_listing(
    col: str, items: Sequence[ListItem], page: int, total_pages: int, total_items: int
) -> bytes:
    """Layout A listing page /publish/news/<col>/index[_N].html."""
    name = LEGACY_NAMES.get(col, "综合新闻")
    head = _A_HEAD.format(title=name, title_js=name, col=col, colname=name, tail="")
    rows = []
    for it in items:
        aid = it.url.rstrip("/").rsplit("/", 2)[-2] if it.url.endswith("_.html") else "0"
        rows.append(
            f"""                 <script language="javascript" type="text/javascript">
        //<![CDATA[
        $(document).ready(function(){{
          jQuery.get("/application/visitor/article_list_visitors_2.jsp?articleID={aid}&" + Math.random(), function(n){{
            if (n > 5000) {{ $("#font_itemlist_total_{aid}").attr("style", "color:blue"); }}
            else if (n > 500) {{ $("#font_itemlist_total_{aid}").attr("style", "color:green"); }}
            $("#itemlist_total_{aid}").empty().append(n);
          }});
        }});
        //]]>
        </script>
          <li><a href='{attr(url_path(it.url))}'><font color="">{esc(it.title)}</font></a>&nbsp;&nbsp;
          	[<span class='txt_date'>{it.date}</span><span class='txt_sum'>浏览:
          		<font id="font_itemlist_total_{aid}"><span id="itemlist_total_{aid}">
          			<img src="/publish/news/images/ajax-loader.gif" width="10px" height="10px"/>
          			</span></font>
          	</span>]
          </li>
"""
        )
    main = f"""<div id="home_news_top">
<table class="table_big">
  <tr>
    <td class="sec_lefttd">
{_A_LEFT_EXTRA}<!-- secondary left end -->    </td>
    <td class="sec_righttd">
            <div id="position_sec">&nbsp;<A href='/publish/news/index.html' class='navigation_style'>首页</a>&nbsp;&gt;&nbsp;<A href='/publish/news/{col}/index.html' class='navigation_style'>{name}</a></div>      <div id="datalist_sec2">
        <ul>
{"".join(rows)}        </ul>
{_a_pager(col, page, total_pages, total_items)}      </div>
    </td>
  </tr>
</table>
</div>
"""
    return (head + _A_TOP + main + _A_FOOTER).encode("utf-8")


def withdrawn_stub(
    target: str = "/publish/news/index.html", site_title: str = "清华大学新闻网"
) -> bytes:
    """The 200-status page left where a withdrawn article was: only a JS redirect (about 400 bytes)."""
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n'
        f"<title>{site_title}</title>\n"
        '<script type="text/javascript">\n'
        f' window.location.href="{target}";\n'
        "</script>\n</head>\n<body>\n</body>\n</html>"
    ).encode()


def legacy_home(latest: Sequence[Link]) -> bytes:
    """A small /publish/news/index.html (the target of withdrawn-article stubs)."""
    head = _A_HEAD.format(title="首页", title_js="首页", col="4204", colname="首页", tail="")
    items = "".join(
        f"<li><a href='{attr(x.href)}'>{esc(x.title)}</a><span class='txt_date'>[{x.date}]</span></li>\n"
        for x in latest
    )
    main = f'<div id="home_news_top"><div id="datalist_sec"><ul>\n{items}</ul></div></div>\n'
    return (head + _A_TOP + main + _A_FOOTER).encode("utf-8")


# ------------------------------------------------------------------ Layout B: publish/thunews (2016-2020)

_B_HEAD = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="keywords" content="{keywords}">
<meta name="description" content="{description}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link href="/publish/thunews/css/base.css" rel="stylesheet" type="text/css">
<link href="/publish/thunews/css/font.css" rel="stylesheet" type="text/css">
<link href="/publish/thunews/css/inner.css" rel="stylesheet" type="text/css">
<script src="/publish/thunews/js/jquery-1.11.1.min.js" type="text/javascript"></script>
<script src="/publish/thunews/js/slick.min.js" type="text/javascript"></script>
<script src="/publish/thunews/js/comm.js" type="text/javascript"></script>
<!--[if lt IE 9]>
<script src="/publish/thunews/js/html5.js" type="text/javascript"></script>
<![endif]-->
<script language="javascript" type="text/javascript">
  window.onerror = function(){{return true;}};
  function cutSummary(text, max){{
    document.write(text.length > max ? text.substring(0, max) + "..." : text);
  }}
</script>
</head>
<body>
"""


def _b_header(current: str) -> str:
    items = "\n".join(
        f'   <li><a href="{THU}/publish/thunews/{c}/index.html" class="item{c}'
        f'{" current" if c == current else ""}">{n}</a></li>'
        for c, n in THUNEWS_COLUMNS
    )
    return f"""<header class="clearfix">
 <section class="mainWrap">
     <div class="topwraper relative clearfix">
          <div class="ulink">
                <ul class="clearfix">
                     <li class="socialnet"><a href="http://weibo.com/" class="circle" title="微博" target="_blank"><i class="thunews-weibo"></i></a></li>
                     <li class="socialnet"><a href="javascript:;" class="circle" title="微信"><i class="thunews-weixin"></i></a>
                     <div class="socialwraper"><i><em></em></i><img src="/publish/thunews/images/weixin.jpg"></div></li>
                     <li class="socialnet"><a href="{THU}/publish/thunews/10237/index.html" class="circle" title="rss订阅"><i class="thunews-rss"></i></a></li>
                     <li class="mr"><a href="{THU}/publish/thunewsen/index.html" class="en" target="_blank">ENGLISH</a></li>
                     <li class="thuold mr"><a href="{THU}/publish/news/index.html" target="_blank">怀念老版</a></li>
                     <li class="thuhome mr"><a href="http://www.tsinghua.edu.cn/" target="_blank">清华主页</a></li>
                </ul>
            </div>
            <a href="{THU}/publish/thunews/index.html" class="logo"><img src="/publish/thunews/images/logo.png" alt="logo"></a>
            <div class="search">
               <form id="searchForm" target="_blank" action="http://search.tsinghua.edu.cn/web">
                 <input name="query" type="text"><input name="ie" value="utf8" type="hidden">
                 <a href="javascript:;" onclick="document.getElementById('searchForm').submit();"><i class="thunews-search"></i></a>
               </form>
            </div>
        </div>
 </section>
 <nav class="navwrap yahei">
  <section class="mainWrap">
  <div id="smenu" class="smenu"><i class="thunews-bars"></i></div>
  <ul id="nav">
   <li><a href="{THU}/publish/thunews/index.html" class="item0">首页</a></li>
{items}
   <li><a href="http://tv.tsinghua.edu.cn/" target="_blank">视频空间</a></li>
  </ul>
  </section>
 </nav>
</header>
"""


_B_SIDEBAR_JS = """ <script>
 jQuery.ajaxSettings.async = false;
 function fillGallery(){
   jQuery.getJSON("/publish/thunews/thunews_tsqh.json?r=" + Math.random(), function(rows){
     jQuery.each(rows, function(i){
       $("#thunews_tsqh").append("<li><a href=\\"" + rows[i]["href"] + "\\" target=\\"_blank\\"><img src=\\"" + rows[i]["src"] + "\\"><div><b></b><span>" + rows[i]["span"] + "</span></div></a></li>");
     });
   });
 }
 function fillHot(){
   jQuery.getJSON("/publish/thunews/thunews_jqrd.json?r=" + Math.random(), function(rows){
     jQuery.each(rows, function(i, row){
       $("#resText").append("<li><div class='thumb'><i class='thunews-clock-o'></i>" + row["datetime"].replace(/-/g, '.') + "<i class='thunews-eye'></i>" + row["dotnum"] + "</div><a href=\\"" + row["href"] + "\\" target=\\"_blank\\">" + row["title"] + "</a></li>");
     });
   });
 }
 fillGallery(); fillHot();
 </script>
"""


def _b_sidebar(gallery: Sequence[Link], latest: Sequence[Link]) -> str:
    gal = "".join(
        f'<li><a href="{attr(x.href)}" title="{attr(x.title)}" target="_blank">'
        f'<img src="/publish/thunews/images/gallery_{i}.jpg"><div><b></b><span>{esc(x.title)}</span></div></a></li>\n'
        for i, x in enumerate(gallery)
    )
    lat = "".join(
        f'<li><div class="thumb"><i class="thunews-clock-o"></i>{x.date.replace("-", ".")}</div>'
        f'<a href="{attr(x.href)}" title="{attr(x.title)}" target="_blank">{esc(x.title)}</a></li>\n'
        for x in latest
    )
    return f""" <section class="colunm2">
       <section class="mod">
        <h2><a href="{THU}/publish/thunews/9652/index.html" class="more" target="_blank">更多 ›</a><span class="iconwraper"><i class="thunews-picture-o"></i></span>图说清华</h2>
            <div class="slidegallery" role="toolbar">
              <ul id="thunews_tsqh">
{gal}              </ul>
            </div>
       </section>
       <section class="mod withborder">
        <h2><span class="iconwraper"><i class="thunews-clock-o"></i></span>最新更新</h2>
        <ul class="newslist clearfix" id="thunews_zxgx">
{lat}        </ul>
       </section>
       <section class="mod withborder">
        <h2 class="red"><span class="iconwraper"><i class="thunews-line-chart"></i></span>近期热点</h2>
        <ul class="newslist clearfix" id="resText"></ul>
       </section>
 </section>
{_B_SIDEBAR_JS}"""


_B_FOOTER = """<footer class="footer">
  <section class="mainWrap clearfix">
    <div class="footlinks">
      <a href="http://news.tsinghua.edu.cn/publish/thunews/10217/index.html">关于我们</a> |
      <a href="http://news.tsinghua.edu.cn/publish/thunews/10225/index.html">联系我们</a> |
      <a href="http://news.tsinghua.edu.cn/publish/thunews/10274/index.html">投稿须知</a> |
      <a href="http://www.tsinghua.edu.cn/" target="_blank">清华大学</a>
    </div>
    <p>清华大学新闻中心版权所有，新闻网编辑部维护</p>
    <p>地址：北京市海淀区清华大学 邮编：100084 电子信箱：news@example.edu.cn</p>
  </section>
  <a href="javascript:;" class="gotop"><i class="thunews-angle-up"></i></a>
</footer>
<script type="text/javascript">
$(function(){
  $(".gotop").click(function(){ $("html,body").animate({scrollTop: 0}, 300); });
  $("#smenu").click(function(){ $("#nav").toggle(); });
});
</script>
</body>
</html>"""


@dataclass(frozen=True)
class BStyle:
    """Case of the inline style attributes on one thunews page (the CMS varied it)."""

    indent: str
    center: str
    right: str
    kai: str


B_UPPER = BStyle(
    "TEXT-INDENT: 2em", "TEXT-ALIGN: center", "TEXT-ALIGN: right", "FONT-FAMILY: 楷体, 楷体_GB2312"
)
B_LOWER = BStyle(
    "text-indent: 2em", "text-align: center", "text-align: right", "font-family: 楷体,楷体_GB2312"
)


def thunews_body_html(story: Story, st: BStyle, kicker: bool = True) -> str:
    out = []
    if story.kicker and kicker:
        out.append(f'<p style="{st.center}"><strong>{esc(story.kicker)}</strong></p>\n')
    for b in story.body:
        if isinstance(b, Lead):
            by = " "
            if b.roles:
                inner = " ".join(
                    f"{role} " + " ".join(f"<span>{esc(n)}</span>" for n in names)
                    for role, names in b.roles
                )
                by = f"（{inner}）"
            out.append(
                f'<p style="{st.indent}"><strong>{esc(b.dateline)}</strong>{by}{esc(b.rest)}</p>\n'
            )
        elif isinstance(b, Para):
            if b.kind == "heading":
                out.append(f'<p style="{st.indent}"><strong>{esc(b.text)}</strong></p>\n')
            else:
                out.append(f'<p style="{st.indent}">{esc(b.text)}</p>\n')
        else:
            out.append(f'<p style="{st.center}"><img src="{attr(b.src)}" border="0" /></p>\n')
            if b.caption:
                out.append(
                    f'<p style="{st.center}"><span style="{st.kai}">{esc(b.caption)}</span></p>\n'
                )
            if b.credit:
                out.append(
                    f'<p style="{st.center}"><span style="{st.kai}">{esc(" ".join(b.credit))} </span>'
                    f'<span style="{st.kai}">摄</span></p>\n'
                )
    trailer = _trailer_text(story)
    if trailer:
        out.append(f'<p style="{st.right}">{esc(trailer)} </p>\n')
    return "".join(out)


def thunews_article(
    story: Story,
    col: str,
    upper: bool = True,
    related: Sequence[Link] = (),
    gallery: Sequence[Link] = (),
    latest: Sequence[Link] = (),
    kicker_first: bool = False,
) -> bytes:
    """Layout B article page (article.article with h1, hr, TEXT-INDENT paragraphs, articletime).
    The kicker (引题) follows the <hr/>, or precedes the h1 when `kicker_first` (as in the seed)."""
    st = B_UPPER if upper else B_LOWER
    pre = ""
    if story.kicker and kicker_first:
        pre = f'   <p style="{st.center}"><strong>{esc(story.kicker)}</strong></p>\n'
    name = THUNEWS_NAMES.get(col, "头条新闻")
    head = _B_HEAD.format(
        title=esc(story.title),
        keywords=attr(",".join(story.keywords)),
        description=attr(story.summary[:80]),
    )
    when = story.published.strftime("%Y年%m月%d日 %H:%M:%S")
    rel = "".join(
        f"""          <li class="clearfix">
      <div class="mtime"><span>{x.date[8:10]}</span>{x.date[:4]}.{x.date[5:7]}</div>
      <div class="newscontent">
       <h3><a href="{attr(x.href)}" target="_blank">{esc(shorten(x.title, 20))}</a></h3>
      </div>
     </li>
"""
        for x in related
    )
    main = f"""<div class="content yahei">
 <div class="mainWrap clearfix">
 <div class="usharewraper clearfix">
   <nav id="findjctj"><a href="{THU}/publish/thunews/index.html">首页</a> - <a href="{THU}/publish/thunews/{col}/index.html">{name}</a> - 内容</nav>
   <div class="ushare"><a href="javascript:;" class="share-weixin" title="分享到微信"><i class="thunews-weixin"></i></a><a href="javascript:;" class="share-weibo" title="分享到微博"><i class="thunews-weibo"></i></a></div>
 </div>
 <section class="colunm1">
  <article class="article">
{pre}   <h1 style="font-size:24px;line-height:36px;text-align:center;">{esc(story.title)}</h1>
   <hr/>
{thunews_body_html(story, st, not kicker_first)}   <div class="articletimewrapper"><div class="articletime"><i class="thunews-clock-o"></i>{when}\u3000\u3000清华新闻网</div></div>
  </article>
  <aside class="relativelink">
    <h2>相关新闻</h2>
    <ul class="timenewslist">
{rel}    </ul>
  </aside>
 </section>
{_b_sidebar(gallery, latest)} </div>
</div>
"""
    return (head + _b_header(col) + main + _B_FOOTER).encode("utf-8")


def thunews_listing(
    col: str, items: Sequence[ListItem], page: int, total_pages: int, total_items: int
) -> bytes:
    """Layout B listing page: li.clearfix > figure, cutSummary() scripts, JS pager + hidden static pager."""
    name = THUNEWS_NAMES.get(col, "头条新闻")
    head = _B_HEAD.format(title=f"清华大学新闻网 - {name}", keywords=name, description=name)
    rows = []
    for i, it in enumerate(items, 1):
        aid = it.url.rsplit("/", 2)[-2] if it.url.endswith("_.html") else f"topic{i}"
        rows.append(
            f"""        <script language="javascript" type="text/javascript">
        $(document).ready(function(){{
          jQuery.get("/application/visitor/article_list_visitors_2.jsp?articleID={aid}&" + Math.random(), function(n){{
              $("#itemlist_total_{aid}").empty().append(n);
          }});
        }});
        </script>
        <li class="clearfix">
             <figure>
                 <figcaption><a href="{attr(it.url)}" target="_blank" class="jiequ">{esc(it.title)}</a></figcaption>
                 <a class="picwraper" href="{attr(it.url)}" target="_blank">
                    <div class="mtime">      <span><font class="dd" id="dd-{i}">{it.date[8:10]}</font></span>
      <font class="ym" id="ym-{i}">{it.date[:4]}.{it.date[5:7]}</font>
                    </div>
                     <img src="/publish/thunews/images/thumb_{aid}.jpg">
                    </a>
                 <div class="contentwraper">
          <p><script language="javascript" type="text/javascript">cutSummary({js_str(it.summary)},80);</script></p>
                         <div class="thumb"><i class="thunews-eye"></i> <font id="font_itemlist_total_{aid}"><span id="itemlist_total_{aid}"></span></font></div>
                    </div>
                </figure>
            </li>
"""
        )

    def href(n: int) -> str:
        return (
            f"{THU}/publish/thunews/{col}/index.html"
            if n == 1
            else f"{THU}/publish/thunews/{col}/index_{n}.html"
        )

    def link(n: int, label: str) -> str:
        return f'<a href="{href(n)}"><font color="#000000">{label}</font></a>'

    first = '<font color="#C0C0C0">首页</font>' if page == 1 else link(1, "首页")
    prev = '<font color="#C0C0C0">上一页</font>' if page == 1 else link(page - 1, "上一页")
    nxt = '<font color="#C0C0C0">下一页</font>' if page >= total_pages else link(page + 1, "下一页")
    last = '<font color="#C0C0C0">末页</font>' if page >= total_pages else link(total_pages, "末页")
    pager = f"""       <script type="text/javascript">
var here = window.location.href;
var curPage = 1;
var pageCount = {total_pages};
if (here.lastIndexOf('index_') != -1)
  curPage = parseInt(here.substring(here.lastIndexOf('_') + 1, here.lastIndexOf('.')));
var pageStr = "<div class=\\"pager\\">";
if (curPage > 1) pageStr += '<a href="javascript:;" class="p" title="前一页" onclick="doGo(' + (curPage - 1) + ');">«</a>';
for (var i = 1; i <= pageCount; i++) {{
  pageStr += '<a href="javascript:;" class="' + (i == curPage ? 'current' : '') + '" onclick="doGo(' + i + ')">' + i + '</a>';
}}
if (curPage < pageCount) pageStr += '<a href="javascript:;" class="p" title="后一页" onclick="doGo(' + (curPage + 1) + ')">»</a>';
pageStr += "</div>";
document.write(pageStr);
function doGo(n) {{
  if (n < 1 || n > pageCount) return;
  var base = window.location.href.substr(0, window.location.href.lastIndexOf('/') + 1);
  window.location.href = base + (n == 1 ? 'index.html' : 'index_' + n + '.html');
}}
</script>
<p style="display:none">
<span style="font-size:12px">
		共<b>{total_items}</b>条&nbsp;&nbsp;
		分<b>{total_pages}</b>页&nbsp;&nbsp;
		当前&nbsp;第<b>{page}</b>页&nbsp;&nbsp;
		 {first}
		 {prev}
		 {nxt}
		 {last}
</span></p>
"""
    main = f"""<div class="content yahei subchannel">
 <div class="mainWrap clearfix">
 <section class="colunm1" id="datalist_sec2">
     <h2 class="channeltitle">{name}</h2>
        <ul class="picnewslist">
{"".join(rows)}        </ul>
{pager}    </section>
{_b_sidebar((), ())} </div>
</div>
"""
    return (head + _b_header(col) + main + _B_FOOTER).encode("utf-8")


def thunews_home(latest: Sequence[Link]) -> bytes:
    head = _B_HEAD.format(
        title="清华大学新闻网", keywords="清华,新闻", description="清华大学新闻网"
    )
    items = "".join(
        f'<li><a href="{attr(x.href)}" target="_blank">{esc(x.title)}</a></li>\n' for x in latest
    )
    main = f'<div class="content yahei"><div class="mainWrap clearfix"><ul class="newslist">\n{items}</ul></div></div>\n'
    return (head + _b_header("0") + main + _B_FOOTER).encode("utf-8")


# ------------------------------------------------------------------ Layout C: VSB (www.tsinghua.edu.cn, 2021-)

_C_NAV = (
    ("xxgk", "学校概况"),
    ("yxsz", "院系设置"),
    ("jxjy", "教育教学"),
    ("kxyj", "科学研究"),
    ("zsjy", "招生就业"),
    ("hzjl", "合作交流"),
    ("xyfw", "校园服务"),
    ("news/zxdt", "新闻"),
)


def _c_head(title: str, up: str, jsq: str, keywords: str = "清华大学,新闻") -> str:
    nav = "".join(f'<li><a href="{up}{p}.htm">{n}</a></li>' for p, n in _C_NAV)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0, user-scalable=no">
<title>{title}</title>
<meta name="keywords" content="{attr(keywords)}">
<meta name="description" content="清华大学">
<link rel="stylesheet" href="{up}css/reset.css">
<link rel="stylesheet" href="{up}css/style.css">
<script src="{up}js/jquery.min.js"></script>

<!--Announced by Visual SiteBuilder 9-->
<link rel="stylesheet" type="text/css" href="{up}_sitegray/_sitegray_d.css" />
<script language="javascript" src="{up}_sitegray/_sitegray.js"></script>
<!-- CustomerNO:7765626265723230747f475d5253574703090000 -->
<link rel="stylesheet" type="text/css" href="{up}news.vsb.css" />
<script type="text/javascript" src="/system/resource/js/counter.js"></script>
<script type="text/javascript">{jsq}</script>
</head>
<body>
<div class="header">
  <div class="wrap">
    <a class="logo" href="{up}index.htm"><img src="{up}images/logo.png" alt="清华大学"></a>
    <div class="topnav"><ul>{nav}</ul></div>
    <div class="search"><form action="{up}search.jsp" method="post" name="a246186a"><input type="text" name="showkeycode" placeholder="请输入关键词"><input type="submit" value="搜索"></form></div>
  </div>
</div>
"""


def _c_foot(up: str) -> str:
    return f"""<div class="footer">
  <div class="wrap">
    <div class="flinks"><a href="{up}xxgk.htm">学校概况</a><a href="{up}news/zxdt.htm">新闻动态</a><a href="{up}xyfw.htm">校园服务</a><a href="{up}lxwm.htm">联系我们</a></div>
    <p>版权所有 © 清华大学 &nbsp; 地址：北京市海淀区清华大学 &nbsp; 邮编：100084</p>
    <p>京ICP备00000000号 &nbsp; 京公网安备 00000000000000号</p>
  </div>
</div>
<script type="text/javascript">$(function(){{ $(".topnav li").hover(function(){{ $(this).addClass("on"); }}, function(){{ $(this).removeClass("on"); }}); }});</script>
</body>
</html>"""


def vsb_page_href(from_page: int, to_page: int, total: int, cat: str = "zxdt") -> str:
    """Relative href between two pages of a VSB list (page 1 = <cat>.htm, page p = <cat>/<total-p+1>.htm)."""
    if from_page == 1:
        return f"{cat}.htm" if to_page == 1 else f"{cat}/{total - to_page + 1}.htm"
    return f"../{cat}.htm" if to_page == 1 else f"{total - to_page + 1}.htm"


def vsb_pager(page: int, total: int, n_items: int, cat: str = "zxdt") -> str:
    """VSB's pb_sys pager: span.p_first / p_prev / p_no / p_next / p_last, and the counts."""
    p = []
    if page == 1:
        p.append(
            '<span class="p_first_d p_fun_d">首页</span><span class="p_prev_d p_fun_d">上页</span>'
        )
    else:
        p.append(
            f'<span class="p_first p_fun"><a href="{vsb_page_href(page, 1, total, cat)}">首页</a></span>'
            f'<span class="p_prev p_fun"><a href="{vsb_page_href(page, page - 1, total, cat)}">上页</a></span>'
        )
    for k in range(1, total + 1):
        if k == page:
            p.append(f'<span class="p_no_d">{k}</span>')
        else:
            p.append(
                f'<span class="p_no"><a href="{vsb_page_href(page, k, total, cat)}">{k}</a></span>'
            )
    if page >= total:
        p.append(
            '<span class="p_next_d p_fun_d">下页</span><span class="p_last_d p_fun_d">尾页</span>'
        )
    else:
        p.append(
            f'<span class="p_next p_fun"><a href="{vsb_page_href(page, page + 1, total, cat)}">下页</a></span>'
            f'<span class="p_last p_fun"><a href="{vsb_page_href(page, total, total, cat)}">尾页</a></span>'
        )
    return (
        '<div class="pb_sys_common pb_sys_normal pb_sys_style1" style="margin-top:10px;text-align:center;">'
        f'<span class="p_t">共{n_items}条</span><span class="p_pages">{"".join(p)}</span>'
        f'<span class="p_t">{page}/{total}</span></div>'
    )


def vsb_listing(
    items: Sequence[ListItem], page: int, total_pages: int, total_items: int, cat: str = "zxdt"
) -> bytes:
    """Layout C listing: /news/<cat>.htm then /news/<cat>/<K>.htm with K counting down."""
    up = "../" if page == 1 else "../../"
    rows = []
    for it in items:
        if it.url.startswith("https://www.tsinghua.edu.cn/info/"):
            href = up + it.url.split("https://www.tsinghua.edu.cn/", 1)[1]
            target = ""
        else:
            href, target = it.url, ' target="_blank"'
        rows.append(
            f"""<li><a href="{attr(href)}"{target}>
  <div class="sj"><span>{it.date[8:10]}</span><p>{it.date[:4]}.{it.date[5:7]}</p></div>
  <div class="tit"><p class="bt">{esc(it.title)}</p><p class="zy">{esc(it.summary[:60])}</p></div>
</a></li>
"""
        )
    pager = vsb_pager(page, total_pages, total_items, cat)
    head = _c_head("最新动态-清华大学", up, "_jsq_(1182,'/list.jsp',-1,1765432109)")
    main = f"""<div class="banner_nr"><img src="{up}images/news_banner.jpg"></div>
<div class="wrap">
  <div class="dqwz">当前位置：<a href="{up}index.htm">首页</a> &gt; <a href="{up}news/zxdt.htm">新闻</a> &gt; 最新动态</div>
  <div class="rem12">
    <div class="left">
      <ul>
{"".join(rows)}      </ul>
      <div class="pagination">{pager}</div>
    </div>
    <div class="right">
      <div class="lmdh"><h3>新闻</h3><ul><li class="on"><a href="{up}news/zxdt.htm">最新动态</a></li><li><a href="{up}news/xsky.htm">学术科研</a></li><li><a href="{up}news/rcpy.htm">人才培养</a></li><li><a href="{up}news/qhrw.htm">清华人物</a></li></ul></div>
    </div>
  </div>
</div>
"""
    return (head + main + _c_foot(up)).encode("utf-8")


def vsb_body_html(story: Story) -> str:
    out = []
    blocks = story.body
    n = len(blocks)
    for i, b in enumerate(blocks):
        cls = (
            ' class="vsbcontent_start"'
            if i == 0
            else (' class="vsbcontent_end"' if i == n - 1 and not story.editors else "")
        )
        if isinstance(b, Lead):
            by = f"（{esc(b.byline)}）" if b.roles else " "
            out.append(f'<p{cls} style="text-indent:2em;">{esc(b.dateline)}{by}{esc(b.rest)}</p>\n')
        elif isinstance(b, Para):
            if b.kind == "heading":
                out.append(f'<p{cls} style="text-indent:2em;"><strong>{esc(b.text)}</strong></p>\n')
            else:
                out.append(f'<p{cls} style="text-indent:2em;">{esc(b.text)}</p>\n')
        else:
            code = b.src.rsplit("/", 1)[-1].split(".")[0]
            out.append(
                f'<p class="vsbcontent_img" style="text-align:center;"><img width="600" src="{attr(b.src)}" '
                f'vsbhref="vurl" vurl="/_vsl/{code}/A1B2C3D4/1F2E3" vheight="" vwidth="600" '
                f'orisrc="{attr(b.src)}" class="img_vsb_content"></p>\n'
            )
            if b.caption:
                out.append(
                    '<p style="text-align:center;"><span style="font-family:楷体,楷体_GB2312, SimKai;">'
                    f"{esc(b.caption)}</span></p>\n"
                )
            if b.credit_text:
                out.append(
                    '<p style="text-align:center;"><span style="font-family:楷体,楷体_GB2312, SimKai;">'
                    f"{esc(b.credit_text)}</span></p>\n"
                )
    if story.contributors or story.editors or story.reviewers:
        lines = []
        if story.contributors:
            lines.append("供稿：" + " ".join(story.contributors))
        if story.editors:
            lines.append("编辑：" + " ".join(story.editors))
        if story.reviewers:
            lines.append("审核：" + " ".join(story.reviewers))
        out.append(
            f'<p class="vsbcontent_end" style="text-align:right;">{"<br/>".join(map(esc, lines))}</p>\n'
        )
    return "".join(out)


def vsb_article(
    story: Story,
    col: str,
    numeric_id: int,
    variant: str = "thu",
    prev: Link | None = None,
    nxt: Link | None = None,
) -> bytes:
    """Layout C article /info/<col>/<id>.htm. variant 'thu': h1 + `.sj p` datetime; 'generic': div.title +
    发布时间/来源 lines as on other VSB sites."""
    up = "../../"
    jsq = f"_jsq_({col},'/content.jsp',{numeric_id},1765432109)"
    head = _c_head(f"{story.title}-清华大学", up, jsq, ",".join(story.keywords))
    if variant == "thu":
        meta = (
            f"<h1>{esc(story.title)}</h1>\n"
            f'<div class="sj"><p>{story.published.strftime("%Y年%m月%d日 %H:%M:%S")}</p>'
            f'<span class="djl">点击数：<script>_showDynClicks("wbnews", 1765432109, {numeric_id})</script></span></div>\n'
        )
    else:
        src = story.site_source or ""
        meta = (
            f'<div class="title">{esc(story.title)}</div>\n'
            f'<div class="info"><span>发布时间：{story.published.strftime("%Y-%m-%d")}</span>'
            f"&nbsp;&nbsp;<span>来源：{esc(src)}</span>"
            f'&nbsp;&nbsp;<span>点击数：<script>_showDynClicks("wbnews", 1765432109, {numeric_id})</script></span></div>\n'
        )
    pn = []
    if prev:
        pn.append(f'<p>上一篇：<a href="{attr(prev.href)}">{esc(prev.title)}</a></p>')
    else:
        pn.append("<p>上一篇：没有了</p>")
    if nxt:
        pn.append(f'<p>下一篇：<a href="{attr(nxt.href)}">{esc(nxt.title)}</a></p>')
    else:
        pn.append("<p>下一篇：没有了</p>")
    main = f"""<div class="wrap">
  <div class="dqwz">当前位置：<a href="{up}index.htm">首页</a> &gt; <a href="{up}news/zxdt.htm">新闻</a> &gt; 正文</div>
  <div class="xqbox">
<script language="javascript" src="/system/resource/js/dynclicks.js"></script><script language="javascript" src="/system/resource/js/news/newscontent.js"></script>
{meta}<form name="_newscontent_fromname"><script language="javascript" src="/system/resource/js/jquery/jquery-latest.min.js"></script>
<div id="vsb_content"><div class="v_news_content">
{vsb_body_html(story)}</div></div><div id="div_vote_id"></div>
</form>
    <div class="pre-next">{"".join(pn)}</div>
  </div>
</div>
"""
    return (head + main + _c_foot(up)).encode("utf-8")


def vsb_home(first: Link | None) -> bytes:
    head = _c_head("清华大学", "", "_jsq_(1001,'/index.jsp',-1,1765432109)")
    link = f'<li><a href="{attr(first.href)}">{esc(first.title)}</a></li>' if first else ""
    main = f'<div class="wrap"><div class="xwbox"><a href="news/zxdt.htm">新闻</a><ul>{link}</ul></div></div>\n'
    return (head + main + _c_foot("")).encode("utf-8")


# ------------------------------------------------------------------ GBK-era site (bynews-like)

_G_NAV = (
    "首页",
    "综合新闻",
    "院系动态",
    "医疗卫生",
    "科研成果",
    "校园文化",
    "媒体报道",
    "图片新闻",
)


def _g_wrap(title: str, inner: str) -> str:
    nav = " | ".join(f'<a href="/xwzh/index.htm" class="nav">{n}</a>' for n in _G_NAV)
    return f"""<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{title}</title>
<link href="/css/style.css" rel="stylesheet" type="text/css">
<script language="JavaScript">
function openWin(u){{ window.open(u, "", "width=600,height=400,scrollbars=yes"); }}
</script>
</head>
<body topmargin="0" leftmargin="0" bgcolor="#FFFFFF">
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr><td><img src="/images/top_banner.gif" width="778" height="90" border="0"></td></tr>
  <tr><td height="26" align="center" background="/images/nav_bg.gif" class="nav">{nav}</td></tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr>
    <td width="180" valign="top" bgcolor="#F2F6FB">
      <table width="100%" border="0" cellspacing="0" cellpadding="4">
        <tr><td class="lm">栏目导航</td></tr>
        <tr><td><a href="/xwzh/index.htm">·综合新闻</a><br><a href="/xwzh/index.htm">·院系动态</a><br><a href="/xwzh/index.htm">·媒体报道</a></td></tr>
      </table>
    </td>
    <td width="598" valign="top">
{inner}
    </td>
  </tr>
</table>
<table width="778" border="0" align="center" cellpadding="0" cellspacing="0">
  <tr><td height="60" align="center" class="foot">北苑医学院党委宣传部 版权所有<br>地址：北京市北苑路 邮编：100000</td></tr>
</table>
</body>
</html>"""


def gbk_article(story: Story, variant: str = "hanweb") -> bytes:
    """A GB2312-declared, GBK-encoded article. 'hanweb': generic <title>, date 2005年07月08日;
    'asp': title in <title>, 发表时间：2004-12-11 9:51:00, <br>-separated paragraphs."""
    author = f"（{' '.join(story.authors_extra)}）" if story.authors_extra else ""
    if variant == "hanweb":
        paras = "".join(f"<p>\u3000\u3000{esc(t)}</p>\n" for t in story.body_lines())
        inner = f"""      <table width="96%" border="0" align="center" cellpadding="0" cellspacing="0">
        <tr><td height="50" align="center" class="biaoti"><font size="4"><b>{esc(story.title)}</b></font></td></tr>
        <tr><td height="24" align="center" class="rq">{story.published.strftime("%Y年%m月%d日")}</td></tr>
        <tr><td height="1" bgcolor="#CCCCCC"></td></tr>
        <tr><td class="zw" id="zoom">
{paras}<p align="right">{author}</p>
        </td></tr>
        <tr><td align="right"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a></td></tr>
      </table>"""
        page = _g_wrap("北苑医学新闻网_(新闻)", inner)
    else:
        when = f"{story.published.year}-{story.published.month}-{story.published.day} " + (
            f"{story.published.hour}:{story.published.minute:02d}:{story.published.second:02d}"
        )
        paras = "<br><br>\n".join(f"\u3000\u3000{esc(t)}" for t in story.body_lines())
        inner = f"""      <table width="96%" border="0" align="center" cellpadding="2" cellspacing="0">
        <tr><td align="center" class="title"><b>{esc(story.title)}</b></td></tr>
        <tr><td align="right" class="time">发表时间：{when}&nbsp;&nbsp;点击：<font color="red">1234</font></td></tr>
        <tr><td class="content">
{paras}<br><br>
<div align="right">{author}</div>
        </td></tr>
      </table>"""
        page = _g_wrap(f"{esc(story.title)}", inner)
    return page.encode("gbk")


def gbk_listing(items: Sequence[ListItem]) -> bytes:
    rows = "".join(
        f'<tr><td class="list">·<a href="{attr(url_path(it.url))}" '
        f'target="_blank">{esc(it.title)}</a></td><td width="90" class="date">{it.date}</td></tr>\n'
        for it in items
    )
    inner = f"""      <table width="96%" border="0" align="center" cellpadding="3" cellspacing="0">
        <tr><td colspan="2" class="lmtitle">综合新闻</td></tr>
{rows}      </table>"""
    return _g_wrap("北苑医学新闻网_(综合新闻)", inner).encode("gbk")


# ------------------------------------------------------------------ English, Drupal-like

_E_MENU = (
    ("/about", "About"),
    ("/academics", "Academics"),
    ("/research", "Research"),
    ("/admissions", "Admissions"),
    ("/news", "News"),
    ("/events", "Events"),
    ("/giving", "Giving"),
    ("/campus-life", "Campus Life"),
)


def _e_head(title: str, extra: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: https://ogp.me/ns#">
  <head>
    <meta charset="utf-8" />
    <meta name="Generator" content="Drupal 9 (https://www.drupal.org)" />
    <meta name="MobileOptimized" content="width" />
    <meta name="HandheldFriendly" content="true" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
{extra}    <title>{esc(title)} | Northfield Today</title>
    <link rel="stylesheet" media="all" href="/core/themes/stable/css/system/components/ajax-progress.module.css?q5k2x1" />
    <link rel="stylesheet" media="all" href="/themes/custom/northfield/dist/css/main.css?q5k2x1" />
    <script src="/core/assets/vendor/jquery/jquery.min.js?v=3.6.0"></script>
  </head>
  <body class="path-node page-node-type-news">
    <a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
    <div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
    <header class="site-header" role="banner">
      <div class="site-branding"><a href="/" rel="home" class="site-logo"><img src="/themes/custom/northfield/logo.svg" alt="Home" /></a>
      <div class="site-name"><a href="/" rel="home">Northfield University</a></div></div>
      <nav role="navigation" aria-labelledby="block-main-menu" class="menu--main">
        <h2 class="visually-hidden" id="block-main-menu">Main navigation</h2>
        <ul class="menu">{"".join(f'<li class="menu-item"><a href="{h}">{n}</a></li>' for h, n in _E_MENU)}</ul>
      </nav>
      <form class="search-block-form" action="/search" method="get"><input type="search" name="keys" placeholder="Search" /><input type="submit" value="Search" /></form>
    </header>
"""


_E_FOOT = """    <footer class="site-footer" role="contentinfo">
      <div class="footer-menus">
        <ul class="menu"><li><a href="/contact">Contact Us</a></li><li><a href="/accessibility">Accessibility</a></li><li><a href="/privacy">Privacy Policy</a></li><li><a href="/careers">Careers</a></li><li><a href="/emergency">Emergency Information</a></li></ul>
        <ul class="social"><li><a href="https://twitter.com/">Twitter</a></li><li><a href="https://www.facebook.com/">Facebook</a></li><li><a href="https://www.instagram.com/">Instagram</a></li></ul>
      </div>
      <p class="copyright">&copy; 2020 Northfield University. All rights reserved.</p>
    </footer>
    </div>
    <script type="application/json" data-drupal-selector="drupal-settings-json">{"path":{"baseUrl":"\\/","currentLanguage":"en"},"ajaxPageState":{"theme":"northfield"}}</script>
    <script src="/core/misc/drupal.js?v=9.0.0"></script>
  </body>
</html>"""


def english_article(
    story: Story,
    slug: str,
    byline: str,
    jsonld_author: str,
    photo_credit: str | None,
    iso: str,
    related: Sequence[Link] = (),
) -> bytes:
    """Drupal-like English article: visible p.full-name / p.date, JSON-LD NewsArticle, OpenGraph tags."""
    url = f"https://news.example.edu/news/{slug}"
    photos = story.photos()
    img = photos[0] if photos else None
    img_abs = (img.src if "://" in img.src else "https://news.example.edu" + img.src) if img else ""
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "headline": story.title,
                "name": story.title,
                "description": story.subtitle or "",
                "datePublished": iso,
                "dateModified": iso,
                "author": {"@type": "Person", "name": jsonld_author},
                "publisher": {"@type": "Organization", "name": "Northfield University"},
                "mainEntityOfPage": url,
                **({"image": {"@type": "ImageObject", "url": img_abs}} if img else {}),
            }
        ],
    }
    ld_json = json.dumps(ld, ensure_ascii=False, indent=1).replace("</", "<\\/")
    meta = (
        f'    <meta name="description" content="{attr(story.summary[:160])}" />\n'
        f'    <link rel="canonical" href="{url}" />\n'
        '    <meta property="og:site_name" content="Northfield Today" />\n'
        '    <meta property="og:type" content="article" />\n'
        f'    <meta property="og:url" content="{url}" />\n'
        f'    <meta property="og:title" content="{attr(story.title)}" />\n'
        f'    <meta property="og:description" content="{attr(story.summary[:160])}" />\n'
        + (f'    <meta property="og:image" content="{attr(img_abs)}" />\n' if img else "")
        + f'    <meta property="article:published_time" content="{iso}" />\n'
        '    <meta name="twitter:card" content="summary_large_image" />\n'
        f'    <script type="application/ld+json">{ld_json}</script>\n'
    )
    fig = ""
    if img:
        credit = f' <span class="credit">{esc(photo_credit)}</span>' if photo_credit else ""
        fig = (
            f'<figure class="article-image"><img src="{attr(img.src)}" alt="" loading="lazy" width="1200" height="800" />'
            f"<figcaption>{esc(img.caption or '')}{credit}</figcaption></figure>\n"
        )
    body = "".join(f"<p>{esc(t)}</p>\n" for t in story.body_lines())
    dek = (
        f'<div class="field field--name-field-subtitle"><p>{esc(story.subtitle)}</p></div>\n'
        if story.subtitle
        else ""
    )
    rel = "".join(
        f'<li><a href="{attr(x.href)}">{esc(x.title)}</a> <span class="date">{x.date}</span></li>'
        for x in related
    )
    main = f"""    <main id="main-content" role="main">
      <div class="region region-breadcrumb"><nav class="breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/news">News</a></li></ol></nav></div>
      <div class="region region-content">
<article role="article" class="node node--type-news node--view-mode-full">
  <h1 class="page-title"><span class="field field--name-title">{esc(story.title)}</span></h1>
  {dek}  <div class="byline"><p class="full-name">{esc(byline)}</p><p class="date">{story.published.strftime("%B")} {story.published.day}, {story.published.year}</p></div>
  {fig}  <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
{body}  </div>
  <div class="field field--name-field-tags"><span class="label">Tags:</span> <a href="/news/tags/research">Research</a>, <a href="/news/tags/community">Community</a></div>
  <div class="share-links"><a href="https://twitter.com/intent/tweet?url={url}">Share on Twitter</a> <a href="mailto:?subject={attr(story.title)}">Email</a></div>
</article>
      </div>
      <aside class="region region-sidebar" role="complementary">
        <div class="block block-related"><h2>Related Stories</h2><ul>{rel}</ul></div>
        <div class="block block-media-contact"><h2>Media Contact</h2><p>Office of Communications<br/>news@example.edu</p></div>
      </aside>
    </main>
"""
    return (_e_head(story.title, meta) + main + _E_FOOT).encode("utf-8")


def english_listing(items: Sequence[ListItem], page: int, total_pages: int) -> bytes:
    """/news (and /news?page=N, zero-based like Drupal) with teaser rows and a pager."""
    rows = "".join(
        f"""      <div class="views-row"><article class="node node--type-news node--view-mode-teaser">
        <h3><a href="{attr(url_path(it.url))}">{esc(it.title)}</a></h3>
        <p class="date">{it.date}</p>
        <div class="summary">{esc(it.summary[:200])}</div>
      </article></div>
"""
        for it in items
    )
    pager = []
    if page > 1:
        prev_q = "" if page == 2 else f"?page={page - 2}"
        pager.append(
            f'<li class="pager__item pager__item--previous"><a href="{prev_q or "/news"}" title="Go to previous page" rel="prev">'
            '<span class="visually-hidden">Previous page</span><span aria-hidden="true">‹ Previous</span></a></li>'
        )
    if page < total_pages:
        pager.append(
            f'<li class="pager__item pager__item--next"><a href="?page={page}" title="Go to next page" rel="next">'
            '<span class="visually-hidden">Next page</span><span aria-hidden="true">Next ›</span></a></li>'
        )
    main = f"""    <main id="main-content" role="main">
      <h1 class="page-title">News</h1>
      <div class="view view-news-listing">
      <div class="view-content">
{rows}      </div>
      <nav class="pager" role="navigation" aria-labelledby="pagination-heading"><h4 id="pagination-heading" class="visually-hidden">Pagination</h4>
        <ul class="pager__items js-pager__items">{"".join(pager)}</ul>
      </nav>
      </div>
    </main>
"""
    return (_e_head("News", "") + main + _E_FOOT).encode("utf-8")


def simple_home(title: str, links: Sequence[Link], charset: str = "utf-8") -> bytes:
    items = "".join(f'<li><a href="{attr(x.href)}">{esc(x.title)}</a></li>' for x in links)
    page = (
        f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        f"<title>{esc(title)}</title></head><body><h1>{esc(title)}</h1><ul>{items}</ul></body></html>"
    )
    return page.encode("gbk" if charset.lower() in ("gb2312", "gbk") else "utf-8")


def robots_txt(disallow: Sequence[str] = ()) -> bytes:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {p}" for p in disallow] or ["Disallow:"]
    return ("\n".join(lines) + "\n").encode("ascii")


def format_listing_date(d: datetime) -> str:
    return d.strftime("%Y-%m-%d")
