"""Cue words shared by the extractors: negation, roles, asks, references. General English cues,
never whole phrasings of a question. Each pattern is matched against a *local window* around a
constraint's mention (negation, role) or against the whole question (asks)."""

from __future__ import annotations

import re

INJECTION = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|your)|disregard (?:the |all |your )?"
    r"(?:previous|prior|above|instructions)|system prompt|you are now|pretend (?:to be|you)|jailbreak|"
    r"developer mode|new instructions|act as (?:a|an)\b|forget (?:everything|your|all)|"
    r"reveal (?:your|the) (?:prompt|instructions)|<\s*/?\s*(?:system|instructions?)\s*>",
    re.I,
)

# ---------------------------------------------------------------- polarity (exclusion)
# Before a mention: "outside section IV", "not in section V", "except SIPO", "other than the courts".
EXCLUDE_BEFORE = re.compile(
    r"(?:(?:\b(?:outside(?: of)?|not (?:(?!lead|leading|head|heading)\w+ )?(?:in|within|under|from|to|of|involving|"
    r"including|naming|with|by)|"
    r"free of(?: any)?|leav(?:e|es|ing)|(?:located|anywhere|any section) (?:\w+ )?(?:except|other than)|"
    r"except(?: for| those (?:in|of|involving|with|naming))?|excepting|other than|apart from|aside from|"
    r"excluding|exclude|leaving out|leave out|without|minus|but not|and not|neither|nor|beyond|"
    r"remove|removing|drop|dropping|delete|take out|strip out|filter out|cut|"
    r"(?:don't|doesn't|do not|does not|didn't|did not)\s+(?!lead\b|head\b)(?:\w+\s+){0,2}|"
    r"(?:with\s+)?no(?=\s)|with zero|"
    r"don't (?:involve|include|name|have)|doesn't (?:involve|include|name|have)|do not (?:involve|include|name)|"
    r"does not (?:involve|include|name)|no (?:involvement|role|part|say|hand) (?:of|for|by|from|on the part of)|"
    r"not involve|"
    r"isn't in|aren't in|are not in|is not in|that aren't|that are not)|"
    r"(?:未|不含|除了?|除去|排除|去掉|不算|不包括|不涉及|没有涉及|不属于|以外|之外))\W*"
    r"(?:(?:the|those|ones|one|any|in|of|from|under|within|by|for|a|an|all|anything|everything|whatever|whichever|"
    r"measures|items|that|"
    r"stuff|things|bits|work|tasks|"
    r"which|involve|involves|involving|include|includes|including|name|names|naming|with|where|has|have|feature|"
    r"features|featuring)\W+){0,4})$",
    re.I,
)
# After a mention: "where MIIT plays no part", "where the courts aren't involved", "SIPO excluded".
EXCLUDE_AFTER = re.compile(
    r"^\W*(?:(?:is|are|was|were|does|do|has|have|plays?)\s+)?(?:not|n't|no|never)\b\s*"
    r"(?:(?:a |any )?(?:part|party|involved|included|named|listed|mentioned|responsible|in|among|participating|"
    r"take part|have (?:a |any )?(?:part|role|hand)|play (?:a |any )?(?:part|role)|role|hand|say|appear)\b)"
    r"|^\W*(?:excluded|left out|not included|isn't|aren't)\b|^\s+out\b"
    r"|^\W*(?:以外|之外|除外)",
    re.I,
)

