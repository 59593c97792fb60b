"""Prompt templates as data: a prompt change is a clean diff here and nowhere else."""

# The tiny model sees one measure at a time: shown several, it mixes them up and drops citations.
# The prompt depends on (measure, focus) only, never on the raw question, so the reply can be
# cached (assistant/sentences.py). Focus: the agency asked about, the topic terms, or none; it picks the
# clause the model rewrites and keys the cache.
# The focus is a canonical question, so that every wording of it shares one cached sentence.
AGENCY_FOCUS = "What must the {agency} do?"
JOINT_FOCUS = "What must the {a} and the {b} do together?"
TOPIC_FOCUS = "Which measures concern {terms}?"
AGENCY_TOPIC_FOCUS = "What must the {agency} do on {terms}?"
# Issue 16: the model rewrites the single clause that answers (the topic's clause, else the first one),
# not the whole measure; shown a whole measure SmolLM2 pads ("a comprehensive approach"), renames
# agencies and swaps the act. Grammar-constrained decoding (llama.cpp GBNF) fixes the opening on the
# lead agency and the closing citation, and keeps out brackets, questions and new lines.
CLAUSE_SYSTEM = (
    "You rewrite one clause of a Chinese government plan as one plain-English sentence for policy staff. "
    "Keep its words and facts; add nothing. End with the citation given."
)
CLAUSE_USER = (
    "Clause of measure [{number}], responsible: {agencies}.\n"
    "Clause: {clause}\n\n"
    'Rewrite the clause as one sentence that starts with "{subject} is to" and ends with [{number}].'
)
# The sentence's subject when staff asked about a co-responsible agency: the agency asked about, with
# the lead named (the blind review marked "{lead} is to ..." off the question for a co-agency's focus).
CO_SUBJECT = "{agency}, with the {lead} leading,"
# GBNF; ``<subject>``, ``<limit>`` and ``<number>`` are filled in (GBNF's own braces stay literal).
CLAUSE_GRAMMAR = 'root ::= "<subject> is to " [a-z] [^\\n\\[\\]?:()]{8,<limit>} " [<number>]."\n'
# Bump when the meaning of the prompts changes; the cache key also hashes the templates themselves.
PROMPT_VERSION = "3"

# Deterministic text the code writes itself (never the model).
EXTRACTIVE_SENTENCE = "{subject} is to {clause} [{number}]."
ABSTAIN = "The plan does not cover this."
EMPTY_QUESTION = "Please ask a question about the {year} IP Strategy Promotion Plan, e.g. “What must Customs do?”"
OUT_OF_RANGE = "The plan has measures 1–90; there is no measure {numbers}."
UNKNOWN_AGENCY = "The plan does not cover this: it assigns no measures to {names}."
NO_JOINT = "The plan does not cover this: no measure names both {a} and {b}."
NO_TOPIC_FOR_AGENCY = "The plan does not cover this: none of the {count} measures of {agency} concerns “{topic}”."
NO_TOPIC_IN = "The plan does not cover this: none of the {count} measures {scope} concerns “{topic}”."
OTHER_YEAR = "The plan does not cover this: it is the plan for {plan_year} only, not {year}."
QUOTES_SUMMARY = "Full quotes, section {section} ({count})"
POINTERS = "The plan's measures on it, with their agencies:"
NO_PREVIOUS = "None of the previous answer's measures match that."
FILTERED = "None within the filters: {inside}; without them the answer has {where}. Clear the filters to see them."
INJECTION = "The plan does not cover this: I only answer questions about the plan, quoting it."
TRUNCATED = "Your question was {n:,} characters long; only the first {limit:,} were read."
BACKEND_FAILED = (
    "The language model ({backend}) did not answer ({error}); the sentences below are quoted from the plan."
)

# Helpful abstentions: what is near, and what to try instead (assistant/nearby.py).
CLOSEST = "Closest, but not about “{topic}”: {measures}."
THIS_YEAR = "This is the {plan_year} plan; its measures on it are: {measures}."
TRY_INSTEAD = (
    "Try an agency (“What must Customs do?”), a measure number (“Show me measure 7”) or the plan's own "
    "words; the “Read the plan” tab searches every measure."
)
FILTERED_INSIDE = "0 {where}"  # "0 in section V", "0 for Ministry of Agriculture (MOA) in section V"

