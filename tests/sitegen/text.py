"""Deterministic, original filler text (Chinese and English) for the fake university news sites."""

from __future__ import annotations

import random
from datetime import datetime
from functools import lru_cache

# --- Chinese vocabulary (generic words; every sentence below is written for this generator) ---

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏晨宇欣然思远浩天佳怡涵萱雨彤博文"
    "嘉懿晓峰志海燕立新建国卫东振学永丹琳睿哲昊岚瑶骏逸凡启航书宁泽清源若楠子墨一鸣景行知予安"
)
PEN_NAMES = (
    "荷塘",
    "水木",
    "雨禾",
    "若溪",
    "青衿",
    "映雪",
    "晓岚",
    "北辰",
    "南枝",
    "初阳",
    "听松",
    "砚秋",
)
UNITS = (
    "机械工程系",
    "精密仪器系",
    "能源与动力工程系",
    "汽车工程系",
    "工业工程系",
    "电子工程系",
    "计算机科学与技术系",
    "自动化系",
    "集成电路学院",
    "化学系",
    "物理系",
    "数学科学系",
    "生命科学学院",
    "医学院",
    "药学院",
    "环境学院",
    "土木水利学院",
    "建筑学院",
    "材料学院",
    "航天航空学院",
    "工程物理系",
    "经济管理学院",
    "公共管理学院",
    "人文学院",
    "社会科学学院",
    "法学院",
    "新闻与传播学院",
    "马克思主义学院",
    "美术学院",
    "教育研究院",
    "交叉信息研究院",
    "校团委",
    "学生部",
    "研究生院",
    "教务处",
    "科研院",
    "国际合作与交流处",
    "图书馆",
    "档案馆",
    "艺术教育中心",
    "体育部",
    "继续教育学院",
)
PLACES = (
    "主楼后厅",
    "主楼接待厅",
    "大礼堂",
    "新清华学堂",
    "蒙民伟音乐厅",
    "综合体育馆",
    "西体育馆",
    "图书馆北馆报告厅",
    "李兆基科技大楼",
    "FIT楼多功能厅",
    "工字厅",
    "近春园会议室",
    "罗姆楼报告厅",
    "伟清楼",
    "文科图书馆",
    "东操场",
    "学生活动中心",
    "艺术博物馆",
)
TOPICS = (
    "人工智能",
    "碳中和",
    "智能制造",
    "新工科建设",
    "课程思政",
    "研究生教育",
    "本科教学改革",
    "集成电路",
    "生物医药",
    "新能源材料",
    "量子信息",
    "数字人文",
    "公共卫生",
    "全球胜任力",
    "创新创业教育",
    "乡村振兴",
    "基础学科人才培养",
    "国际交流合作",
    "校园文化建设",
    "绿色低碳校园",
    "智库建设",
    "科技成果转化",
    "学风建设",
    "实验室安全",
    "文物保护",
    "智慧教学",
    "空间科学",
    "海洋工程",
    "城市规划",
    "心理健康教育",
)
EVENTS = (
    "学术报告会",
    "研讨会",
    "座谈会",
    "工作会议",
    "交流会",
    "论坛",
    "启动仪式",
    "签约仪式",
    "颁奖典礼",
    "成果发布会",
    "专题讲座",
    "培训班",
    "总结交流会",
    "年度工作会",
    "表彰大会",
    "主题沙龙",
    "开放日活动",
    "学术年会",
)
ROLES = (
    "党委书记",
    "院长",
    "系主任",
    "副院长",
    "教授",
    "副教授",
    "研究员",
    "学生代表",
    "校友代表",
    "教师代表",
    "中心主任",
    "所长",
    "常务副院长",
    "博士生",
)
VERBS = (
    "进一步凝聚共识",
    "持续深化改革",
    "加强统筹协调",
    "推动交叉融合",
    "完善体制机制",
    "提升培养质量",
    "聚焦关键问题",
    "服务国家战略需求",
    "激发创新活力",
    "夯实发展基础",
    "强化责任担当",
    "促进资源共享",
    "拓展合作空间",
    "营造良好氛围",
    "坚持问题导向",
    "注重长远规划",
)
GOALS = (
    "建设世界一流大学",
    "培养拔尖创新人才",
    "推动学科交叉",
    "服务经济社会发展",
    "提高人才培养质量",
    "深化综合改革",
    "提升国际影响力",
    "建设高水平师资队伍",
)
PARTNERS = (
    "北京市科委",
    "中国科学院",
    "国家图书馆",
    "中关村科学城",
    "河北省教育厅",
    "某航天研究院",
    "地方政府",
    "多家行业龙头企业",
    "兄弟院校",
    "海外合作高校",
    "国家自然科学基金委",
)
PROVINCES = ("云南", "贵州", "青海", "甘肃", "河北", "四川", "广西", "宁夏", "江西", "内蒙古")
AWARDS = (
    "国家自然科学奖二等奖",
    "教学成果奖一等奖",
    "青年科学家奖",
    "优秀博士学位论文奖",
    "创新团队奖",
)
ORDINALS = ("二", "三", "五", "六", "八", "十", "十二", "十五", "二十", "三十")
OUTLETS = (
    "新京报",
    "光明日报",
    "人民日报",
    "中国教育报",
    "中国青年报",
    "科技日报",
    "北京日报",
    "中国科学报",
    "经济日报",
    "新华社",
    "文汇报",
    "解放日报",
)

