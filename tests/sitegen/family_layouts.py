"""Page templates (bytes) of the CMS families other universities run: VSB (博达) outside Tsinghua,
WebPlus (网站群), WordPress and Drupal 10. The markup follows the real templates (see the package
docstring); every text on the pages comes from the generator."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .layouts import Link, attr, esc, shorten, url_path, vsb_page_href, vsb_pager
from .model import ListItem, Para, Photo, Story

# ------------------------------------------------------------------ shared bits


def _h(s: str, mod: int) -> int:
    """A stable number from a string (str hashes change between processes)."""
    return int(hashlib.md5(s.encode(), usedforsecurity=False).hexdigest(), 16) % mod


def _ld(data: object) -> str:
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def en_date(d: datetime) -> str:
    """'September 23, 2024' (no leading zero)."""
    return f"{d:%B} {d.day}, {d.year}"


@dataclass
class Byline:
    """Who a page names as its writer, and how (what the expected record makes of it differs)."""

    shown: str  # the name as the page shows it: 王小明, 佚名, "" (empty), Jane Doe, drupalnews
    account: str = ""  # WordPress: the site account the post is filed under (or "" = the person)
    profile: str = ""  # WordPress: the person's profile path (/profiles/jane-doe)


# ------------------------------------------------------------------ VSB (博达), other universities

VSB2_UNI = "江城大学"
VSB2_SITE = "江城大学研究生院"
VSB2_SUFFIX = "-研究生院"
VSB2_OWNER = "1365478290"  # the site owner id in _jsq_ / _showDynClicks / getNewsLinkUrl
VSB2_COLUMNS = (("xyxw", "1012", "学院新闻"), ("tzgg", "1013", "通知公告"))
VSB2_COL_NAMES = {c: n for c, _, n in VSB2_COLUMNS}
VSB2_COL_IDS = {c: i for c, i, _ in VSB2_COLUMNS}
# which template each content view uses (VSB names the JSP after it)
VSB2_JSP = {"lab": "tznr", "content": "content", "table": "neirong"}


def _v2_head(title: str, up: str, jsq: str, css: str, keywords: str = "", desc: str = "") -> str:
    kw = attr(keywords or f"{VSB2_SITE},研究生教育")
    de = attr(desc or VSB2_SITE)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<HTML><HEAD><TITLE>{esc(title)}</TITLE><META Name="keywords" Content="{kw}" />
<META Name="description" Content="{de}" />


<META content="text/html; charset=UTF-8" http-equiv="Content-Type">
<META content="IE=edge,chrome=1" http-equiv="X-UA-Compatible">
<META name="viewport" content="width=device-width, initial-scale=1">
<LINK rel="stylesheet" type="text/css" href="{up}dfiles/31052/css/base.css">
<LINK rel="stylesheet" type="text/css" href="{up}dfiles/31052/css/page.css">
<script type="text/javascript" src="{up}dfiles/31052/js/jquery.min.js"></script>

<!--Announced by Visual SiteBuilder 9-->
<link rel="stylesheet" type="text/css" href="{up}_sitegray/_sitegray_d.css" />
<script language="javascript" src="{up}_sitegray/_sitegray.js"></script>
<!-- CustomerNO:77656262657232307e7a47555652574200030003475e -->
<link rel="stylesheet" type="text/css" href="{up}{css}.vsb.css" />
<script type="text/javascript" src="/system/resource/js/vsbscreen.min.js" id="_vsbscreen" devices="pc|mobile|pad"></script>
<script type="text/javascript" src="/system/resource/js/counter.js"></script>
<script type="text/javascript">{jsq}</script>
</HEAD>
<BODY>
"""


def _v2_top(up: str) -> str:
    nav = "\n".join(
        f'<LI class="mainlevel"><a href="{up}xwzx/{c}.htm" title="{n}">{n}</a></LI>'
        for c, _, n in VSB2_COLUMNS
    )
    return f"""<DIV class="head">
  <DIV class="head_in">
    <DIV class="logo"><!-- 网站logo图片地址请在本组件"内容配置-网站logo"处填写 -->
<a href="{up}index.htm" title="{VSB2_SITE}"><img src="{up}images/logo.png" width="560" height="88" border="0" alt="{VSB2_SITE}" title="{VSB2_SITE}"></a></DIV>
    <DIV class="search"><script type="text/javascript">
function _nl_ys_check(){{ var k = document.getElementById("showkeycode231450").value; if (k == null || k == "") {{ alert("请输入你要检索的内容！"); return false; }} return true; }}
</script><form action="{up}ssjg.jsp?wbtreeid=1001" method="post" name="a231450a" onsubmit="return _nl_ys_check()"><input type="hidden" name="lucenenewssearchkey" value=""><input type="hidden" name="searchScope" value="0"><input name="showkeycode" id="showkeycode231450" type="text" class="text"><input type="submit" class="btn" value="搜索"></form></DIV>
  </DIV>
</DIV>
<DIV class="nav"><UL>
<LI class="mainlevel"><a href="{up}index.htm" title="首页">首页</a></LI>
{nav}
<LI class="mainlevel"><a href="http://yjszs.vsbuni.example.edu.cn/" title="研究生招生">研究生招生</a></LI>
<LI class="mainlevel"><a href="http://gms.vsbuni.example.edu.cn/" title="培养管理">培养管理</a></LI>
<LI class="mainlevel"><a href="http://www.vsbuni.example.edu.cn/" title="学校主页">学校主页</a></LI>
</UL></DIV>
"""


_V2_FOOT = """<DIV class="foot"><!-- 版权内容请在本组件"内容配置-版权"处填写 -->
<p>版权所有：江城大学研究生院 &nbsp; 地址：江城市学府大道88号行政楼三楼 &nbsp; 邮编：430000</p>
<p>电话：027-00000000 &nbsp; 邮箱：yjsy@vsbuni.example.edu.cn</p></DIV>
</BODY></HTML>"""


def _v2_scripts(numeric_id: int, up: str) -> str:
    """What every VSB content view emits before the article: counters and the link-URL check."""
    return (
        '<script language="javascript" src="/system/resource/js/dynclicks.js"></script>'
        f'<script language="javascript" src="{up}_dwr/interface/NewsvoteDWR.js"></script>'
        f'<script language="javascript" src="{up}_dwr/engine.js"></script>'
        '<script language="javascript" src="/system/resource/js/news/newscontent.js"></script>'
        + _v2_linkurl(numeric_id)
        + '<script language="javascript" src="/system/resource/js/ajax.js"></script>'
    )


def _v2_linkurl(numeric_id: int) -> str:
    return (
        f"<script type=\"text/javascript\">NewsvoteDWR.getNewsLinkUrl({numeric_id},'{VSB2_OWNER}',"
        "'vsb',newsSkip);function newsSkip(data){if(data != \"\"){window.location.href = data;}}"
        "</script>"
    )


def vsb2_body_html(story: Story, lab: bool = False) -> str:
    """The v_news_content of a VSB page: vsbcontent_start/end paragraphs, vsbcontent_img images
    with a centred caption (and credit) line; the lab template indents with &nbsp; runs."""
    out = []
    n = len(story.body)
    for i, b in enumerate(story.body):
        if isinstance(b, Photo):
            code = b.src.rsplit("/", 1)[-1].split(".")[0]
            h, tail = code.split("_", 1) if "_" in code else (code, "A1B2")
            out.append(
                '<p class="vsbcontent_img" style="text-align: center;"><img width="600" '
                f'src="{attr(b.src)}" vsbhref="vurl" vurl="/_vsl/{h}/{tail}" vheight="" '
                f'vwidth="600" orisrc="{attr(b.src)}" class="img_vsb_content"></p>\n'
            )
            for line in (b.caption, b.credit_text):
                if line:
                    out.append(
                        '<p style="text-align: center;"><span style="font-family: 楷体, 楷体_GB2312;">'
                        f"{esc(line)}</span></p>\n"
                    )
            continue
        assert isinstance(b, Para)
        text = esc(b.text)
        if b.kind == "heading":
            text = f"<strong>{text}</strong>"
        if lab:
            out.append(f"<p>&nbsp; &nbsp; &nbsp; &nbsp; {text}<br></p>\n")
            continue
        cls = (
            ' class="vsbcontent_start"'
            if i == 0
            else (' class="vsbcontent_end"' if i == n - 1 else "")
        )
        out.append(
            f'<p{cls} style="text-indent: 2em; line-height: 2em; margin-bottom: 10px;">{text}</p>\n'
        )
    return "".join(out)