# Chinese first lines, counts, abstentions and notices (assistant/render_zh.py) for questions asked in
# Chinese. The quotes stay the plan's verbatim English; agencies carry their Chinese name from the registry.
ZH = {
    "agency": "**{agency}** 负责 {n} 项措施（牵头 {lead} 项，配合 {co} 项）：",
    "lead": "**{agency}** 牵头 {n} 项措施：",
    "co": "**{agency}** 配合（不牵头）{n} 项措施：",
    "sole": "**{agency}** 单独负责 {n} 项措施：",
    "count_agency": "**{agency}** 涉及 **{count}** 项措施（牵头 {lead} 项，配合 {co} 项）：",
    "count_lead": "**{agency}** 牵头 **{count}** 项措施：",
    "count_section": "**第{numeral}部分**（{title}）共有 **{count}** 项措施：",
    "count": "共有 **{count}** 项措施{scope}：",
    "topic": "计划中有 {n} 项措施涉及这一问题：",
    "topic_one": "计划中有 1 项措施涉及这一问题：",
    "lookup": "第 {number} 项措施属于第{section}部分（{title}），牵头单位：{lead}。",
    "lookup_many": "第 {numbers} 项措施：",
    "section": "**第{numeral}部分：{title}** 共有 {n} 项措施（第 {first}–{last} 项）。目标和任务：\n> {objectives}\n",
    "yes": "**是**：有 {n} 项措施{scope}：",
    "no": "**否**：没有措施{scope}。",
    "no_on_it": "**否**：{scope}的措施都不涉及这一内容。",
    "list": "{n} 项措施{scope}：",
    "previous": "上一个回答中有 {n} 项措施符合：",
    "quotes": "（引文为计划的英文原文。）",
    "abstain": "计划未涉及这一内容。",
    "out_of_range": "计划共有第 1–90 项措施，没有第 {numbers} 项。",
    "unknown_agency": "计划未涉及这一内容：计划没有给{names}分配任何措施。",
    "no_joint": "计划未涉及这一内容：没有措施同时列出{a}和{b}。",
    "no_topic_for_agency": "计划未涉及这一内容：{agency}的 {count} 项措施都不涉及“{topic}”。",
    "no_topic_in": "计划未涉及这一内容：{scope}的 {count} 项措施都不涉及“{topic}”。",
    "other_year": "计划未涉及这一内容：这是 {plan_year} 年的计划，不是 {year} 年的。",
    "injection": "计划未涉及这一内容：我只回答关于该计划的问题，并引用原文。",
    "no_lead": "计划未涉及这一内容：{agency}不牵头任何措施。",
    "no_previous": "上一个回答的措施中没有符合条件的。",
    "filtered": "在所选筛选条件内没有措施（{inside}）。不加筛选时，答案有：{where}。清除筛选即可查看。",
    "none_match": "没有措施{scope}。{where}",
    "pointers": "计划中关于这一问题的措施及其负责单位：",
    "quotes_summary": "第{section}部分原文（{count} 项）",
    "where": "第{section}部分 {count} 项",
    "scope_agency": "涉及{agency}",
    "scope_not_agency": "不涉及{agency}",
    "scope_agency_lead": "由{agency}牵头",
    "scope_not_agency_lead": "不由{agency}牵头",
    "scope_agency_co": "由{agency}配合、不牵头",
    "scope_agency_sole": "仅由{agency}负责",
    "scope_section": "在第{section}部分",
    "scope_not_section": "不在第{section}部分",
    "scope_measures": "在第 {numbers} 项措施中",
    "scope_previous": "在上一个回答中",
    "scope_union": "上一个回答与新增的合计",
    "scope_one_body": "只有一个责任单位的",
    "scope_many_bodies": "有多个责任单位的",
    "scope_topic": "关于“{topic}”",
    "this_year": "这是 {plan_year} 年的计划；其中与此相关的措施：{measures}。",
    "closest": "最接近但并非关于“{topic}”的措施：{measures}。",
    "try_instead": (
        "可以试试问某个单位（“海关需要做什么？”）、某项措施（“第7项措施是什么？”），或在“Read the plan”标签页搜索。"
    ),
    "BACKEND_FAILED": "语言模型（{backend}）未能回答（{error}）；以下句子直接引自计划。",
    "TRUNCATED": "您的问题有 {n:,} 个字符，只读取了前 {limit:,} 个。",
}