ZH_TEMPLATES = (
    "{u}在{p}举行{t}{e}，来自校内外的{num}余名师生参加。",
    "{u}{r}{n}在致辞中表示，{t}是学校{g}的重要方向，希望大家{v}。",
    "{n}指出，要{v}，{v2}，切实把各项任务落到实处。",
    "与会代表围绕{t}、{t2}等议题展开深入交流，并就下一步工作提出了具体建议。",
    "据介绍，{u}近年来在{t}领域持续投入，已形成一支结构合理、富有活力的研究队伍。",
    "活动期间，与会嘉宾还参观了{p}，并与{u}师生代表进行了座谈。",
    "此次{e}由{u}主办，{u2}协办，{partner}给予了大力支持。",
    "{n}回顾了{u}在{t}方面的发展历程，并对今后的工作提出了{k}点希望。",
    "他强调，要把“{t}”作为一项长期任务来抓，{v}，{v2}。",
    "她表示，{u}将以此为契机，{v}，为{g}作出新的贡献。",
    "{u}{r}{n}作题为“{t}的机遇与挑战”的主旨报告，介绍了相关领域的最新研究进展。",
    "在交流环节，{num2}位青年教师结合自身经历，分享了开展{t}工作的体会。",
    "会上还发布了《{t}发展报告》，系统梳理了近五年来的主要成果和经验。",
    "学生代表{n}说，参加这次活动让自己对{t}有了更加直观的认识，也更加坚定了投身科研的决心。",
    "近年来，学校高度重视{t}工作，先后出台了一系列政策措施，取得了积极成效。",
    "{partner}有关负责人表示，希望双方在{t}和{t2}等方面开展更加紧密的合作。",
    "据统计，今年共有{num}名学生报名参加，比去年增加了约{pct}%。",
    "按照计划，项目将分{k}个阶段推进，预计在{year}年底前完成全部建设任务。",
    "与会专家一致认为，{u}的做法思路清晰、特色鲜明，具有较强的示范意义。",
    "{n}最后总结说，{t}工作任重道远，需要全校上下{v}、久久为功。",
    "本次{e}共设{k}个分论坛，涵盖{t}、{t2}等多个方向。",
    "为做好此项工作，{u}专门成立了工作小组，{v}，确保各项安排有序推进。",
    "不少同学在留言中写道，这样的活动“接地气、有温度”，希望今后多多举办。",
    "{u}与{partner}的合作始于{year0}年，双方此前已在{t2}领域联合承担多项课题。",
    "下一步，{u}将继续{v}，推动{t}工作迈上新台阶。",
)
ZH_HEADINGS = (
    "聚焦{t}，{v}",
    "{v}，服务{g}",
    "以{t}为抓手推动{g}",
    "{t}：从理念到实践",
    "坚持{t}导向，{v}",
)
ZH_TITLES = (
    "{u}举办{t}{e}",
    "{t}{e}在{p}举行",
    "{u}{n}团队在{t}领域取得新进展",
    "清华大学召开{year}年{t}工作会议",
    "{u}师生赴{prov}开展{t}主题社会实践",
    "第{ord}届{t}{e}举行",
    "{u}与{partner}签署{t}合作协议",
    "{u}{n}获{award}",
    "{u}召开{t}{e} 部署{year}年重点工作",
    "{t}系列{e}第{ord}讲开讲",
    "{u}举行{t}{e} {v}",
)
ZH_CAPTIONS = (
    "{e}现场。",
    "{n}作报告。",
    "与会嘉宾合影。",
    "{n}致辞。",
    "{u}师生在{p}参观交流。",
    "活动现场。",
    "{n}（左）与{n2}交流。",
    "签约仪式现场。",
    "{u}{r}{n}发言。",
)
ZH_SUBTITLES = (
    "记{u}{r}{n}",
    "{u}{t}工作侧记",
    "{t}{e}综述",
    "访{u}{r}{n}",
    "{year}年{t}工作回眸",
)