def _v2_prev_next(prev: Link | None, nxt: Link | None) -> str:
    def one(label: str, x: Link | None) -> str:
        if x is None:
            return f"<p>{label}：没有了</p>"
        return f'<p>{label}：<a href="{attr(x.href)}" title="{attr(x.title)}">{esc(shorten(x.title, 22))}</a></p>'

    return f'<div class="pre_next">{one("上一条", prev)}{one("下一条", nxt)}</div>'


def vsb2_article(
    story: Story,
    cat: str,
    numeric_id: int,
    variant: str,
    byline: Byline,
    source_shown: str = "",
    prev: Link | None = None,
    nxt: Link | None = None,
) -> bytes:
    """A VSB article /info/<col>/<id>.htm in one of three content templates:
    'lab' (tznr.jsp: form > h3 + h4 "佚名 <date time>" + #vsb_content),
    'content' (content.jsp: div.content > div.t + 发布时间/作者/来源/点击率 line),
    'table' (neirong.jsp: span.STYLE8 title, 来源: | 发布时间: | 浏览次数: row, #vsb_content_2)."""
    up = "../../"
    col_id = VSB2_COL_IDS[cat]
    jsp = VSB2_JSP[variant]
    jsq = f"_jsq_({col_id},'/{jsp}.jsp',{numeric_id},{VSB2_OWNER})"
    desc = story.summary[:120]
    head = _v2_head(
        f"{story.title}{VSB2_SUFFIX}", up, jsq, jsp, ",".join([VSB2_SITE, *story.keywords]), desc
    )
    clicks = f'<script>_showDynClicks("wbnews", {VSB2_OWNER}, {numeric_id})</script>'
    name = VSB2_COL_NAMES[cat]
    crumbs = (
        f'当前位置：<a href="{up}index.htm">首页</a> &gt;&gt; '
        f'<a href="{up}xwzx/{cat}.htm">{name}</a> &gt;&gt; 正文'
    )
    if variant == "lab":
        main = f"""<div class="clearfix">
<div class="dqwz">{crumbs}</div>
{_v2_scripts(numeric_id, up)}<form name="_newscontent_fromname" style="margin:6% auto 0 auto; max-width:1100px; min-height: 700px;"><script language="javascript" src="/system/resource/js/jquery/jquery-latest.min.js"></script>
<h3>{esc(story.title)}</h3>
<h4>
{esc(byline.shown)}
{story.published:%Y-%m-%d %H:%M:%S}
</h4>
<div>
    <div id="vsb_content" style="margin-top:4%;margin-bottom:6%"><div class="v_news_content">
{vsb2_body_html(story, lab=True)}</div></div><div id="div_vote_id"></div>
       </div>
</form>
{_v2_prev_next(prev, nxt)}
</div>
"""
    elif variant == "content":
        when = story.published.strftime("%Y年%m月%d日 %H:%M")
        main = f"""<DIV class="main">
  <DIV class="main_left"><DIV class="lm_name">{name}</DIV><UL>{"".join(f'<LI><a href="{up}xwzx/{c}.htm">{n}</a></LI>' for c, _, n in VSB2_COLUMNS)}</UL></DIV>
  <DIV class="main_right">
    <DIV class="dqwz">{crumbs}</DIV>
<div class="content">
{_v2_scripts(numeric_id, up)}
<div class="t">{esc(story.title)}</div>
<div class="tit_info">发布时间：{when}&nbsp;&nbsp;作者：{esc(byline.shown)}&nbsp;&nbsp;来源：{esc(source_shown)}&nbsp;&nbsp;点击率：{clicks}次</div>
<form name="_newscontent_fromname"><script language="javascript" src="/system/resource/js/jquery/jquery-latest.min.js"></script>
<div id="vsb_content"><div class="v_news_content">
{vsb2_body_html(story)}</div></div><div id="div_vote_id"></div>
</form>
{_v2_prev_next(prev, nxt)}
<p align="right">【<a href="javascript:window.opener=null;window.open('','_self');window.close();">关闭</a>】</p>
</div>
  </DIV>
</DIV>
"""
    else:  # table
        ed = 'action="webber.wbst.com.news.DetailNews" layout="/system/_component/news/content/tpltitle.jsp" tpltype="1" contype="" clone=""'
        src = f" {esc(source_shown)}" if source_shown else ""
        left = "".join(
            f'<tr><td height="32" align="center" class="left_lm"><a href="{up}xwzx/{c}.htm">{n}</a></td></tr>'
            for c, _, n in VSB2_COLUMNS
        )
        main = f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" bgcolor="#FFFFFF">
  <tr>
    <td width="190" valign="top" bgcolor="#F3F6FA"><table width="190" border="0" cellpadding="0" cellspacing="0">
      <tr><td height="40" align="center" class="left_title">新闻中心</td></tr>
      {left}
    </table></td>
    <td width="810" valign="top"><table width="100%" border="0" cellpadding="0" cellspacing="0">
      <tr><td height="15" align="left"><p><span class="STYLE6">■ </span><span class="STYLE7"><!--#begineditable name="栏目名称" action="" layout="" tpltype="" contype="" clone="" viewid="152311" contentviewid="" tagname="栏目名称"-->{name}<!--#endeditable--></span></p></td></tr>
      <tr><td height="6"><hr align="left" width="40%" size="2" color="#1F4E8C"></td></tr>
      <tr><td height="50" align="center"><span class="STYLE8"><!--#begineditable name="标题" {ed} viewid="152312" contentviewid="" tagname="标题"-->
{_v2_scripts(numeric_id, up)}
{esc(story.title)}

<!--#endeditable--></span></td></tr>
      <tr><td width="98%" height="20" align="center"><table width="98%" border="0" cellspacing="0" cellpadding="5">
        <tr><td height="20" align="center" bgcolor="#E4E9F0"><!--#begineditable name="文章时间" {ed} viewid="152313" contentviewid="" tagname="文章时间"-->
{_v2_linkurl(numeric_id)}
来源:{src}
     | 发布时间: {story.published:%Y-%m-%d} | 浏览次数: {clicks}
<!--#endeditable--></td></tr>
      </table></td></tr>
      <tr><td valign="top"><table width="98%" border="1" align="center" cellpadding="5" cellspacing="0" bordercolor="#C9D3E0" style="border-collapse:collapse">
        <tr><td align="left" valign="top"><!--#begineditable name="文章内容" {ed} viewid="152314" contentviewid="" tagname="文章内容"-->
{_v2_linkurl(numeric_id)}<form name="_newscontent_fromname"><script language="javascript" src="/system/resource/js/jquery/jquery-latest.min.js"></script>
<div id="vsb_content_2"><div class="v_news_content">
{vsb2_body_html(story)}</div></div><div id="div_vote_id"></div>
</form>
<!--#endeditable--></td></tr>
      </table></td></tr>
    </table></td>
  </tr>
