"""What the simulated support teams look like: accounts, agents, channels, rhythms and durations.

Numbers are plausible for a small-business inbox (chat answered in about a minute, email in about
an hour; most conversations resolved in minutes, email in hours), not measured from a real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

ACCOUNT_NAMES = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne")
# Each account works in its own time zone (hours from UTC), so its busy hours fall elsewhere in UTC.
UTC_OFFSETS_H = (0.0, -5.0, 1.0, 8.0, -3.0, 5.5, 10.0, -8.0, 2.0, 9.0)

FIRST_NAMES = (
    "Sarah",
    "Diego",
    "Aisha",
    "Tomasz",
    "Mia",
    "Kenji",
    "Priya",
    "Lucas",
    "Zoë",
    "Omar",
    "Ingrid",
    "Mateo",
    "Chloé",
    "Ravi",
    "Hana",
    "Samuel",
    "Leila",
    "Jonas",
    "Ana",
    "Émile",
)
LAST_NAMES = (
    "Chen",
    "Alvarez",
    "Bello",
    "Nowak",
    "O'Brien",
    "Watanabe",
    "Nair",
    "Silva",
    "Müller",
    "Haddad",
    "Larsen",
    "Rossi",
    "Durand",
    "Kapoor",
    "Kim",
    "Okafor",
    "Moreau",
    "Berg",
    "Souza",
    "Novak",
)
AGENTS_PER_ACCOUNT = (4, 9)  # inclusive range

# Share of new conversations per channel.
CHANNELS = {"whatsapp": 42, "widget": 26, "email": 12, "instagram": 10, "telegram": 7, "messenger": 3}
SLOW_CHANNELS = frozenset({"email"})  # answered and resolved on an email rhythm
BOT_CHANNELS = frozenset({"widget", "whatsapp", "messenger"})  # where a bot greets first

# Relative arrivals per local hour (0-23) and per weekday (Monday first).
HOURLY = (
    0.15,
    0.1,
    0.08,
    0.07,
    0.08,
    0.15,
    0.35,
    0.7,
    1.2,
    1.6,
    1.75,
    1.7,
    1.5,
    1.55,
    1.7,
    1.65,
    1.5,
    1.3,
    1.1,
    0.95,
    0.8,
    0.6,
    0.4,
    0.25,
)
WEEKDAY = (1.1, 1.15, 1.1, 1.1, 1.05, 0.8, 0.7)
# Arrival rates are given as averages; the rhythm is divided by its mean so it only shapes them.
RHYTHM_MEAN = fmean(HOURLY) * fmean(WEEKDAY)
PEAK = max(HOURLY) * max(WEEKDAY)

# SPEC §5: each account has 3-4 of these teams (every agent is in one), an inbox per channel family,
# and labels drawn by weight.
TEAMS = ("billing", "technical", "onboarding", "escalations", "vip-care")
TEAMS_PER_ACCOUNT = (3, 4)  # inclusive range
INBOX_OF_CHANNEL = {
    "whatsapp": "phone-lines",
    "telegram": "phone-lines",
    "widget": "website",
    "instagram": "website",
    "messenger": "website",
    "email": "support-mail",
}
LABELS = {"billing": 30, "bug": 22, "feature-request": 14, "refund": 10, "vip": 8, "how-to": 20, "urgent": 6}
LABELS_PER_CONVERSATION = (1, 2, 2, 3)

# Ratings lean positive, with the usual small pile of 1s from unhappy customers.
RATINGS = {5: 56, 4: 24, 3: 9, 2: 4, 1: 7}


@dataclass(frozen=True)
class Pace:
    """Medians (seconds) and spread of a channel family's durations, drawn log-normally."""

    first_reply_s: float
    handle_s: float
    contact_gap_s: float  # between a reply and the customer's next message
    agent_gap_s: float  # between a customer message and the agent's answer
    sigma: float = 0.9


CHAT = Pace(first_reply_s=50, handle_s=9 * 60, contact_gap_s=75, agent_gap_s=45)
EMAIL = Pace(first_reply_s=55 * 60, handle_s=5 * 3600, contact_gap_s=2 * 3600, agent_gap_s=40 * 60)

# Per conversation: how often each twist of the story happens.
P_BOT_GREETING = 0.6  # on BOT_CHANNELS
P_UNANSWERED = 0.04  # the customer gives up before any reply: stays open
P_PENDING = 0.12  # the agent waits for the customer (pending), who then writes again
P_SNOOZED = 0.04  # snoozed for hours, then back to open
P_LEFT_OPEN = 0.03  # answered but never resolved
P_RATED = 0.55
P_REOPENED = 0.08  # the customer comes back after resolution; another agent resolves it again
P_LABELLED = 0.75  # tagged when first answered
P_RELABELLED = 0.2  # a label added or removed before it is resolved
FOLLOW_UPS = (0, 1, 1, 2, 2, 3, 4)  # customer/agent exchanges after the first reply

# Agent presence: mean minutes in each status, and where each status goes next.
DWELL_MIN = {"live": 80.0, "away": 12.0, "offline": 240.0}
NEXT_STATUS: dict[str, tuple[Sequence[str], Sequence[float]]] = {
    "live": (("away", "offline"), (0.75, 0.25)),
    "away": (("live", "offline"), (0.85, 0.15)),
    "offline": (("live", "away"), (0.9, 0.1)),
}
FIRST_STATUS = (("live", "away", "offline"), (0.6, 0.1, 0.3))

# Events a conversation produces on average with the numbers above (measured by the tests), used to
# turn an events-per-second rate into conversation arrivals.
EVENTS_PER_CONVERSATION = 10.9