# --- English vocabulary ---

EN_FIRST = (
    "Maria",
    "James",
    "Priya",
    "Daniel",
    "Aisha",
    "Thomas",
    "Elena",
    "Kevin",
    "Laura",
    "Samuel",
    "Nadia",
    "Owen",
    "Grace",
    "Victor",
    "Hannah",
    "Marcus",
    "Julia",
    "Leo",
    "Rosa",
    "Adrian",
)
EN_LAST = (
    "Lopez",
    "Whitfield",
    "Raman",
    "Okafor",
    "Brennan",
    "Castillo",
    "Hughes",
    "Novak",
    "Iyer",
    "Sorensen",
    "Delgado",
    "Keller",
    "Murphy",
    "Tanaka",
    "Abbott",
    "Fischer",
    "Romero",
    "Quinn",
)
EN_DEPTS = (
    "School of Engineering",
    "Department of Chemistry",
    "School of Public Health",
    "Department of History",
    "College of Nursing",
    "School of Arts and Sciences",
    "Department of Marine Sciences",
    "Graduate School of Education",
    "School of Social Work",
    "Department of Computer Science",
    "Institute for Climate Research",
    "Medical School",
)
EN_TOPICS = (
    "coastal flooding",
    "soil microbes",
    "battery recycling",
    "childhood literacy",
    "heart health",
    "urban heat",
    "quantum sensors",
    "opioid recovery",
    "honeybee decline",
    "rural broadband",
    "food insecurity",
    "wildfire smoke",
    "gene editing",
    "student mental health",
    "groundwater",
    "machine learning in medicine",
    "river restoration",
    "aging and memory",
)
EN_TITLES = (
    "{Dept} Researchers Find New Clues About {Topic}",
    "Study Links {Topic} to Changes in Local Communities",
    "How a Northfield Team Is Rethinking {Topic}",
    "New Grant Will Support Research on {Topic}",
    "Students Bring Fresh Ideas to the Problem of {Topic}",
    "{Name} Named to Lead Center for {Topic} Studies",
    "What Scientists Are Learning About {Topic}",
)
EN_TEMPLATES = (
    "Researchers in the {dept} have spent the past {k} years studying {topic}.",
    "\u201cWe wanted to understand what actually happens on the ground,\u201d said {name}, "
    "a professor in the {dept}.",
    "The team collected data from {num} sites across the state and compared the results "
    "with earlier surveys.",
    "Their findings suggest that {topic} is more closely tied to {topic2} than previously thought.",
    "The project is funded by a {money} grant from a federal research agency.",
    "Graduate students played a central role, running field work and building the models "
    "used in the analysis.",
    "{name} said the next step is to work with local partners to test the approach at a "
    "larger scale.",
    "The work builds on a long collaboration between the {dept} and the {dept2}.",
    "Undergraduates can join the effort through a summer research program that opens each spring.",
    "Community members have attended {k} public meetings to share their own observations.",
    "The results were published this week in a peer-reviewed journal & presented at a "
    "national conference.",
    "\u201cThis is only the beginning,\u201d said {name}. \u201cThere is a lot more we can do.\u201d",
    "Other contributors include faculty from the {dept2} and researchers at two partner "
    "institutions.",
    "The university will host a panel discussion on {topic} later this semester.",
    "Data from the study will be made available to other researchers next year.",
)
EN_CAPTIONS = (
    "Researchers collect samples during a field visit.",
    "Students work in a campus laboratory.",
    "{name} speaks with members of the research team.",
    "A view of the study site in early spring.",
)
EN_DEKS = (
    "The findings could help communities plan for the years ahead",
    "A multi-year effort brings together scientists, students and residents",
    "Early results point to simple, low-cost interventions",
)