</table>
"""
    return (head + _v2_top(up) + main + _V2_FOOT).encode("utf-8")


def _v2_pager_classic(page: int, total: int, n_items: int, cat: str, uid: str) -> str:
    """The classic VSB pager: 首页/上页 as a.Prev, 下页/尾页 as a.Next (spans when disabled)."""
    if page == 1:
        left = '<span class="PrevDisabled">首页</span><span class="PrevDisabled">上页</span>'
    else:
        left = (
            f'<a href="{vsb_page_href(page, 1, total, cat)}" class="Prev">首页</a>'
            f'<a href="{vsb_page_href(page, page - 1, total, cat)}" class="Prev">上页</a>'
        )
    if page >= total:
        right = '<span class="NextDisabled">下页</span><span class="NextDisabled">尾页</span>'
    else:
        right = (
            f'<a href="{vsb_page_href(page, page + 1, total, cat)}" class="Next">下页</a>'
            f'<a href="{vsb_page_href(page, total, total, cat)}" class="Next">尾页</a>'
        )
    return (
        f'<script language="javascript" src="/system/resource/js/gotopage.js"></script>'
        f"<script type=\"text/javascript\">function a{uid}_gopage_fun(){{_simple_list_gotopage_fun({total},'a{uid}GOPAGE',2)}}</script>"
        '<table cellspacing="0" cellpadding="0" border="0"><TR><td colspan="0">'
        f'<table cellspacing="0" class="headStyle1ha0h13xsb" width="100%" cellpadding="1"><tr valign="middle">'
        f'<TD nowrap align="left" width="1%" id="fanye{uid}">共{n_items}条&nbsp;&nbsp;{page}/{total}&nbsp;</td>'
        f'<td nowrap align="left"><div>{left}{right}'
        f'&nbsp;&nbsp;<input align="absmiddle" type="button" class="defaultButtonStyle" id="gotopagebut" name="a{uid}Find" value="转到" onclick="javascript:a{uid}_gopage_fun()">'
        f'<input size="2" align="absmiddle" type="text" class="defaultInputStyle" name="a{uid}GOPAGE" id="a{uid}GOPAGE" value="" style="margin-left:1px;margin-right:1px">页</div></td>'
        "</tr></table></table>"
    )


def vsb2_listing(
    cat: str, items: Sequence[ListItem], page: int, total: int, n_items: int, pager: str
) -> bytes:
    """/xwzx/<cat>.htm, then /xwzx/<cat>/<K>.htm with K counting down; items
    <li><a href="../info/<col>/<id>.htm" title="…">…</a><span>YYYY-MM-DD</span></li>.
    pager: 'classic' (a.Next 下页) or 'sys' (span.p_next)."""
    up = "../" if page == 1 else "../../"
    col_id = VSB2_COL_IDS[cat]
    name = VSB2_COL_NAMES[cat]
    uid = f"2030{col_id[-2:]}"
    rows = []
    ids = []
    for k, it in enumerate(items):
        href = up + url_path(it.url).lstrip("/")
        rows.append(
            f'<li id="line_u5_{k}"><a href="{attr(href)}" target="_blank" title="{attr(it.title)}">'
            f"{esc(shorten(it.title, 30))}</a><span>{it.date}</span></li>\n"
        )
        ids.append(url_path(it.url).rsplit("/", 1)[-1].split(".")[0])
    pg = (
        _v2_pager_classic(page, total, n_items, cat, uid)
        if pager == "classic"
        else vsb_pager(page, total, n_items, cat)
    )
    batch = (
        "<script>_showDynClickBatch(["
        + ",".join(f"'dynclicks_u5_{i}'" for i in ids)
        + "],["
        + ",".join(ids)
        + f'],"wbnews", {VSB2_OWNER})</script>'
    )
    head = _v2_head(
        f"{name}{VSB2_SUFFIX}", up, f"_jsq_({col_id},'/list.jsp',-1,{VSB2_OWNER})", "list"
    )
    main = f"""<DIV class="main">
  <DIV class="main_left"><DIV class="lm_name">新闻中心</DIV><UL>{"".join(f'<LI><a href="{up}xwzx/{c}.htm">{n}</a></LI>' for c, _, n in VSB2_COLUMNS)}</UL></DIV>
  <DIV class="main_right">
    <DIV class="dqwz">当前位置：<a href="{up}index.htm">首页</a> &gt;&gt; {name}</DIV>
<DIV class="list"><script language="javascript" src="/system/resource/js/centerCutImg.js"></script><script language="javascript" src="/system/resource/js/dynclicks.js"></script><script language="javascript" src="/system/resource/js/ajax.js"></script>
<ul>
{"".join(rows)}</ul>
<div align="center"><INPUT TYPE="hidden" NAME="actiontype" VALUE=""><input type="hidden" name="_scode_" value="1687654321012"><input type="hidden" name="urltype" value="tree.TreeTempUrl"><input type="hidden" name="wbtreeid" value="{col_id}"><input type="hidden" name="outFlag" value="false">
{pg}</div>{batch}</DIV>
  </DIV>
</DIV>
"""
    return (head + _v2_top(up) + main + _V2_FOOT).encode("utf-8")


def vsb2_home(columns: Sequence[tuple[str, Sequence[ListItem]]]) -> bytes:
    """/index.htm: the nav and a block of the latest items per column with a 更多 link."""
    head = _v2_head(VSB2_SITE, "", f"_jsq_(1001,'/index.jsp',-1,{VSB2_OWNER})", "index")
    blocks = []
    for cat, items in columns:
        name = VSB2_COL_NAMES[cat]
        lis = "".join(
            f'<li><a href="{attr(url_path(it.url).lstrip("/"))}" title="{attr(it.title)}">'
            f"{esc(shorten(it.title, 24))}</a><span>{it.date[5:]}</span></li>\n"
            for it in items[:6]
        )
        blocks.append(
            f'<DIV class="index_box"><DIV class="box_title"><h3>{name}</h3>'
            f'<a class="more" href="xwzx/{cat}.htm">更多&gt;&gt;</a></DIV><ul>\n{lis}</ul></DIV>\n'
        )
    main = f'<DIV class="index_main">\n{"".join(blocks)}</DIV>\n'
    return (head + _v2_top("") + main + _V2_FOOT).encode("utf-8")


# ------------------------------------------------------------------ WebPlus (网站群)

WEBPLUS_UNI = "海川大学"
WEBPLUS_SITE = "海川大学新闻网"
WEBPLUS_SUFFIX = "-海川大学新闻网"
WEBPLUS_SITE_ID = 23
WEBPLUS_COLUMN = ("xxyw", "5405", "学校要闻")


def _wp_head(title: str, desc: str, body_class: str) -> str:
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<meta name="renderer" content="webkit" />
<meta name="viewport" content="width=1200">
<title>{esc(title)}</title>
<meta name="keywords" content="{WEBPLUS_SITE}">
<meta name="description" content="{attr(desc)}">
<link type="text/css" href="/_css/_system/system.css" rel="stylesheet"/>
<link type="text/css" href="/_upload/site/1/style/1/1.css" rel="stylesheet"/>
<link type="text/css" href="/_upload/site/00/17/{WEBPLUS_SITE_ID}/style/12/12.css" rel="stylesheet"/>
<link type="text/css" href="/_js/_portletPlugs/simpleNews/css/simplenews.css" rel="stylesheet" />
<link type="text/css" href="/_js/_portletPlugs/sudyNavi/css/sudyNav.css" rel="stylesheet" />
<script language="javascript" src="/_js/jquery.min.js" sudy-wp-context="" sudy-wp-siteId="{WEBPLUS_SITE_ID}"></script>
<script language="javascript" src="/_js/jquery.sudy.wp.visitcount.js"></script>
<script type="text/javascript" src="/_js/_portletPlugs/sudyNavi/jquery.sudyNav.js"></script>
<link rel="stylesheet" href="/_upload/tpl/01/2c/300/template300/style.css" type="text/css" />
<script type="text/javascript" src="/_upload/tpl/01/2c/300/template300/js/comcus.js"></script>
</head>
<body class="{body_class}">
<!--Start||head-->
<div class="wrapper header" id="header">
 <div class="inner">
  <div class="mod clearfix">
   <div class="head-left" frag="面板1">
    <div class="sitelogo" frag="窗口1" portletmode="simpleSiteAttri"><a href="/main.htm" title="返回{WEBPLUS_SITE}首页"><img border="0" src="/_upload/site/00/17/{WEBPLUS_SITE_ID}/logo.png" /><span class="sitetitle">{WEBPLUS_SITE}</span></a></div>
   </div>
   <div class="head-right">
    <div class="searchbox" frag="窗口2" portletmode="search"><div class="wp-search clearfix"><form action="/_web/_search/api/search/new.rst?locale=zh_CN&amp;request_locale=zh_CN&amp;_p=YXM9MjMmdD0zMDAmZD0xMjM5JnA9MSZtPVNOJg__" method="post" target="_blank"><div class="search-input"><input name="keyword" class="search-title" type="text" placeholder="请输入关键词..."/></div><div class="search-btn"><input name="btnsearch" class="search-submit" type="submit" value=""/></div></form></div></div>
   </div>
  </div>
 </div>
</div>
<div class="wrapper nav wp-navi" id="nav">
 <div class="inner clearfix">
  <div class="wp-panel"><div class="wp-window" frag="窗口3">
   <ul class="wp-menu">
    <li class="menu-item i1"><a class="menu-link" href="/main.htm" target="_self">首页</a></li>
    <li class="menu-item i2"><a class="menu-link" href="/{WEBPLUS_COLUMN[0]}/list.htm" target="_self">{WEBPLUS_COLUMN[2]}</a></li>
    <li class="menu-item i3"><a class="menu-link" href="https://www.wpuni.example.edu.cn/" target="_blank">学校主页</a></li>
    <li class="menu-item i4"><a class="menu-link" href="https://xb.wpuni.example.edu.cn/" target="_blank">电子校报</a></li>
   </ul>
  </div></div>
 </div>
</div>
<!--End||head-->
"""


