"""Keyword tables the rules match answers against."""

from __future__ import annotations

import re


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")", re.IGNORECASE)


DISTRIBUTED = _words(
    "remote",
    "distributed",
    "hybrid",
    "multiple (?:sites|locations|offices|clinics)",
    "across",
    "global",
    "regions?",
    "field",
    "offices",
    "sites",
    "time ?zones",
    "countries",
    "work from home",
)
SHIFTS = _words("shifts?", "busy", "no time", "time away", "limited time", "schedul")
SAFETY = _words(
    "safety",
    "hazard",
    "injur",
    "incident",
    "osha",
    "clinical",
    "patient",
    "infection",
    "forklift",
    "lockout",
)
PROCESS = _words(
    "process",
    "workflow",
    "tool",
    "system",
    "staffing",
    "turnover",
    "incentive",
    "unclear",
    "procedure",
    "documentation",
    "policy",
)
EVIDENCE_WORDS = {
    "survey": "Staff survey results named in the answers",
    "interview": "Interviews mentioned in the answers",
    "audit": "Audit findings mentioned in the answers",
    "incident": "Incident reports mentioned in the answers",
    "complaint": "Customer complaints mentioned in the answers",
    "kpi": "KPI reports mentioned in the answers",
    "performance data": "Performance data mentioned in the answers",
    "assessment": "Assessment results mentioned in the answers",
    "exit interview": "Exit interviews mentioned in the answers",
}
ACCESSIBILITY = _words(
    "accessib",
    "disabilit",
    "screen reader",
    "caption",
    "language",
    "esl",
    "literacy",
    "dyslex",
)
ROLE = _words(
    "staff",
    "nurse",
    "engineer",
    "manager",
    "rep",
    "agent",
    "employee",
    "hire",
    "lead",
    "worker",
    "team",
    "developer",
    "associate",
    "clinician",
    "technician",
    "operator",
    "teacher",
    "volunteer",
    "analyst",
    "supervisor",
    "officer",
    "driver",
    "people",
    "user",
    "learner",
    "personnel",
    "specialist",
    "consultant",
    "executive",
    "assistant",
    "physician",
    "doctor",
    "cashier",
    "seller",
    "account",
    "admin",
    "receptionist",
    "front",
    "student",
    "faculty",
    "coordinator",
    "clerk",
)
# Clauses that describe the audience rather than name a group of people.
DESCRIPTIVE = re.compile(
    r"^\s*(?:mostly|mainly|largely|most|half|often|usually"
    r"|new to|who|which|with|having)\b"
    r"|\d\s*(?:%|percent)|\b(?:turnover|attrition|churn|tenure)\b"
    r"|\b(?:years?|months?)\b.*\bexperience\b|\bexperience\b.*\b(?:years?|months?)\b",
    re.IGNORECASE,
)

# Competencies suggested by words in the objectives, constraints and audience.
KEYWORD_COMPETENCIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        _words("win rate", "sales", "selling", "quota", "pipeline"),
        "Consultative selling",
    ),
    (_words("objection", "negotiat", "deal"), "Negotiation and objection handling"),
    (
        _words("onboard", "new hire", "ramp", "new volunteer", "new starter"),
        "Role fundamentals for new starters",
    ),
    (
        _words("customer", "client", "service", "satisfaction", "nps", "csat"),
        "Customer communication",
    ),
    (_words("leader", "manager", "coach", "supervis"), "Coaching and feedback"),
    (_words("data", "analytics", "report", "dashboard"), "Data literacy"),
    (_words("safe", "hazard", "injur"), "Safety procedures"),
    (
        _words("privacy", "hipaa", "gdpr", "phi", "personal data", "security"),
        "Privacy and data protection",
    ),
    (
        _words("software", "tool", "system", "ehr", "crm", "erp", "platform"),
        "Confident use of core systems",
    ),
    (
        _words("quality", "error", "defect", "accuracy", "rework"),
        "Quality and error prevention",
    ),
    (_words("documentation", "charting", "record"), "Accurate documentation"),
    (
        _words("cloud", "devops", "kubernetes", "security", "secure"),
        "Secure engineering practice",
    ),
    (_words("change", "transformation", "adoption"), "Leading through change"),
)

INDUSTRY_COMPETENCIES: dict[str, tuple[str, ...]] = {
    "Healthcare": (
        "Patient communication",
        "Accurate documentation",
        "Infection control and safety",
    ),
    "Technology": (
        "Secure engineering practice",
        "Product knowledge",
        "Cross-team collaboration",
    ),
    "Finance": ("Regulatory compliance", "Risk awareness", "Client advisory skills"),
    "Manufacturing": (
        "Equipment safety",
        "Quality and error prevention",
        "Standard work",
    ),
    "Retail": (
        "Customer communication",
        "Point-of-sale and stock systems",
        "Loss prevention",
    ),
    "Education": ("Learner engagement", "Digital teaching tools", "Assessment design"),
    "Government": (
        "Public service standards",
        "Records management",
        "Digital service skills",
    ),
    "Non-profit": (
        "Volunteer role basics",
        "Communicating with service users",
        "Program reporting",
    ),
    "Consulting": (
        "Client advisory skills",
        "Structured problem solving",
        "Proposal writing",
    ),
    "Energy": ("Equipment safety", "Regulatory compliance", "Incident response"),
    "Transportation": (
        "Safe operations",
        "Customer communication",
        "Incident response",
    ),
    "Telecommunications": (
        "Technical troubleshooting",
        "Customer communication",
        "Product knowledge",
    ),
    "Media & Entertainment": (
        "Digital production tools",
        "Rights and compliance",
        "Audience analytics",
    ),
}
GENERIC_COMPETENCIES = (
    "Role fundamentals",
    "Communication and collaboration",
    "Problem solving",
)

REGULATORY_WORDS = _words(
    "privacy",
    "data protection",
    "compliance",
    "regulat",
    "safety",
    "infection",
    "hipaa",
    "gdpr",
    "incident",
    "rights",
)

COMPLIANCE_NOTES: dict[str, str] = {
    "HIPAA": "protected health information must stay out of course content and "
    "learning records",
    "GDPR": "learner data needs a lawful basis, minimisation and a retention period",
    "SOC 2": "access to training records must be controlled and logged",
    "ISO 27001": "security awareness training must be evidenced for audits",
    "PCI DSS": "staff handling card data need yearly security awareness training",
    "FERPA": "student records must not appear in training examples",
    "CCPA": "California residents' learner data must honour access and deletion "
    "requests",
}