class _Slots(dict[str, object]):
    """Template slots computed on first use (str.format_map only asks for the slots it needs)."""

    def __init__(self, rng: random.Random, year: int) -> None:
        super().__init__()
        self.rng = rng
        self.year = year

    def __missing__(self, key: str) -> object:
        rng = self.rng
        if key in ("t", "t2"):
            self["t"], self["t2"] = rng.sample(TOPICS, 2)
        elif key in ("u", "u2"):
            self["u"], self["u2"] = rng.sample(UNITS, 2)
        elif key in ("v", "v2"):
            self["v"], self["v2"] = rng.sample(VERBS, 2)
        else:
            self[key] = self._one(key)
        return self[key]

    def _one(self, key: str) -> object:
        rng = self.rng
        simple: dict[str, tuple[str, ...]] = {
            "p": PLACES,
            "e": EVENTS,
            "r": ROLES,
            "g": GOALS,
            "partner": PARTNERS,
            "prov": PROVINCES,
            "ord": ORDINALS,
            "award": AWARDS,
        }
        if key in simple:
            return rng.choice(simple[key])
        if key in ("n", "n2"):
            return zh_name(rng)
        if key == "k":
            return rng.choice("两三四五")
        if key == "num":
            return rng.randrange(40, 900, 10)
        if key == "num2":
            return rng.randint(3, 9)
        if key == "pct":
            return rng.randint(5, 40)
        if key == "year":
            return self.year
        if key == "year0":
            return self.year - rng.randint(2, 9)
        raise KeyError(key)


def _fill(template: str, rng: random.Random, year: int = 2015) -> str:
    """Fill one Chinese template with random vocabulary."""
    return template.format_map(_Slots(rng, year))


def _fill_en(template: str, rng: random.Random) -> str:
    """Fill one English template with random vocabulary."""
    d, d2 = rng.sample(EN_DEPTS, 2)
    t, t2 = rng.sample(EN_TOPICS, 2)
    return template.format(
        dept=d,
        dept2=d2,
        Dept=d.replace("Department of ", "").replace("School of ", ""),
        topic=t,
        topic2=t2,
        Topic=t.title(),
        name=en_name(rng),
        Name=en_name(rng),
        k=rng.choice(("two", "three", "four", "five")),
        num=rng.randint(12, 300),
        money=f"${rng.randint(2, 40) * 50},000",
    )


def zh_name(rng: random.Random) -> str:
    """A plausible two- or three-character Chinese personal name."""
    k = 1 if rng.random() < 0.3 else 2
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(k))


def zh_names(rng: random.Random, k: int) -> list[str]:
    """k distinct Chinese names."""
    out: list[str] = []
    while len(out) < k:
        n = zh_name(rng)
        if n not in out:
            out.append(n)
    return out


def en_name(rng: random.Random) -> str:
    """A plausible English full name."""
    return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"


@lru_cache(maxsize=4)
def zh_pool(year: int = 2015, size: int = 3000) -> tuple[str, ...]:
    """A fixed pool of Chinese body sentences (paragraphs are drawn from it, which keeps generation fast)."""
    rng = random.Random(f"zh-pool-{year}")
    return tuple(_fill(rng.choice(ZH_TEMPLATES), rng, year) for _ in range(size))