_WP_FOOT = f"""<!--Start||footer-->
<div class="wrapper footer" id="footer">
 <div class="inner">
  <div class="mod clearfix">
   <div class="foot-center" frag="窗口90" portletmode="simpleSiteAttri">
    <p class="copyright"><span>版权所有 &copy; {WEBPLUS_UNI}党委宣传部</span>&nbsp;&nbsp;<span>地址：海川市滨海大道1号</span>&nbsp;&nbsp;<span>邮编：316000</span></p>
   </div>
  </div>
 </div>
</div>
<!--End||footer-->
</body>
<script type="text/javascript" src="/_js/_portletPlugs/wp_photos/layer/layer.min.js"></script>
<script type="text/javascript" src="/_js/_portletPlugs/wp_photos/layer/PhotoLayer.js"></script>
<script type="text/javascript" src="/_js/_portletPlugs/datepicker/js/jquery.datepicker.js"></script>
<script type="text/javascript" src="/_js/_portletPlugs/datepicker/js/datepicker_lang_HK.js"></script>
<script type="text/javascript">$(function(){{ $('.wp_articlecontent img[data-layer="photo"]').css('cursor', 'pointer'); }});</script>
</html>"""


def webplus_body_html(story: Story) -> str:
    out = []
    for b in story.body:
        if isinstance(b, Photo):
            name = b.src.rsplit("/", 1)[-1]
            out.append(
                '<p style="text-align:center;"><img data-layer="photo" '
                f'src="{attr(b.src)}" original-src="{attr(b.src)}" '
                f"sudyfile-attr=\"{{'title':'IMG_{name[:4].upper()}.JPG'}}\" "
                'style="width:600px;" /></p>\n'
            )
            for line in (b.caption, b.credit_text):
                if line:
                    out.append(
                        '<p style="text-align:center;"><span style="font-family:楷体,楷体_GB2312,KaiTi;">'
                        f"{esc(line)}</span></p>\n"
                    )
            continue
        assert isinstance(b, Para)
        text = esc(b.text)
        if b.kind == "heading":
            out.append(f'<p style="text-indent:2em;line-height:2em;"><strong>{text}</strong></p>\n')
        else:
            out.append(
                f'<p style="text-indent:2em;line-height:2em;margin-bottom:12px;">{text}</p>\n'
            )
    return "".join(out)


def webplus_article(story: Story, article_id: str, source_shown: str = "") -> bytes:
    """/<yyyy>/<mmdd>/c<col>a<id>/page.htm: h1.arti_title, p.arti_metas (arti_update 发布时间,
    optional arti_source 来源, arti_views WP_VisitCount), div.wp_articlecontent."""
    head = _wp_head(f"{story.title}{WEBPLUS_SUFFIX}", story.summary[:100], "page")
    src = f'<span class="arti_source">来源：{esc(source_shown)}</span>' if source_shown else ""
    metas = (
        f'<span class="arti_update">发布时间：{story.published:%Y-%m-%d}</span>{src}'
        f'<span class="arti_views">浏览次数：<span class="WP_VisitCount" '
        f'url="/_visitcountdisplay?siteId={WEBPLUS_SITE_ID}&type=3&articleId={article_id}"></span></span>'
    )
    col, col_id, name = WEBPLUS_COLUMN
    main = f"""<!--Start||content-->
<div class="wrapper" id="d-container">
 <div class="inner clearfix">
  <div class="col_path"><span class="path-label">当前位置：</span><a href="/main.htm">首页</a><span class='possplit'>&nbsp;&nbsp;</span><a href="/{col}/list.htm">{name}</a></div>
  <div class="infobox">
   <div class="article" frag="窗口5" portletmode="simpleArticleAttri">
     <h1 class="arti_title">{esc(story.title)}</h1>
     <h2 class="arti_title"></h2>
     <p class="arti_metas">{metas}</p>
     <div class="entry">
       <div class="read"><div class='wp_articlecontent'>{webplus_body_html(story)}</div></div>
     </div>
   </div>
  </div>
 </div>
</div>
<!--End||content-->
<script type="text/javascript">var _wpColumnId = {col_id};</script>
"""
    return (head + main + _WP_FOOT).encode("utf-8")


def webplus_list_path(col: str, page: int) -> str:
    return f"/{col}/list.htm" if page == 1 else f"/{col}/list{page}.htm"


def webplus_listing(
    items: Sequence[ListItem], page: int, total: int, n_items: int, per: int
) -> bytes:
    """/<col>/list.htm, list2.htm …: #wp_news_w3 > ul.news_list > li.news (span.news_title a,
    span.news_meta), and the wp_paging pager (a.first/prev/next/last; javascript:void(0) when off)."""
    col, _, name = WEBPLUS_COLUMN
    rows = "".join(
        f'<li class="news n{k} clearfix">\n'
        f"  <span class=\"news_title\"><a href='{attr(url_path(it.url))}' target='_blank' title='{attr(it.title)}'>{esc(shorten(it.title, 32))}</a></span>\n"
        f'  <span class="news_meta">{it.date}</span>\n</li>\n'
        for k, it in enumerate(items, 1)
    )
    void = "javascript:void(0);"

    def href(to: int) -> str:
        # WebPlus links page 1 as list1.htm from the other pages
        return f"/{col}/list{to}.htm"

    first = void if page == 1 else href(1)
    prev = void if page == 1 else href(page - 1)
    nxt = void if page >= total else href(page + 1)
    last = void if page >= total else href(total)
    pager = f"""<div id="wp_paging_w3" class="wp_paging">
<ul class="wp_paging clearfix">
     <li class="pages_count">
         <span class="per_page">每页&nbsp;<em class="per_count">{per}</em>&nbsp;记录&nbsp;</span>
         <span class="all_count">总共&nbsp;<em class="all_count">{n_items}</em>&nbsp;记录&nbsp;</span>
     </li>
     <li class="page_nav">
         <a class="first" href="{first}" target="_self"><span>第一页</span></a>
         <a class="prev" href="{prev}" target="_self"><span>&lt;&lt;上一页</span></a>
         <a class="next" href="{nxt}" target="_self"><span>下一页&gt;&gt;</span></a>
         <a class="last" href="{last}" target="_self"><span>尾页</span></a>
     </li>
     <li class="page_jump">
         <span class="pages">页码&nbsp;<em class="curr_page">{page}</em>/<em class="all_pages">{total}</em></span>
         <span><input class="pageNum" type="text" /><input type="hidden" class="currentPage" value="{page}" /></span>
         <span><a class="pagingJump" href="{void}" target="_self">跳转&nbsp;</a></span>
     </li>
</ul>
</div>"""
    main = f"""<!--Start||content-->
<div class="wrapper" id="l-container">
 <div class="inner">
  <div class="mod clearfix">
   <div class="col_menu"><div class="col_menu_head"><h3 class="col_name"><span class="name">{name}</span></h3></div></div>
   <div class="col_news">
    <div class="col_news_box">
     <div class="col_news_head"><h3 class="col_name"><span class="name">{name}</span></h3>
      <div class="col_path"><span class="path-label">当前位置：</span><a href="/main.htm">首页</a><span class='possplit'>&nbsp;&nbsp;</span><a href="/{col}/list.htm">{name}</a></div></div>
     <div class="col_news_con">
      <div class="col_news_list listcon">
       <div frag="窗口3" portletmode="simpleList">
<div id="wp_news_w3">
<ul class="news_list list2">
{rows}</ul>
</div>
{pager}
       </div>
      </div>
     </div>
    </div>
   </div>
  </div>
 </div>
</div>
<!--End||content-->
"""
    return (_wp_head(f"{name}{WEBPLUS_SUFFIX}", name, "list") + main + _WP_FOOT).encode("utf-8")