# ---------------------------------------------------------------- roles
LEAD_WORDS = frozenset(
    [
        "lead",
        "leads",
        "leading",
        "led",
        "leader",
        "charge",
        "head",
        "heads",
        "spearhead",
        "spearheads",
        "primary",
        "primarily",
        "main",
        "principal",
        "first-listed",
        "helm",
        "owns",
        "own",
        "owner",
        "drives",
        "drive",
        "steer",
        "steers",
        "headed",
        "spearheaded",
        "leadership",
        "helms",
        "helmed",
        "fronts",
        "fronted",
        "steered",
    ]
)
LEAD_ZH = ("牵头", "主导", "负责")
# Listed first: "is MPS listed first?", "named first" (a lead, as a phrase of two words)
LEAD_PHRASE = re.compile(r"\b(?:listed|named|put|placed|comes?|appears?|goes)\s+first\b", re.I)
# Named but not leading: "not as the lead", "someone else leads", "only supports", "co-responsible".
CO = re.compile(
    r"(?:\bnot|n't|\bnever|\bneither)\s+(?:listed\s+|named\s+|put\s+|placed\s+)?(?:as\s+|in\s+)?(?:the\s+|a\s+)?"
    r"(?:lead|leader|leading|first(?!\s+(?:sections?|parts?|chapters?))|in charge|heading|primary|main)\b|"
    r"\b(?:apart from|except(?: for)?|other than|excluding|minus|but not|besides)\s+"
    r"(?:the\s+)?(?:ones?|those|measures)\s+"
    r"(?:that\s+)?(?:it|they|he|she)\s+(?:leads?|heads?)\b|"
    r"\b(?:does\s?n[o']?t|do\s?n[o']?t|doesn't|don't|does not|do not|isn't|is not|without)\s+(?:\w+\s+){0,2}?"
    r"(?:lead|leading|head|heading|be(?:ing)? in charge|(?:go|come|sit|stand)\s+first|first[- ](?:listed|named)|"
    r"(?:listed|named)\s+first)\b|"
    r"\b(?:someone|somebody|another (?:body|agency|ministry|department)|others?|other (?:bodies|agencies))\s+"
    r"(?:else\s+)?(?:(?:goes|comes|sits|is|stands)\s+)?(?:leads?|first|in charge|heads?|in the lead|is listed first|"
    r"takes? the lead)\b|"
    r"\b(?:other than|except|apart from|besides|but not)\s+as\s+(?:the\s+|a\s+)?(?:lead|leader|head)\b|"
    r"\brather than (?:as )?(?:the |a )?(?:lead|leader|head)\b|"
    r"\b(?:after|below|behind|past|beyond)\s+the\s+(?:first|lead|top)\s*(?:slot|place|position|spot|one|agency)?\b|"
    r"\bco-?(?:signer|signatory|signatories|sponsor|owner|owners)\b|"
    r"\b(?:(?:works?|working|acts?|acting|operates?|serves?|sits?)\s+)?(?:under|below|behind)\s+"
    r"(?:another|a different|someone else's|other)\b"
    r"|\banother (?:agency|body|ministry)'s lead\b|"
    r"\bled by (?:someone|somebody|another|others?|a different)\b|\bnon-?lead\b|\bparticipant\b|"
    r"\bbut not (?:as )?(?:the )?lead|\b(?:only |merely |just )?(?:supports?|supporting|assists?|assisting|helps?|"
    r"helping)\b|\bco-?(?:responsible|agency|agencies|operator|lead)\b|\bsecondary\b|\bjunior partner\b|"
    r"\bsupporting role\b|\bsupport role\b|\bplays? second fiddle\b|"
    r"协助|配合|协办|参与\S{0,2}但|不是牵头|非牵头|不牵头",
    re.I,
)
# The only agency of the measure: "alone", "by itself", "without another body", "solely" ("on their own
# IP" is a possessive, not a role).
# Before a co-responsible cue: the supporting role is added to the others ("including where it only supports")
INCLUSIVE_BEFORE = re.compile(r"\b(?:including|incl\.?|as well as|also|even)\b[^.?!;]{0,40}$", re.I)
SOLE = re.compile(
    r"\b(?:alone|on (?:its|their) own(?!\s+(?:IPR?s?|intellectual|patents?|brands?|trademarks?|inventions?|"
    r"innovations?|rights?|technolog\w*|products?|copyrights?|designs?)\b)|by (?:itself|themselves)|solely|"
    r"single-?handedly|unassisted|"
    r"exclusively|all by itself|unaided|sole|singly|solo)\b|"
    r"\b(?:no\s+|without\s+(?:any\s+)?|with\s+no\s+)(?:other|another|partner|co-)\s*(?:\w+\s+)?(?:body|bodies|agency|agencies|"
    r"ministry|ministries|department|departments|partners?|organi[sz]ations?|help|one|co-?agenc\w*)\b|"
    r"\b(?:the )?only (?:\w+ )?(?:body|agency|ministry|department|one|organi[sz]ation|party)\b|\bnobody else\b"
    r"|\bno one else\b|\bno-one else\b|\b(?:not|n't) shared\b|\bunshared\b|独立|单独|独自",
    re.I,
)
# How many bodies a measure names: one ("just one responsible body", "a single agency"; with no agency asked
# about, every sole cue too), or more than one ("several agencies", "two or more bodies").
_BODY_NOUN = r"(?:body|bodies|agency|agencies|ministry|ministries|department|departments|organi[sz]ations?|party|unit)"
ONE_BODY = re.compile(
    rf"\b(?:just|only|exactly) (?:the )?one (?:\w+ )?{_BODY_NOUN}\b|\ba (?:single|lone) (?:\w+ )?{_BODY_NOUN}\b"
    rf"|\b(?:on|by|to|with|under|from) one (?:\w+ )?{_BODY_NOUN}\b"
    r"|\bno (?:co-?\w+|partners?)\b"
    r"|(?:只有|仅有|只由|仅由)(?:一个|一家|单一)(?:责任)?(?:单位|部门|机构)|单一(?:责任)?(?:单位|部门)",
    re.I,
)
MANY_BODIES = re.compile(
    r"\b(?:(?:shared|split|divided|spread) (?:between|among|across|by) )?"
    r"(?:more than one|several|multiple|two or more|a number of|a group of|a bunch of|lots of|different|various)"
    rf" (?:\w+ )?{_BODY_NOUN}\b|(?:多个|多家|两个以上|几个)(?:责任)?(?:单位|部门|机构)",
    re.I,
)
# With no agency asked about, a co-agency or a partner body is a second body: "measures that have co-agencies"
CO_BODIES = re.compile(
    r"\bco-?(?:agenc\w*|leads?|responsible bodies|owners?)\b"
    r"|\bpartner (?:organi[sz]ations?|agenc\w*|bodies|ministries)\b",
    re.I,
)
# Shared with others: the body is not alone ("while sharing them with other agencies", "with others too")
SHARED = re.compile(
    r"\b(?:shar(?:e|es|ed|ing)|split(?:s|ting)?|together)\s+(?:\w+\s+){0,2}?with\s+(?:some\s+|the\s+|any\s+)?"
    r"(?:other|another|more)\s+(?:agenc\w*|bod(?:y|ies)|ministr\w*|departments?|partners?|organi[sz]ations?)\b"
    r"|\bhave other (?:agencies|bodies|ministries|departments) too\b",
    re.I,
)
EVERY_ROLE = re.compile(
    r"\blead\w* or (?:as )?(?:a )?(?:co|support|partner)|\b(?:co-?agency|co-?responsible|support\w*) or (?:as )?lead"
    r"|\bany (?:role|capacity)\b|\bin any way\b|\bwhatever (?:role|capacity)\b|\blead\w* or otherwise\b"
    r"|\b(?:every|all|each) (?:roles?|capacit(?:y|ies))\b|\bnot (?:just|only) (?:as )?(?:the )?lead\w*\b",
    re.I,
)