@lru_cache(maxsize=8)
def zh_para_pool(year: int = 2015, size: int = 4000) -> tuple[str, ...]:
    """A fixed pool of Chinese paragraphs of 2 to 6 pool sentences."""
    rng = random.Random(f"zh-paras-{year}")
    sents = zh_pool(year)
    return tuple("".join(rng.choices(sents, k=rng.randint(2, 6))) for _ in range(size))


@lru_cache(maxsize=32)
def zh_small_pool(kind: str, year: int = 2015, size: int = 400) -> tuple[str, ...]:
    """Fixed pools of headings, captions and subtitles."""
    templates = {"heading": ZH_HEADINGS, "caption": ZH_CAPTIONS, "subtitle": ZH_SUBTITLES}[kind]
    rng = random.Random(f"zh-{kind}-{year}")
    return tuple(_fill(rng.choice(templates), rng, year) for _ in range(size))


@lru_cache(maxsize=2)
def en_pool(size: int = 1500) -> tuple[str, ...]:
    """A fixed pool of English body sentences."""
    rng = random.Random("en-pool")
    return tuple(_fill_en(rng.choice(EN_TEMPLATES), rng) for _ in range(size))


@lru_cache(maxsize=16)
def avg_len(pool: tuple[str, ...]) -> float:
    """Mean sentence length of a pool, in characters."""
    return sum(len(s) for s in pool[:500]) / min(len(pool), 500)


class ZhWriter:
    """Chinese news text from one `random.Random`: titles, paragraphs, captions, names."""

    def __init__(self, rng: random.Random, year: int = 2015) -> None:
        self.rng = rng
        self.year = year
        self.pool = zh_pool(year)
        self.para_pool = zh_para_pool(year)
        self.headings = zh_small_pool("heading", year)
        self.captions = zh_small_pool("caption", year)
        self.subtitles = zh_small_pool("subtitle", year)

    def name(self) -> str:
        return zh_name(self.rng)

    def names(self, k: int) -> list[str]:
        return zh_names(self.rng, k)

    def pen_name(self) -> str:
        return self.rng.choice(PEN_NAMES)

    def unit(self) -> str:
        return self.rng.choice(UNITS)

    def outlet(self) -> str:
        return self.rng.choice(OUTLETS)

    def title(self) -> str:
        return _fill(self.rng.choice(ZH_TITLES), self.rng, self.year)

    def subtitle(self) -> str:
        return self.rng.choice(self.subtitles)

    def heading(self) -> str:
        return self.rng.choice(self.headings)

    def caption(self) -> str:
        return self.rng.choice(self.captions)

    def keywords(self) -> list[str]:
        return self.rng.sample(TOPICS, 3)

    def paragraph(self, sentences: int) -> str:
        return "".join(self.rng.choices(self.pool, k=sentences))

    def paragraphs(self, total_sentences: int) -> list[str]:
        """About `total_sentences` sentences as paragraphs (drawn from a fixed paragraph pool, which is
        what keeps a 10,000-page build fast; the lead paragraph is always composed afresh)."""
        if total_sentences < 4:
            return [self.paragraph(max(total_sentences, 1))]
        return self.rng.choices(self.para_pool, k=max(1, round(total_sentences / 4)))

    def lead_event(self, when: datetime) -> str:
        """The factual opening of a lead paragraph, after the dateline: '3月3日，…举行。'"""
        return f"{when.month}月{when.day}日，" + _fill(self.rng.choice(ZH_TEMPLATES[:1]), self.rng)


class EnWriter:
    """English news text from one `random.Random`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = en_pool()

    def name(self) -> str:
        return en_name(self.rng)

    def title(self) -> str:
        return _fill_en(self.rng.choice(EN_TITLES), self.rng)

    def dek(self) -> str:
        return self.rng.choice(EN_DEKS)

    def caption(self) -> str:
        return _fill_en(self.rng.choice(EN_CAPTIONS), self.rng)

    def paragraphs(self, total_sentences: int) -> list[str]:
        out: list[str] = []
        left = max(total_sentences, 1)
        while left > 0:
            k = min(left, self.rng.randint(2, 4))
            out.append(" ".join(self.rng.choices(self.pool, k=k)))
            left -= k
        return out