def webplus_home(items: Sequence[ListItem]) -> bytes:
    col, _, name = WEBPLUS_COLUMN
    lis = "".join(
        f"<li class=\"news n{k} clearfix\"><span class=\"news_title\"><a href='{attr(url_path(it.url))}' target='_blank' title='{attr(it.title)}'>{esc(shorten(it.title, 26))}</a></span><span class=\"news_meta\">{it.date[5:]}</span></li>\n"
        for k, it in enumerate(items[:6], 1)
    )
    main = f"""<div class="wrapper" id="container-1">
 <div class="inner">
  <div class="mod clearfix">
   <div class="post post1 mbox" frag="窗口4">
    <div class="tt"><h3 class="tit"><span class="title">{name}</span></h3><div class="more_btn"><a class="more" href="/{col}/list.htm" target="_self">更多</a></div></div>
    <div class="con"><div id="wp_news_w4"><ul class="news_list list2">
{lis}</ul></div></div>
   </div>
  </div>
 </div>
</div>
"""
    return (_wp_head(WEBPLUS_SITE, WEBPLUS_SITE, "index") + main + _WP_FOOT).encode("utf-8")


# ------------------------------------------------------------------ WordPress

WORDPRESS_ORIGIN = "https://news.wpress.example.edu"
WORDPRESS_UNI = "Tiny State University"
WORDPRESS_SITE = "Tiny State News"
WORDPRESS_SUFFIX = " - Tiny State News"
WORDPRESS_THEME = "tinystate"


def _slug(name: str) -> str:
    return "-".join("".join(ch for ch in name.lower() if ch.isalnum() or ch == " ").split())


def _wpr_head(title: str, extra: str, body_class: str) -> str:
    o = WORDPRESS_ORIGIN
    return f"""<!doctype html>
<html lang="en-US">
<head>
	<meta charset="UTF-8">
	<meta name="viewport" content="width=device-width, initial-scale=1">
	<link rel="profile" href="https://gmpg.org/xfn/11">
	<meta name='robots' content='index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1' />

	<!-- This site is optimized with the Yoast SEO plugin v21.9 - https://yoast.com/wordpress/plugins/seo/ -->
	<title>{esc(title)}</title>
{extra}	<!-- / Yoast SEO plugin. -->


<link rel="alternate" type="application/rss+xml" title="{WORDPRESS_SITE} &raquo; Feed" href="{o}/feed/" />
<link rel='stylesheet' id='wp-block-library-css' href='{o}/wp-includes/css/dist/block-library/style.min.css?ver=6.4.3' media='all' />
<link rel='stylesheet' id='{WORDPRESS_THEME}-style-css' href='{o}/wp-content/themes/{WORDPRESS_THEME}/style.css?ver=2.3.1' media='all' />
<link rel='stylesheet' id='jetpack_css-css' href='{o}/wp-content/plugins/jetpack/css/jetpack.css?ver=13.0' media='all' />
<script src="{o}/wp-includes/js/jquery/jquery.min.js?ver=3.7.1" id="jquery-core-js"></script>
<script src="{o}/wp-content/themes/{WORDPRESS_THEME}/js/navigation.js?ver=2.3.1" id="{WORDPRESS_THEME}-navigation-js"></script>
<link rel="https://api.w.org/" href="{o}/wp-json/" />
<meta name="generator" content="WordPress 6.4" />
</head>

<body class="{body_class}">
<div id="page" class="site">
	<a class="skip-link screen-reader-text" href="#primary">Skip to content</a>

	<header id="masthead" class="site-header">
		<div class="site-branding">
			<p class="site-title"><a href="{o}/" rel="home">{WORDPRESS_SITE}</a></p>
			<p class="site-description">News and stories from {WORDPRESS_UNI}</p>
		</div>
		<nav id="site-navigation" class="main-navigation">
			<button class="menu-toggle" aria-controls="primary-menu" aria-expanded="false">Menu</button>
			<div class="menu-primary-container"><ul id="primary-menu" class="menu"><li id="menu-item-11" class="menu-item menu-item-type-custom menu-item-11"><a href="{o}/">Home</a></li>
<li id="menu-item-12" class="menu-item menu-item-type-post_type menu-item-12"><a href="{o}/news/">News</a></li>
<li id="menu-item-13" class="menu-item menu-item-type-custom menu-item-13"><a href="https://www.tinystate.example.edu/">{WORDPRESS_UNI}</a></li>
<li id="menu-item-14" class="menu-item menu-item-type-custom menu-item-14"><a href="https://events.tinystate.example.edu/">Events</a></li>
</ul></div>
		</nav>
	</header>

	<main id="primary" class="site-main">
"""


_WPR_FOOT = f"""	</main><!-- #main -->

	<footer id="colophon" class="site-footer">
		<div class="site-info">&copy; 2024 {WORDPRESS_UNI} &middot; <a href="https://wordpress.org/">Proudly powered by WordPress</a></div>
	</footer>
</div><!-- #page -->

<script src="{WORDPRESS_ORIGIN}/wp-content/plugins/jetpack/_inc/build/sharedaddy/sharing.min.js?ver=13.0" id="sharing-js-js"></script>
<script src="{WORDPRESS_ORIGIN}/wp-content/themes/{WORDPRESS_THEME}/js/skip-link-focus-fix.js?ver=2.3.1" id="{WORDPRESS_THEME}-skip-link-focus-fix-js"></script>

</body>
</html>"""


@dataclass
class WpPost:
    """What a WordPress article page needs besides the story."""

    post_id: int
    url: str  # absolute
    iso_local: str  # 2024-09-23T09:00:00-04:00 (time.entry-date)
    iso_utc: str  # 2024-09-23T13:00:00+00:00 (Yoast: meta and JSON-LD)
    category: str
    byline: Byline
    related: Sequence[Link] = ()
    prev: Link | None = None
    nxt: Link | None = None


def _wp_figure(p: Photo, n: int) -> str:
    base = p.src.rsplit("-", 1)[0] if p.src.endswith("-1024x683.jpg") else p.src[:-4]
    return (
        f'<figure class="wp-block-image size-large"><img decoding="async" width="1024" height="683" '
        f'src="{attr(p.src)}" alt="" class="wp-image-{n}" srcset="{attr(p.src)} 1024w, '
        f'{attr(base)}-300x200.jpg 300w, {attr(base)}-768x512.jpg 768w" '
        'sizes="(max-width: 1024px) 100vw, 1024px" />'
        + (
            f'<figcaption class="wp-element-caption">{esc(p.caption)}</figcaption>'
            if p.caption
            else ""
        )
        + "</figure>\n"
    )


