"""Learner analysis and the technology and talent picture."""

from __future__ import annotations

from typing import Any

from starmap_tui.worker.offline import analysis, ids, vocab
from starmap_tui.worker.offline.draft import Draft
from starmap_tui.worker.offline.text import cap, clauses, clip, human_list

_LOW_CONFIDENCE = 2


def _context(draft: Draft) -> str:
    facts = draft.facts
    where = facts.text("org_headquarters")
    spread = "distributed across locations" if analysis.distributed(facts) else ""
    parts = [
        x
        for x in (
            facts.text("org_industry"),
            facts.text("org_size"),
            f"based in {where}" if where else "",
            spread,
        )
        if x
    ]
    return clip(", ".join(parts) + ".") if parts else ""


def _constraints(draft: Draft) -> list[str]:
    items = clauses(draft.facts.text("project_constraints"))[:5]
    hours = draft.deep.number(ids.HOURS)
    if hours is not None:
        items.append(f"About {hours:g} hrs/week available for learning")
    return cap(items)


def _motivators(draft: Draft) -> list[str]:
    goals = clauses(draft.facts.text("project_objectives"))[:2]
    items = [f"Progress on: {g}" for g in goals]
    items.append(f"Confidence in {draft.competencies[0]}")
    items.append("Less time lost to avoidable errors and rework")
    return cap(items, 4)


def profiles(draft: Draft) -> list[dict[str, Any]]:
    """One profile per audience segment (at most three)."""
    context = _context(draft)
    motivators = _motivators(draft)
    constraints = _constraints(draft)
    return [
        {
            "segment": segment,
            "roles": [segment],
            "context": context,
            "motivators": motivators,
            "constraints": constraints,
        }
        for segment in draft.segments[:3]
    ]


def readiness_risks(draft: Draft) -> list[str]:
    """What may stop learners from taking part or applying what they learn."""
    facts = draft.facts
    items = []
    level = draft.deep.number(ids.SKILL_LEVEL)
    if level is not None and level <= _LOW_CONFIDENCE:
        items.append(f"Low starting skill ({level:g}/5) needs more practice time.")
    if not facts.hardware or facts.has_hardware("Limited/None"):
        items.append("Limited devices restrict digital learning.")
    if facts.mentions(vocab.SHIFTS):
        items.append("Shift patterns and workload limit time away from work.")
    if analysis.distributed(facts):
        items.append("Distributed teams may take part unevenly.")
    needs = [n for n in draft.deep.items(ids.ACCESSIBILITY) if n != "None known"]
    if needs:
        items.append(f"Accessibility needs to plan for: {human_list(needs)}.")
    if draft.deep.flag(ids.MANAGER_SUPPORT) is False:
        items.append("Managers lack time to coach after training.")
    items.append("New habits fade without practice and follow-up on the job.")
    return cap(items)


def learner_analysis(draft: Draft) -> dict[str, Any]:
    """The learner analysis section."""
    if not draft.segments:
        draft.unknown("Who exactly is the target audience (roles, numbers, places)?")
    return {"profiles": profiles(draft), "readiness_risks": readiness_risks(draft)}


def _gaps(draft: Draft) -> list[str]:
    facts = draft.facts
    gaps = []
    if facts.compliance and not facts.lms():
        gaps.append("No learning platform to keep completion records for audits.")
    if analysis.distributed(facts) and not facts.video_tools():
        gaps.append("No video platform for live sessions with remote staff.")
    if facts.has_hardware("Limited/None"):
        gaps.append("Learners lack devices for digital learning.")
    if "VR simulation" in draft.modality_names:
        gaps.append("VR scenarios must be built or licensed; none exist yet.")
    if not facts.hardware and not facts.software:
        gaps.append("Devices and platforms were not listed.")
        draft.unknown("Which devices and platforms can learners use?")
    return cap(gaps)


def _recommendations(draft: Draft) -> list[dict[str, Any]]:
    # The reason a modality fits is in the solution's modality table; this
    # column holds only the project constraints it must work within.
    limits = cap(clauses(draft.facts.text("project_constraints")))
    return [
        {
            "capability": m.name,
            "fit": "high" if m.priority == 1 else "medium",
            "constraints": limits,
        }
        for m in draft.modalities[:4]
    ]


def _data_plan(draft: Draft) -> dict[str, list[str]]:
    facts = draft.facts
    standards = list(facts.compliance)
    if facts.lms():
        standards.append("SCORM or xAPI completion records")
    integrations = [f"Completion data from {lms} to reports" for lms in facts.lms()[:1]]
    integrations += [f"Attendance export from {t}" for t in facts.video_tools()[:1]]
    if facts.has_software("Microsoft 365", "Google Workspace"):
        integrations.append("Single sign-on with the existing office suite")
    if facts.has_software("Slack"):
        integrations.append("Slack reminders for lessons and follow-ups")
    return {"standards": cap(standards), "integrations": cap(integrations)}


def _talent(draft: Draft) -> dict[str, list[str]]:
    facts = draft.facts
    roles = [r for r in (facts.text("requester_role"),) if r]
    if facts.text("subject_matter_experts"):
        roles.append(f"SMEs: {facts.text('subject_matter_experts')}")
    if facts.text("requester_department") == "Learning & Development":
        roles.append("In-house Learning & Development team")
    gaps, recs = _talent_gaps(draft)
    return {
        "available_roles": cap(roles),
        "gaps": cap(gaps),
        "recommendations": cap(recs),
    }


def _talent_gaps(draft: Draft) -> tuple[list[str], list[str]]:
    facts = draft.facts
    gaps, recs = [], []
    if facts.text("requester_department") != "Learning & Development":
        gaps.append("Instructional design capacity")
        recs.append("Contract an instructional designer for design and build.")
    if not facts.text("subject_matter_experts"):
        gaps.append("Named subject matter experts")
        recs.append("Name two SMEs and book their review time before design.")
        draft.unknown("Which subject matter experts can review the content?")
    if "Virtual instructor-led training" in draft.modality_names:
        gaps.append("Facilitators practised in live online delivery")
        recs.append("Train two internal facilitators in virtual delivery.")
    if "VR simulation" in draft.modality_names:
        gaps.append("VR scenario development skills")
        recs.append("Use a VR studio for the first scenarios; keep edits in-house.")
    return gaps, recs


def _stack(hardware: list[str], software: list[str]) -> list[str]:
    devices = [h for h in hardware if h != "Limited/None"]
    if len(devices) + len(software) <= 6:
        return devices + software
    return [f"Devices: {', '.join(devices)}", f"Platforms: {', '.join(software)}"]


def technology_talent(draft: Draft) -> dict[str, Any]:
    """The technology and talent section."""
    facts = draft.facts
    return {
        "technology": {
            "current_stack": _stack(facts.hardware, facts.software),
            "gaps": _gaps(draft),
            "recommendations": _recommendations(draft),
            "data_plan": _data_plan(draft),
        },
        "talent": _talent(draft),
    }
