"""Bylines split by role: 记者/作者 → authors, 摄 → photographers, 编辑 → editors, and so on."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("authors", "photographers", "editors", "reviewers", "contributors")

# (label, role), longest first so 责任编辑 wins over 编辑 and 摄影 over 摄.
_LABELS: list[tuple[str, str]] = [
    ("本文作者", "authors"),
    ("责任编辑", "editors"),
    ("本文编辑", "editors"),
    ("网络编辑", "editors"),
    ("文字编辑", "editors"),
    ("图片编辑", "editors"),
    ("编辑", "editors"),
    ("责编", "editors"),
    ("编审", "reviewers"),
    ("审核", "reviewers"),
    ("审校", "reviewers"),
    ("审稿", "reviewers"),
    ("终审", "reviewers"),
    ("校对", "reviewers"),
    ("供稿", "contributors"),
    ("通讯员", "contributors"),
    ("来稿", "contributors"),
    ("摄影记者", "photographers"),
    ("摄影", "photographers"),
    ("摄像", "photographers"),
    ("图片", "photographers"),
    ("记者", "authors"),
    ("作者", "authors"),
    ("撰文", "authors"),
    ("撰稿", "authors"),
    ("采写", "authors"),
    ("文字", "authors"),
]
# 文 and 图 are everyday characters: only labels when a slash or colon follows (文/张三, 图：李四).
_SHORT = [("文", "authors"), ("图", "photographers")]
_LABEL_ROLE = dict(_LABELS + _SHORT)
_LABEL_RE = re.compile(
    "("
    + "|".join(re.escape(lab) for lab, _ in _LABELS)
    + r")\s*[：:/｜|丨]?\s*"
    + "|("
    + "|".join(re.escape(lab) for lab, _ in _SHORT)
    + r")\s*[：:/｜|丨]\s*"
)
# "杨艳宾 摄" / "杨艳宾摄" / "张三/摄": the credit comes before the label.
_POSTFIX_PHOTO = re.compile(
    r"([^\s：:（()）,，;；]{2,}(?:\s+[^\s：:（()）,，;；]{1,})*?)\s*/?\s*摄(?:影)?\s*$"
)
_SOURCE_LINE = re.compile(
    r"^\s*[\[【(（]?\s*(?:来源|稿件来源|文章来源|转载来源|转自|出处)\s*[：:｜|]\s*(.+?)\s*[\]】)）]?\s*$"
)
# "刘其真、高海锋 报道" closing a story: the reporters, named before the word.
_POSTFIX_REPORT = re.compile(
    r"^[（(]?\s*((?:[\u4e00-\u9fff·]{2,4}[、，,\s]*){1,6}?)\s*(?:报道|撰稿)\s*[）)]?$"
)
# "图片均由钱振兴教授提供": a photo credit, which names a photographer and never the source.
_PHOTO_GIVEN = re.compile(
    r"^[（(]?\s*(?:图片|照片|图|供图)\s*(?:均|皆|来源)?\s*[由：:]\s*(.+?)\s*(?:提供|拍摄|摄)?\s*[。）)]?$"
)
# A person's affiliation or title beside the name, as it ends ("复旦大学中文系学生 王瑞琳", "花勇，华东政法
# 大学法律学院副院长"): not a name of its own.
_AFFILIATION = re.compile(
    r"(大学|学院|学校|研究院|研究所|中心|实验室|医院|学会|协会|公司|集团|报社|杂志社|系|学生|"
    r"教授|研究员|讲师|院长|主任|书记|校长|部长|处长|博士|硕士|研究生|本科生|校友|老师|记者)$"
)
# A clause, a comma, a full stop: prose that happens to begin with a label ("作者认为，…。").
_SENTENCE = re.compile(r"[，,].*[。！？!?]\s*$")
_TITLES = re.compile(r"(副?教授|老师|同学|研究员|博士|先生|女士)$")
_DATE_IN_SOURCE = re.compile(r"(?:(\d{4})\s*[-年/.]\s*)?(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
_DATELINE = re.compile(
    r"^\s*([^\s，,。（(]{2,16}?)\s*(?:\d{4}年)?\d{1,2}月\d{1,2}日\s*电\s*(?:[（(]([^）)]{1,60})[）)])?"
)
_EN_BYLINE = re.compile(r"^\s*(?:(Photos?|Images?|Video)\s+)?by\s+(.+?)\s*$", re.I)
_NAME_SPLIT = re.compile(r"[\s、,，;；/|]+|(?<=[\u4e00-\u9fff])(?:和|及|与)(?=[\u4e00-\u9fff])")
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")
_PUNCT = "：:，,。；;、（）()【】[]“”\"' \u3000"


@dataclass
class Byline:
    """People by role, and the outlet when a line names one."""

    authors: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    source: str | None = None
    source_date: str | None = None

    def add(self, role: str, names: list[str]) -> None:
        bucket: list[str] = getattr(self, role)
        for name in names:
            if name and name not in bucket:
                bucket.append(name)

    def merge(self, other: Byline) -> None:
        for role in ROLES:
            self.add(role, getattr(other, role))
        self.source = self.source or other.source
        self.source_date = self.source_date or other.source_date

    def __bool__(self) -> bool:
        return any(getattr(self, r) for r in ROLES) or bool(self.source)


def split_names(text: str) -> list[str]:
    """Names in a byline value; single CJK characters spaced for typography (陈 旭) are rejoined.

    Without CJK, names are split on commas, "and" and "&" only ("Todd Bates, Jane Doe").
    """
    if not re.search(r"[\u3400-\u9fff]", text):
        return _english_names(text)
    tokens = [t.strip(_PUNCT) for t in _NAME_SPLIT.split(text)]
    tokens = [t for t in tokens if t]
    names: list[str] = []
    run: list[str] = []
    for tok in [*tokens, ""]:
        if len(tok) == 1 and _CJK.match(tok):
            run.append(tok)
            continue
        if run:
            names.append("".join(run))
            run = []
        if tok:
            names.append(tok)
    return names


def _english_names(text: str) -> list[str]:
    parts = re.split(r"\s*(?:,|\band\b|&)\s*", text)
    return [p.strip(" .") for p in parts if p.strip(" .")]


def parse_roles(text: str) -> tuple[Byline, str]:
    """People by role in `text`, and what is left of it once labels and names are removed."""
    out = Byline()
    s = text.strip().strip("（）()[]【】")
    m = _POSTFIX_PHOTO.search(s)
    if m and not _LABEL_RE.search(m.group(1)):
        out.add("photographers", split_names(m.group(1)))
        s = s[: m.start()].strip()
    elif m:
        # "记者 张三 摄": the reporter took the photos too.
        inner, _ = parse_roles(m.group(1))
        out.merge(inner)
        out.add("photographers", [n for r in ROLES for n in getattr(inner, r)])
        s = s[: m.start()].strip()
        return out, ""
    matches = list(_LABEL_RE.finditer(s))
    if not matches:
        return out, s
    leftover = s[: matches[0].start()].strip(_PUNCT)
    for i, lm in enumerate(matches):
        label = lm.group(1) or lm.group(2)
        end = matches[i + 1].start() if i + 1 < len(matches) else len(s)
        value = s[lm.end() : end].strip()
        role = _LABEL_ROLE[label]
        if not value:
            continue
        names = split_names(value)
        if role != "contributors" and len(names) > 1:
            people = [n for n in names if not (len(n) >= 4 and _AFFILIATION.search(n))]
            if len(people) < len(names):
                # Beside an affiliation, only what reads as a Chinese name stays a name.
                if not people or not all(_CJK.match(n) and 2 <= len(n) <= 4 for n in people):
                    return Byline(), text
                names = people
        if role != "contributors":
            # Person names are short; a long value is a sentence that merely contains the label.
            if any(len(n) > 12 for n in names) or len(names) > 8:
                return Byline(), text
        out.add(role, names)
    return out, leftover


def parse_byline_line(line: str) -> Byline | None:
    """The roles in a line that is nothing but a byline or trailer (编辑：清芷, 杨艳宾 摄…)."""
    if len(line) > 80 or _SENTENCE.search(line):
        return None
    src = parse_source_line(line)
    if src is not None:
        return src
    given = _PHOTO_GIVEN.match(line)
    if given:
        names = [_TITLES.sub("", n) for n in split_names(given.group(1))]
        if names and all(1 < len(n) <= 12 for n in names):
            b = Byline()
            b.add("photographers", names)
            return b
    report = _POSTFIX_REPORT.match(line)
    if report:
        b = Byline()
        b.add("authors", split_names(report.group(1)))
        return b
    en = _EN_BYLINE.match(line)
    if en and len(en.group(2)) < 60:
        b = Byline()
        b.add("photographers" if en.group(1) else "authors", _english_names(en.group(2)))
        return b
    byline, leftover = parse_roles(line)
    if byline and not leftover:
        return byline
    return None


def parse_source_line(line: str) -> Byline | None:
    """`来源：新京报 2015-1-2 许路阳` → source 新京报, source date, authors [许路阳]."""
    m = _SOURCE_LINE.match(line)
    if not m:
        return None
    value = m.group(1)
    out = Byline()
    roles, rest = parse_roles(value)
    out.merge(roles)
    d = _DATE_IN_SOURCE.search(rest)
    names_part = ""
    if d:
        outlet = rest[: d.start()]
        names_part = rest[d.end() :]
        y, mo, day = d.groups()
        out.source_date = (
            f"{y}-{int(mo):02d}-{int(day):02d}" if y else f"{int(mo):02d}-{int(day):02d}"
        )
    else:
        # "计苑菁英 公众号": the outlet is a WeChat account, its kind is no author's name.
        rest = re.sub(r"\s*(?:微信)?公众号\s*$", "", rest)
        outlet, _, names_part = rest.strip().partition(" ")
    outlet = outlet.strip(_PUNCT).replace("《", "").replace("》", "")
    out.source = outlet or None
    out.add("authors", split_names(names_part))
    return out


def parse_dateline(paragraph: str) -> Byline | None:
    """`清华新闻网3月4日电（记者 李含）…` at the start of a lead → outlet and reporters."""
    m = _DATELINE.match(paragraph)
    if not m:
        return None
    out = Byline(source=m.group(1))
    if m.group(2):
        roles, _ = parse_roles(m.group(2))
        out.merge(roles)
    return out


def trailing_signature(line: str) -> str | None:
    """`（国家服务外包人力资源研究院副院长 毛居华）` closing an article → 毛居华."""
    m = re.fullmatch(r"[（(]([^（）()]{2,40})[）)]", line.strip())
    if not m:
        return None
    inner = m.group(1).strip()
    if re.match(r"^(作者|本文|注|编者|原载|转载|文章|来源|以上|全文)", inner):
        return None
    last = split_names(inner)[-1] if split_names(inner) else ""
    return last if 2 <= len(last) <= 4 and _CJK.match(last) else None


# Values a CMS prints where a name would be: no one's name.
NOT_NAMES = frozenset(
    {"佚名", "匿名", "本站", "本网", "管理员", "系统管理员", "网站管理员", "admin", "administrator",
     "editor", "webmaster", "staff", "anonymous", "unknown", "未知"}
)  # fmt: skip
_ORG_WORDS = re.compile(
    r"\b(news|newsroom|university|college|school|office|communications?|admissions?|staff|team|"
    r"department|dept|center|centre|institute|magazine|press|media|editorial|marketing|affairs|"
    r"relations|today|daily|hospital|library|foundation|association|society|council|board|"
    r"campus|alumni|division|group|services|health)\b",
    re.I,
)
_ORG_ZH = re.compile(
    r"(新闻中心|新闻网|宣传部|办公室|学院|大学|中心|研究院|研究所|委员会|党委|团委|学生会|记者团|"
    r"编辑部|网站|工作室|实验室)$"
)
# One character that ends a unit's short name (研招办, 学工部, 教务处), when the value does not
# begin with a family name (王建科 is a person).
_ORG_ZH_LAST = "处部局厅会办组站社院校所队科"
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万"
    "钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝"
)


def is_person(name: str, host: str = "", site_name: str = "") -> bool:
    """Whether a byline value names a person, not an organisation or a CMS account.

    "Clemson News", "Illinois Admissions", "uclahealth", "新闻中心", "佚名" are not people: a
    newsroom's own account goes to `source`, an anonymous marker nowhere.
    """
    n = name.strip()
    if not n or n.lower() in NOT_NAMES:
        return False
    if site_name and n.lower() == site_name.strip().lower():
        return False
    if re.fullmatch(r"[a-z0-9_.\-]+", n):
        return False  # an account name: uclahealth, admin, news-office
    squashed = re.sub(r"[\s.\-]", "", n.lower())
    if host and len(squashed) > 3 and squashed in host.lower().replace(".", "").replace("-", ""):
        return False
    if re.search(r"[\u3400-\u9fff]", n):
        if len(n) > 5 or _ORG_ZH.search(n):
            return False
        return not (n[-1] in _ORG_ZH_LAST and n[0] not in _SURNAMES and len(n) >= 3)
    return not _ORG_WORDS.search(n)


# "发布时间：2017年11月03日 22:40 作者： 来源： 点击率：<script>…</script>次"
META_LABELS = (
    "发布时间", "发布日期", "发表时间", "更新时间", "时间", "日期", "作者", "文字", "来源",
    "稿件来源", "文章来源", "摄影", "编辑", "责任编辑", "审核", "点击率", "点击数", "点击",
    "浏览次数", "浏览量", "阅读次数", "访问次数",
)  # fmt: skip
_META_LABEL_RE = re.compile(
    "(" + "|".join(sorted(map(re.escape, META_LABELS), key=len, reverse=True)) + r")\s*[：:]"
)


def labelled_values(text: str) -> dict[str, str]:
    """The value after each label of a CMS meta line, up to the next label ("" when empty).

    An empty 作者：/来源： must give no author or source, not swallow the next label's name.
    """
    out: dict[str, str] = {}
    found = list(_META_LABEL_RE.finditer(text))
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        value = text[m.end() : end].strip(" |｜丨\u3000\xa0")
        out.setdefault(m.group(1), value)
    return out


_OUTLET_WORDS = re.compile(
    r"\b(news|newsroom|today|gazette|magazine|review|report|stories|daily|herald|times|"
    r"chronicle|record|post|journal|bulletin|press|insider|now|weekly|online)\b|"
    r"(新闻|报|网|在线|快讯|周刊|杂志|之声|视点)",
    re.I,
)


def is_outlet(name: str) -> bool:
    """Whether a site's name names a news outlet ("Rutgers Today", "MIT News", 清华新闻网), not
    just the institution behind it ("Hertie School", "University of Oxford")."""
    return bool(_OUTLET_WORDS.search(name))