def wordpress_article(story: Story, post: WpPost) -> bytes:
    """/<yyyy>/<mm>/<dd>/<slug>/: Yoast meta + JSON-LD (author = the account the post is filed
    under), h1.entry-title (with span.entry-title-primary + span.entry-subtitle when there is a
    subtitle), time.entry-date[datetime] with the local offset, div.entry-content with a
    category label, an in-body byline <p> for account posts, the text, a Jetpack share bar and
    Related posts."""
    o = WORDPRESS_ORIGIN
    by = post.byline
    filed_under = by.account or by.shown
    author_slug = _slug(filed_under)
    person_id = f"{o}/#/schema/person/{_h(author_slug, 16**32):032x}"
    photos = story.photos()
    img = photos[0].src if photos else ""
    summary = story.summary[:155]
    graph: list[dict[str, object]] = [
        {
            "@type": "Article",
            "@id": f"{post.url}#article",
            "isPartOf": {"@id": post.url},
            "author": {"name": filed_under, "@id": person_id},
            "headline": story.title,
            "datePublished": post.iso_utc,
            "dateModified": post.iso_utc,
            "mainEntityOfPage": {"@id": post.url},
            "publisher": {"@id": f"{o}/#organization"},
            **({"image": {"@id": f"{post.url}#primaryimage"}, "thumbnailUrl": img} if img else {}),
            "articleSection": [post.category],
            "inLanguage": "en-US",
        },
        {
            "@type": "WebPage",
            "@id": post.url,
            "url": post.url,
            "name": f"{story.title}{WORDPRESS_SUFFIX}",
            "isPartOf": {"@id": f"{o}/#website"},
            "datePublished": post.iso_utc,
            "dateModified": post.iso_utc,
            "breadcrumb": {"@id": f"{post.url}#breadcrumb"},
            "inLanguage": "en-US",
        },
        {
            "@type": "BreadcrumbList",
            "@id": f"{post.url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{o}/"},
                {"@type": "ListItem", "position": 2, "name": story.title},
            ],
        },
        {
            "@type": "WebSite",
            "@id": f"{o}/#website",
            "url": f"{o}/",
            "name": WORDPRESS_SITE,
            "publisher": {"@id": f"{o}/#organization"},
            "inLanguage": "en-US",
        },
        {
            "@type": "Organization",
            "@id": f"{o}/#organization",
            "name": WORDPRESS_UNI,
            "url": f"{o}/",
            "logo": {"@type": "ImageObject", "url": f"{o}/wp-content/uploads/2023/01/tsu-logo.png"},
        },
        {
            "@type": "Person",
            "@id": person_id,
            "name": filed_under,
            "url": f"{o}/author/{author_slug}/",
        },
    ]
    extra = (
        f'	<meta name="description" content="{attr(summary)}" />\n'
        f'	<link rel="canonical" href="{post.url}" />\n'
        '	<meta property="og:locale" content="en_US" />\n'
        '	<meta property="og:type" content="article" />\n'
        f'	<meta property="og:title" content="{attr(story.title)}" />\n'
        f'	<meta property="og:description" content="{attr(summary)}" />\n'
        f'	<meta property="og:url" content="{post.url}" />\n'
        f'	<meta property="og:site_name" content="{WORDPRESS_SITE}" />\n'
        f'	<meta property="article:published_time" content="{post.iso_utc}" />\n'
        f'	<meta property="article:modified_time" content="{post.iso_utc}" />\n'
        + (f'	<meta property="og:image" content="{attr(img)}" />\n' if img else "")
        + f'	<meta name="author" content="{attr(filed_under)}" />\n'
        '	<meta name="twitter:card" content="summary_large_image" />\n'
        '	<meta name="twitter:label1" content="Written by" />\n'
        f'	<meta name="twitter:data1" content="{attr(filed_under)}" />\n'
        '	<meta name="twitter:label2" content="Est. reading time" />\n'
        f'	<meta name="twitter:data2" content="{max(2, len(story.body) // 2)} minutes" />\n'
        '	<script type="application/ld+json" class="yoast-schema-graph">'
        + _ld({"@context": "https://schema.org", "@graph": graph})
        + "</script>\n"
    )
    if story.subtitle:
        h1 = (
            f'<h1 class="entry-title"><span class="entry-title-primary">{esc(story.title)}</span> '
            f'<span class="entry-subtitle">{esc(story.subtitle)}</span></h1>'
        )
    else:
        h1 = f'<h1 class="entry-title">{esc(story.title)}</h1>'
    cat_slug = _slug(post.category)
    body = [
        f'<div class="post-primary-category"><a href="{o}/section/{cat_slug}/">{esc(post.category)}</a></div>\n'
    ]
    if by.account:
        body.append(
            f'<p><a href="{attr(by.profile)}">{esc(by.shown)}</a>, <em>{WORDPRESS_UNI}</em></p>\n'
        )
    n = post.post_id * 10
    for b in story.body:
        if isinstance(b, Photo):
            n += 1
            body.append(_wp_figure(b, n))
        elif isinstance(b, Para) and b.kind == "heading":
            body.append(
                f'<h2 class="wp-block-heading" id="h-{_slug(b.text)[:40]}">{esc(b.text)}</h2>\n'
            )
        elif isinstance(b, Para):
            body.append(f"<p>{esc(b.text)}</p>\n")
    share = "".join(
        f'<li class="share-{k}"><a rel="nofollow noopener noreferrer" data-shared="sharing-{k}-{post.post_id}" '
        f'class="share-{k} sd-button share-icon" href="{post.url}?share={k}" target="_blank" '
        f'title="Click to share on {label}"><span>{label}</span></a></li>'
        for k, label in (
            ("twitter", "X"),
            ("facebook", "Facebook"),
            ("linkedin", "LinkedIn"),
            ("email", "Email"),
        )
    )
    body.append(
        '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social '
        'sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3><div class="sd-content">'
        f'<ul>{share}<li class="share-end"></li></ul></div></div></div>\n'
    )
    rel = "".join(
        f'<p class="jp-relatedposts-post jp-relatedposts-post{k}" data-post-format="false">'
        f'<span class="jp-relatedposts-post-title"><a class="jp-relatedposts-post-a" href="{attr(x.href)}" '
        f'title="{attr(x.title)}" rel="nofollow" data-origin="{post.post_id}" data-position="{k}">{esc(x.title)}</a></span>'
        f'<span class="jp-relatedposts-post-date">{en_date(datetime.strptime(x.date, "%Y-%m-%d"))}</span>'
        f'<span class="jp-relatedposts-post-context">In &quot;{esc(post.category)}&quot;</span></p>'
        for k, x in enumerate(post.related)
    )
    body.append(
        "<div id='jp-relatedposts' class='jp-relatedposts' ><h3 class=\"jp-relatedposts-headline\"><em>Related posts</em></h3>"
        f'<div class="jp-relatedposts-items jp-relatedposts-items-minimal jp-relatedposts-grid ">{rel}</div></div>\n'
    )
    when = datetime.fromisoformat(post.iso_local)
    author_link = f"{o}/author/{author_slug}/"
    nav = []
    if post.prev:
        nav.append(
            f'<div class="nav-previous"><a href="{attr(post.prev.href)}" rel="prev"><span class="nav-subtitle">Previous:</span> <span class="nav-title">{esc(post.prev.title)}</span></a></div>'
        )
    if post.nxt:
        nav.append(
            f'<div class="nav-next"><a href="{attr(post.nxt.href)}" rel="next"><span class="nav-subtitle">Next:</span> <span class="nav-title">{esc(post.nxt.title)}</span></a></div>'
        )
    main = f"""
<article id="post-{post.post_id}" class="post-{post.post_id} post type-post status-publish format-standard hentry category-{cat_slug}">
	<header class="entry-header">
		{h1}
		<div class="entry-meta">
			<span class="posted-on">Posted on <a href="{post.url}" rel="bookmark"><time class="entry-date published updated" datetime="{post.iso_local}">{en_date(when)}</time></a></span><span class="byline"> by <span class="author vcard"><a class="url fn n" href="{author_link}">{esc(filed_under)}</a></span></span>
		</div><!-- .entry-meta -->
	</header><!-- .entry-header -->

	<div class="entry-content">
		{"		".join(body)}	</div><!-- .entry-content -->

	<footer class="entry-footer">
		<span class="cat-links">Posted in <a href="{o}/section/{cat_slug}/" rel="category tag">{esc(post.category)}</a></span>
	</footer><!-- .entry-footer -->
</article><!-- #post-{post.post_id} -->

	<nav class="navigation post-navigation" aria-label="Posts">
		<h2 class="screen-reader-text">Post navigation</h2>
		<div class="nav-links">{"".join(nav)}</div>
	</nav>
"""
    head = _wpr_head(
        f"{story.title}{WORDPRESS_SUFFIX}",
        extra,
        f"post-template-default single single-post postid-{post.post_id} single-format-standard",
    )
    return (head + main + _WPR_FOOT).encode("utf-8")


def wordpress_list_path(page: int) -> str:
    return "/news/" if page == 1 else f"/news/page/{page}/"