# ---------------------------------------------------------------- asks
# "几条" is "how many", "哪几条" is "which ones"
COUNT = re.compile(
    r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b|\btally\b|\btotal\b|多少|(?<!哪)几项|(?<!哪)几个|(?<!哪)几条",
    re.I,
)
MOST = re.compile(
    r"\b(?:most|busiest|longest|largest|biggest|heaviest|greatest)\b"
    r"|\b(?:highest|greatest) (?:number|count|share)\b|最多"
)
FEWEST = re.compile(
    r"\b(?:fewest|least|shortest|smallest|lightest|thinnest|slimmest|skinniest|leanest|tiniest)\b"
    r"|\b(?:smallest|lowest) (?:number|count|share|list)\b|最少"
)
WHO = re.compile(
    r"\bwho\b|\b(?:which|what)(?: other)? (?:agency|agencies|ministry|ministries|body|bodies|department|departments|"
    r"organi[sz]ations?|"
    r"office|offices)\b|\bwhose\b|谁|哪个部门|哪些部门|哪个单位|哪些单位|哪家",
    re.I,
)
# Yes/no: the question opens with an auxiliary verb (after any greeting), or ends in 吗 / asks 是否.
YES_NO = re.compile(
    r"^\W*(?:(?:hi|hello|hey|ok|okay|so|quick q(?:uestion)?|quick one|just checking|sorry|also|and|but|now|well|"
    r"please|pls|tell me|can you tell me|could you tell me|i wonder|i'd like to know|do you know|any idea)\W+){0,3}"
    r"(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|should|shall|must|may)\b(?!\s+you\b)",
    re.I,
)
YES_NO_LOOSE = re.compile(
    r"^[^:?!.]{0,80}(?::|\s[-–—])\s*(?:is|are|was|were|does|do|did|has|have|had|can|could|will|would|any)\b"
    r"|\b(?:whether|if)\s+(?:the plan|there|any|this|it (?:is|has|does|contains|includes))\b"
    r"|^\W*any\b(?!\s+idea)|\bis it true\b|\byes or no\b|\b(?:is|are) there (?:any|an?)\b"
    r"|\bany (?:measures?|overlap|link|connection|part)\s*\??\s*$"
    # an auxiliary after a leading phrase of scope: "within part IV, is it ever ...?"
    r"|^\W*(?:in|within|under|for|across|inside|outside)\s+(?:(?!\b(?:which|what|who|whom|how|where|when|why|list|"
    r"give|show|tell)\b)[^,?;:])"
    r"{1,50}?[,:]?\s+(?:is|are|was|were|does|do|did|has|have|had)\s+(?:the|any|it|they|there|[A-Z]{2,})\b",
    re.I,
)
YES_NO_ZH = re.compile(r"吗[？?\s]*$|是否|有没有|是不是|^\S*有\S+没[有]?[？?\s]*$")
PARTNER = re.compile(
    r"\b(?:work(?:s|ing|ed)? (?:with|alongside|together)|share[sd]? (?:\w+ ){0,4}(?:with|between)|sharing|"
    r"partners?|partnered|teams? up|teamed up|collaborat\w*|cooperat\w* with|co-operat\w* with|alongside|"
    r"together with whom|with whom|joint(?:ly)? with|fellow|paired with|pair up|co-?agencies|counterparts?|"
    r"co-?appear\w*|appear\w* (?:together|alongside|with)|turn(?:s)? up (?:on|in) the same|same measures as|"
    r"listed together with|with which|co-\w+ (?:\w+ ){0,3}with)\b"
    r"|合作|共同|一起",
    re.I,
)
COMPARE = re.compile(
    r"\b(?:differ\w*|compare[ds]?|comparing|comparison|contrast\w*|versus|vs\.?|side[- ]by[- ]side|"
    r"distinguish\w*|distinction|similar\w*|same thing|overlap\w*)\b|区别|不同|比较|对比",
    re.I,
)
# Sets vs one: "which measures", "any tasks", "all items".
SET_QUESTION = re.compile(r"\b(?:measures|items|tasks|ones|all|any|anything|everything|list)\b|哪些|有什么", re.I)
# One thing asked for: "which measure is it", "the one measure that ...", "what item".
ONE_ASKED = re.compile(r"\b(?:which|what|the)\s+(?:one\b|single\b|(?:measure|item|task)\b(?!s))", re.I)

