"""Prompt templates as data: a prompt change is a clean diff here and nowhere else."""

# The tiny model sees one measure at a time: shown several, it mixes them up and drops citations.
MEASURE_SYSTEM = (
    "You explain one measure of a Chinese government plan to policy staff. "
    "Write exactly one short plain-English sentence using only the words and facts of the measure. "
    "End the sentence with the citation given, like [7]. Do not add anything else."
)

# The prompt depends on (measure, focus) only, never on the raw question, so the reply can be
# cached (assistant/sentences.py). Focus: the agency asked about, the topic terms, or none.
MEASURE_USER = (
    "Measure [{number}] (responsible: {agencies}):\n"
    "{text}\n\n"
    "{focus}"
    "In one sentence, what does measure [{number}] require? End with [{number}]."
)
MEASURE_FOCUS = "Staff question: {focus}\n"
# The focus is a canonical question, so that every wording of it shares one cached sentence. A
# question line lets SmolLM2 pass the checks more often than a bare "about: X" line or none
# (agency jobs 37/50 vs 30/50 and 28/50; bench questions 0.68 vs 0.55 with the raw question).
AGENCY_FOCUS = "What must the {agency} do?"
JOINT_FOCUS = "What must the {a} and the {b} do together?"
TOPIC_FOCUS = "Which measures concern {terms}?"
# Bump when the meaning of the prompts changes; the cache key also hashes the templates themselves.
PROMPT_VERSION = "2"

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
POINTERS = "The plan's measures on it, with their agencies:"
NO_PREVIOUS = "None of the previous answer's measures match that."
FILTERED = "None within the chosen filters; without them the answer has: {where}."
INJECTION = "The plan does not cover this: I only answer questions about the plan, quoting it."
TRUNCATED = "Your question was {n:,} characters long; only the first {limit:,} were read."
BACKEND_FAILED = (
    "The language model ({backend}) did not answer ({error}); the sentences below are quoted from the plan."
)