def wordpress_listing(
    items: Sequence[ListItem], page: int, total: int, posts: dict[str, tuple[int, str]]
) -> bytes:
    """/news/ and /news/page/N/: article.post > h2.entry-title a + time.entry-date, and the
    pagination nav (a.page-numbers, a.next.page-numbers). `posts`: url -> (post id, local ISO time)."""
    o = WORDPRESS_ORIGIN
    rows = []
    for it in items:
        pid, iso = posts[it.url]
        when = datetime.fromisoformat(iso)
        rows.append(
            f"""
<article id="post-{pid}" class="post-{pid} post type-post status-publish format-standard hentry category-news">
	<header class="entry-header">
		<h2 class="entry-title"><a href="{attr(it.url)}" rel="bookmark">{esc(it.title)}</a></h2>
		<div class="entry-meta">
			<span class="posted-on">Posted on <a href="{attr(it.url)}" rel="bookmark"><time class="entry-date published updated" datetime="{iso}">{en_date(when)}</time></a></span>
		</div><!-- .entry-meta -->
	</header><!-- .entry-header -->
	<div class="entry-summary"><p>{esc(it.summary[:180])} [&hellip;]</p></div><!-- .entry-summary -->
</article>
"""
        )
    links = []
    if page > 1:
        links.append(
            f'<a class="prev page-numbers" href="{o}{wordpress_list_path(page - 1)}">&laquo; Previous</a>'
        )
    for k in range(1, total + 1):
        if k == page:
            links.append(f'<span aria-current="page" class="page-numbers current">{k}</span>')
        else:
            links.append(f'<a class="page-numbers" href="{o}{wordpress_list_path(k)}">{k}</a>')
    if page < total:
        links.append(
            f'<a class="next page-numbers" href="{o}{wordpress_list_path(page + 1)}">Next &raquo;</a>'
        )
    nav = (
        '<nav class="navigation pagination" aria-label="Posts">\n'
        '		<h2 class="screen-reader-text">Posts navigation</h2>\n'
        f'		<div class="nav-links">{"".join(links)}</div>\n	</nav>'
    )
    rel = []
    if page > 1:
        rel.append(f'	<link rel="prev" href="{o}{wordpress_list_path(page - 1)}" />\n')
    if page < total:
        rel.append(f'	<link rel="next" href="{o}{wordpress_list_path(page + 1)}" />\n')
    suffix = "" if page == 1 else f" - Page {page} of {total}"
    extra = f'	<link rel="canonical" href="{o}{wordpress_list_path(page)}" />\n' + "".join(rel)
    main = f"""
		<header class="page-header">
			<h1 class="page-title">News</h1>
		</header><!-- .page-header -->
{"".join(rows)}
	{nav}
"""
    head = _wpr_head(f"News{suffix}{WORDPRESS_SUFFIX}", extra, "blog hfeed")
    return (head + main + _WPR_FOOT).encode("utf-8")


def wordpress_home(items: Sequence[ListItem]) -> bytes:
    o = WORDPRESS_ORIGIN
    cards = "".join(
        f'<article class="post type-post status-publish hentry featured-story"><h3 class="entry-title">'
        f'<a href="{attr(it.url)}" rel="bookmark">{esc(it.title)}</a></h3></article>\n'
        for it in items[:4]
    )
    main = f"""
<section class="front-featured">
<h2 class="section-title">Top stories</h2>
{cards}<p class="more-link"><a href="{o}/news/">More news</a></p>
</section>
"""
    head = _wpr_head(
        f"{WORDPRESS_SITE} - News and stories from {WORDPRESS_UNI}",
        f'	<link rel="canonical" href="{o}/" />\n',
        "home page-template-default page",
    )
    return (head + main + _WPR_FOOT).encode("utf-8")


# ------------------------------------------------------------------ Drupal 10

DRUPAL_ORIGIN = "https://news.drupal.example.edu"
DRUPAL_UNI = "Lakeshore University"
DRUPAL_SITE = "Lakeshore University News"
DRUPAL_SUFFIX = " | Lakeshore University News"
DRUPAL_ACCOUNT = "drupalnews"
_DR_CSS = "css_Q3vV0mY7k1zT2nRr8eWb4xJpLhGdFcSaUo6iEy9t5Ks.css?delta=0&amp;language=en&amp;theme=lakeshore&amp;include=eJxLy0nNTSzSS4YyAEvgB2c"
_DR_JS = "js_6oJ4i7tPzq2nH1vXy3bWcA0mRkLdGeFsTuV9wE8Kr5M.js?scope=footer&amp;delta=0&amp;language=en&amp;theme=lakeshore&amp;include=eJxLy0nNTSzSS4YyAEvgB2c"