# ---------------------------------------------------------------- follow-ups
SET_ANAPHOR = re.compile(
    r"\b(?:those|these|them|they|the above|that list|this list|the list|the ones|which ones|of which|"
    r"among them|listed|you (?:just )?(?:mentioned|listed|gave|cited|showed))\b|这些|那些|其中|上述",
    re.I,
)
PARTITIVE = re.compile(
    r"\b(?:of|among|from|in) (?:those|these|them|the above|that list|this list|the list|that set|this set)\b|"
    r"\bthose ones\b|\b(?:just|only) (?:the )?(?:ones|those|these)\b|其中|这些中|上述|这里面|这当中|这几条",
    re.I,
)
# Adding to the previous answer: "plus part VIII on top of those", "those plus SIPO's", "together with part II"
UNION = re.compile(
    r"\b(?:add|adding|added|plus|combined with|together with|along with|on top of|in addition to)\b"
    r"[^?.!;]{0,60}?\b(?:that|those|these|them|it|the (?:last|previous) (?:answer|list|ones?))\b"
    r"|\b(?:that|those|these|them|it)\s+(?:plus|combined with|together with|along with)\b",
    re.I,
)
PRONOUN = re.compile(r"\b(?:it|its|this|that|this one|that one|this measure|that measure|it's)\b|它|该措施|这项", re.I)
CONTINUATION = re.compile(
    r"^\W*(?:and|also|what about|how about|what if|same for|same question for|what of|plus|now|then|"
    r"ok(?:ay)?,? (?:and|now|what about))\b"
    r"|\b(?:the same|same thing|likewise|same question|same again|similarly)\b.*\bfor\b|\bsame for\b"
    r"|\b(?:repeat|again|likewise|same question|same answer|same thing)\b|^\W*(?:switch(?:ing)? to|try that)\b"
    r"|\bif it'?s\b|\bin place of\b|^\W*(?:the\s+)?same\b(?!\s+(?:sections?|parts?|chapters?|headings?)\b)"
    r"|^\W*(?:那|还有|同样)",
    re.I,
)
CORRECTION = re.compile(
    r"^\W*(?:no+|nope|sorry|actually|wait|oops|correction|i mean|i meant|not that|rather|my bad|scratch that|"
    r"不是|我是说|我指的是)\b|\bi (?:meant|mean|was asking about|wanted)\b|\binstead\b|\bnot (?:that|those)\b"
    r"|\bcorrect(?:ion|ing)?(?: myself| that)?\b|\bmisspoke\b|\bmy mistake\b|\bwrong (?:agency|section|one)\b"
    r"|\bi had in mind\b|\bshould (?:be|have been)\b|\bmake that\b|\bto clarify\b|\bhold on\b|\bscratch that\b"
    r"|\bmy bad\b|\bi got the\b|\breplace\b",
    re.I,
)
# Prepositions that introduce what a question is about: "anything on X", "involved in X", "part of X".
TOPIC_PREP = r"(?:on|about|regarding|concerning|re|with|in|into|against|for|over|of|towards?|around)"

# A follow-up that filters the previous answer: "drop the ones in section V", "keep only ...".
FILTER = re.compile(
    r"\b(?:keep|drop|remove|exclude|excluding|filter|narrow|restrict|leave out|take out|strip out|only|just|limit)\b"
    r"|筛选|只要|去掉|除了|除去|排除|不算",
    re.I,
)
# The section after or before the previous answer's: "what about the next part?"
NEXT_SECTION = re.compile(
    r"\b(?P<d>next|following|subsequent|previous|preceding|prior)\s+(?:section|part|chapter)\b|下一部分|上一部分", re.I
)
SAME_SECTION = re.compile(r"\b(?:same|that|this) (?:section|part|chapter)\b(?!\s+(?:[ivx]+|\d))|同一部分|该部分", re.I)