def _dr_head(title: str, extra: str, body_class: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr" prefix="og: https://ogp.me/ns#">
  <head>
    <meta charset="utf-8" />
{extra}    <meta name="Generator" content="Drupal 10 (https://www.drupal.org)" />
    <meta name="MobileOptimized" content="width" />
    <meta name="HandheldFriendly" content="true" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="icon" href="/themes/custom/lakeshore/favicon.ico" type="image/vnd.microsoft.icon" />
    <title>{esc(title)}</title>
    <link rel="stylesheet" media="all" href="/sites/default/files/css/{_DR_CSS}" />
    <link rel="stylesheet" media="all" href="/core/modules/system/css/components/align.module.css?s9a2kq" />
    <link rel="stylesheet" media="all" href="/core/themes/stable9/css/core/assets/vendor/normalize-css/normalize.css?s9a2kq" />
    <script src="/core/assets/vendor/jquery/jquery.min.js?v=3.7.1"></script>
  </head>
  <body class="{body_class}">
        <a href="#main-content" class="visually-hidden focusable skip-link">
      Skip to main content
    </a>
    <div class="dialog-off-canvas-main-canvas" data-off-canvas-main-canvas>
    <div class="layout-container">
      <header role="banner" class="site-header">
        <div class="region region-header">
          <div id="block-lakeshore-branding" class="block block-system block-system-branding-block">
            <a href="/" rel="home" class="site-logo"><img src="/themes/custom/lakeshore/logo.svg" alt="Home" /></a>
            <div class="site-name"><a href="/" rel="home">{DRUPAL_SITE}</a></div>
          </div>
          <nav role="navigation" aria-labelledby="block-lakeshore-main-menu-menu" id="block-lakeshore-main-menu" class="block block-menu navigation menu--main">
            <h2 class="visually-hidden" id="block-lakeshore-main-menu-menu">Main navigation</h2>
            <ul class="menu">
              <li class="menu-item"><a href="/" data-drupal-link-system-path="&lt;front&gt;">Home</a></li>
              <li class="menu-item"><a href="/news" data-drupal-link-system-path="news">News</a></li>
              <li class="menu-item"><a href="https://www.lakeshore.example.edu/">{DRUPAL_UNI}</a></li>
              <li class="menu-item"><a href="https://calendar.lakeshore.example.edu/">Events</a></li>
            </ul>
          </nav>
        </div>
      </header>
      <main role="main">
        <a id="main-content" tabindex="-1"></a>
        <div class="layout-content">
          <div class="region region-content">
            <div data-drupal-messages-fallback class="hidden"></div>
"""


def _dr_foot(current: str) -> str:
    settings = _ld(
        {
            "path": {
                "baseUrl": "/",
                "pathPrefix": "",
                "currentPath": current,
                "currentPathIsAdmin": False,
                "isFront": current == "node",
                "currentLanguage": "en",
            },
            "pluralDelimiter": "\u0003",
            "suppressDeprecationErrors": True,
            "user": {
                "uid": 0,
                "permissionsHash": "8c1f0a7e9d3b2c4f6a5e8d7c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a",
            },
        }
    ).replace("/", "\\/")
    return f"""          </div>
        </div>
      </main>
      <footer role="contentinfo" class="site-footer">
        <div class="region region-footer">
          <nav role="navigation" class="menu--footer"><ul class="menu"><li class="menu-item"><a href="https://www.lakeshore.example.edu/contact">Contact</a></li><li class="menu-item"><a href="https://www.lakeshore.example.edu/accessibility">Accessibility</a></li><li class="menu-item"><a href="https://www.lakeshore.example.edu/privacy">Privacy</a></li></ul></nav>
          <p class="copyright">&copy; 2024 {DRUPAL_UNI}. Office of University Communications.</p>
        </div>
      </footer>
    </div>
    </div>
    <script type="application/json" data-drupal-selector="drupal-settings-json">{settings}</script>
    <script src="/sites/default/files/js/{_DR_JS}"></script>
  </body>
</html>"""


@dataclass
class DrupalNode:
    nid: int
    slug: str
    iso_local: str  # JSON-LD / article:published_time
    iso_utc_z: str  # time[datetime] as Drupal prints it: 2024-03-05T20:30:00Z
    byline: Byline
    photo_credit: str | None = None  # "Photo: Jane Doe"
    related: Sequence[Link] = ()


def drupal_article(story: Story, node: DrupalNode) -> bytes:
    """/news/<slug>: h1.page-title span, div.field--name-field-date time[datetime] (UTC, 'Z'),
    div.field--name-field-author "By …", JSON-LD NewsArticle (local offset), div.field--name-body
    with paragraphs and a figure + figcaption."""
    url = f"{DRUPAL_ORIGIN}/news/{node.slug}"
    photos = story.photos()
    img = photos[0] if photos else None
    img_abs = (DRUPAL_ORIGIN + img.src.split("?", 1)[0]) if img else ""
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "NewsArticle",
                "@id": url,
                "headline": story.title,
                "name": story.title,
                "description": story.summary[:160],
                "datePublished": node.iso_local,
                "dateModified": node.iso_local,
                "author": {"@type": "Person", "name": node.byline.shown},
                "publisher": {
                    "@type": "Organization",
                    "@id": f"{DRUPAL_ORIGIN}/",
                    "name": DRUPAL_UNI,
                    "url": f"{DRUPAL_ORIGIN}/",
                    "logo": {
                        "@type": "ImageObject",
                        "url": f"{DRUPAL_ORIGIN}/themes/custom/lakeshore/logo.png",
                    },
                },
                "mainEntityOfPage": url,
                **({"image": {"@type": "ImageObject", "url": img_abs}} if img else {}),
            }
        ],
    }
    extra = (
        f'    <meta name="description" content="{attr(story.summary[:160])}" />\n'
        f'    <link rel="canonical" href="{url}" />\n'
        f'    <link rel="shortlink" href="{DRUPAL_ORIGIN}/node/{node.nid}" />\n'
        f'    <meta property="og:site_name" content="{DRUPAL_SITE}" />\n'
        '    <meta property="og:type" content="article" />\n'
        f'    <meta property="og:url" content="{url}" />\n'
        f'    <meta property="og:title" content="{attr(story.title)}" />\n'
        + (f'    <meta property="og:image" content="{attr(img_abs)}" />\n' if img else "")
        + f'    <meta property="article:published_time" content="{node.iso_local}" />\n'
        '    <meta name="twitter:card" content="summary_large_image" />\n'
        f'    <script type="application/ld+json">{_ld(ld)}</script>\n'
    )
    parts = []
    for b in story.body:
        if isinstance(b, Photo):
            credit = (
                f' <span class="photo-credit">{esc(node.photo_credit)}</span>'
                if node.photo_credit
                else ""
            )
            uuid = f"{node.nid:08x}-5c1e-4b7a-9d2f-{_h(b.src, 16**12):012x}"
            parts.append(
                '<figure role="group" class="caption caption-img align-center">'
                f'<img alt="" data-entity-type="file" data-entity-uuid="{uuid}" src="{attr(b.src)}" '
                'width="1200" height="800" loading="lazy" />'
                f"<figcaption>{esc(b.caption or '')}{credit}</figcaption></figure>\n"
            )
        elif isinstance(b, Para) and b.kind == "heading":
            parts.append(f"<h2>{esc(b.text)}</h2>\n")
        elif isinstance(b, Para):
            parts.append(f"<p>{esc(b.text)}</p>\n")
    when = datetime.fromisoformat(node.iso_local)
    rel = "".join(
        f'<div class="views-row"><a href="{attr(x.href)}" hreflang="en">{esc(x.title)}</a></div>'
        for x in node.related
    )
    main = f"""            <div id="block-lakeshore-page-title" class="block block-core block-page-title-block">
  <h1 class="page-title"><span class="field field--name-title field--type-string field--label-hidden">{esc(story.title)}</span>
</h1>
</div>
<div id="block-lakeshore-content" class="block block-system block-system-main-block">
<article data-history-node-id="{node.nid}" about="/news/{node.slug}" class="node node--type-news-article node--promoted node--view-mode-full">
  <div class="node__content">
  <div class="field field--name-field-date field--type-datetime field--label-hidden field__item"><time datetime="{node.iso_utc_z}" class="datetime">{en_date(when)}</time>
</div>
  <div class="field field--name-field-author field--type-string field--label-hidden field__item">By {esc(node.byline.shown)}</div>
  <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">{"".join(parts)}</div>
  <div class="field field--name-field-tags field--type-entity-reference field--label-above">
    <div class="field__label">Tags</div>
    <div class="field__items"><div class="field__item"><a href="/taxonomy/term/14" hreflang="en">Research</a></div><div class="field__item"><a href="/taxonomy/term/22" hreflang="en">Campus</a></div></div>
  </div>
  <div class="share-links"><a href="https://twitter.com/intent/tweet?url={url}">Share on X</a> <a href="https://www.facebook.com/sharer/sharer.php?u={url}">Share on Facebook</a> <a href="mailto:?subject={attr(story.title)}&amp;body={url}">Email</a></div>
  </div>
</article>
</div>
<div class="views-element-container block block-views block-views-blocknews-related-block-1" id="block-lakeshore-views-block-news-related">
  <h2>Related news</h2>
  <div class="view view-news-related view-id-news_related view-display-id-block_1"><div class="view-content">{rel}</div></div>
</div>
"""
    head = _dr_head(f"{story.title}{DRUPAL_SUFFIX}", extra, "path-node page-node-type-news-article")
    return (head + main + _dr_foot(f"node/{node.nid}")).encode("utf-8")


def drupal_list_path(page: int) -> str:
    """Page 1 is /news; then /news?page=1, ?page=2 … (zero-based, as Drupal counts)."""
    return "/news" if page == 1 else f"/news?page={page - 1}"


def drupal_listing(
    items: Sequence[ListItem], page: int, total: int, utc: dict[str, str], dom_id: str
) -> bytes:
    """/news with div.views-row teasers (h3 a, time) and a mini pager
    (li.pager__item--previous / --next; page 1 is linked as ?page=0, as Drupal does)."""
    rows = "".join(
        f"""    <div class="views-row"><article class="node node--type-news-article node--promoted node--view-mode-teaser">
  <h3><a href="{attr(url_path(it.url))}" rel="bookmark"><span class="field field--name-title field--type-string field--label-hidden">{esc(it.title)}</span></a></h3>
  <time datetime="{utc[it.url]}" class="datetime">{en_date(datetime.strptime(it.date, "%Y-%m-%d"))}</time>
  <div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item"><p>{esc(it.summary[:200])}</p></div>
</article></div>
"""
        for it in items
    )
    pager = []
    if page > 1:
        pager.append(
            f'<li class="pager__item pager__item--previous"><a href="?page={page - 2}" title="Go to previous page" rel="prev">'
            '<span class="visually-hidden">Previous page</span><span aria-hidden="true">‹‹</span></a></li>'
        )
    pager.append(f'<li class="pager__item is-active">Page {page}</li>')
    if page < total:
        pager.append(
            f'<li class="pager__item pager__item--next"><a href="?page={page}" title="Go to next page" rel="next">'
            '<span class="visually-hidden">Next page</span><span aria-hidden="true">››</span></a></li>'
        )
    main = f"""            <div id="block-lakeshore-page-title" class="block block-core block-page-title-block">
  <h1 class="page-title">News</h1>
</div>
<div id="block-lakeshore-content" class="block block-system block-system-main-block">
<div class="views-element-container"><div class="view view-news view-id-news view-display-id-page_1 js-view-dom-id-{dom_id}">
  <div class="view-content">
{rows}  </div>
  <nav class="pager" role="navigation" aria-labelledby="pagination-heading">
    <h4 id="pagination-heading" class="visually-hidden">Pagination</h4>
    <ul class="pager__items js-pager__items">{"".join(pager)}</ul>
  </nav>
</div></div>
</div>
"""
    head = _dr_head(f"News{DRUPAL_SUFFIX}", "", "path-news")
    return (head + main + _dr_foot("news")).encode("utf-8")


def drupal_home(items: Sequence[ListItem]) -> bytes:
    rows = "".join(
        f'<div class="views-row"><h3><a href="{attr(url_path(it.url))}">{esc(it.title)}</a></h3></div>\n'
        for it in items[:4]
    )
    main = f"""<div id="block-lakeshore-content" class="block block-system block-system-main-block">
<section class="front-news"><h2>Latest news</h2>
{rows}<p class="more-link"><a href="/news">All news</a></p>
</section>
</div>
"""
    head = _dr_head(
        DRUPAL_SITE, f'    <link rel="canonical" href="{DRUPAL_ORIGIN}/" />\n', "path-frontpage"
    )
    return (head + main + _dr_foot("node")).encode("utf-8")


__all__ = [
    "Byline",
    "DrupalNode",
    "WpPost",
    "drupal_article",
    "drupal_home",
    "drupal_list_path",
    "drupal_listing",
    "en_date",
    "vsb2_article",
    "vsb2_body_html",
    "vsb2_home",
    "vsb2_listing",
    "webplus_article",
    "webplus_home",
    "webplus_list_path",
    "webplus_listing",
    "wordpress_article",
    "wordpress_home",
    "wordpress_list_path",
    "wordpress_listing",
]
