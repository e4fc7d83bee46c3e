"""The working state of one report: facts, deep-dive answers and derived choices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from starmap_tui.worker.offline import analysis, ids
from starmap_tui.worker.offline.analysis import Modality
from starmap_tui.worker.offline.deepdive import DeepDive, read_deep_dive
from starmap_tui.worker.offline.facts import Facts
from starmap_tui.worker.offline.measure import Metric, parse_metrics
from starmap_tui.worker.offline.plan import Phase, phases
from starmap_tui.worker.offline.text import clauses, clip, uniq


@dataclass
class Draft:
    """Facts plus the choices every section of the report shares."""

    facts: Facts
    deep: DeepDive
    modalities: list[Modality]
    segments: list[str]
    competencies: list[str]
    metrics: list[Metric]
    phases: list[Phase]
    unknowns: list[tuple[int, str]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def unknown(self, question: str, rank: int = 5) -> None:
        """Record an open question; a lower ``rank`` lists it earlier."""
        self.unknowns.append((rank, question))

    def open_questions(self) -> list[str]:
        """The open questions, most important first."""
        return [q for _, q in sorted(self.unknowns, key=lambda u: u[0])]

    def assume(self, assumption: str) -> None:
        """Record an assumption the plan rests on."""
        self.assumptions.append(assumption)

    @property
    def modality_names(self) -> list[str]:
        """The chosen modality names, first priority first."""
        return [m.name for m in self.modalities]

    @property
    def audience(self) -> str:
        """A short name for the whole audience, with the stated head count."""
        names = human_segments(self.segments)
        size = self.facts.audience_size
        if size is None or not names or analysis.counted(names):
            return names or "the target audience"
        return f"{size:,} learners ({names})"

    @property
    def pilot(self) -> Phase | None:
        """The phase that contains the pilot, if the plan has one."""
        return next((p for p in self.phases if "Pilot" in p.parts), None)


def human_segments(segments: list[str]) -> str:
    """The first two segments, joined for a sentence."""
    return " and ".join(segments[:2])


def _apply_delivery(found: list[Modality], deep: DeepDive) -> list[Modality]:
    chosen = {c.casefold() for c in deep.items(ids.DELIVERY)}
    if not chosen:
        return found
    known = {m.option.casefold() for m in found}
    picked = [
        replace(m, priority=1 if m.option.casefold() in chosen else max(2, m.priority))
        for m in found
    ]
    custom = [
        Modality(c, "Requested in the deep dive.", 1, c)
        for c in deep.items(ids.DELIVERY)
        if c.casefold() not in known
    ]
    return picked + custom


_SHORT_LESSONS = ("Mobile microlearning", "Mobile-friendly e-learning")


def _apply_profile(found: list[Modality], deep: DeepDive) -> list[Modality]:
    hours = deep.number(ids.HOURS)
    vr = deep.flag(ids.VR_PILOT)
    out = []
    for m in found:
        if m.name == "VR simulation" and vr is False:
            continue
        if m.name == "VR simulation" and vr:
            m = replace(m, priority=min(m.priority, 2))
        if m.name in _SHORT_LESSONS and hours is not None and hours < 2:
            m = replace(
                m,
                priority=1,
                reason=f"{m.reason} Only {hours:g} hrs/week are free for learning.",
            )
        out.append(m)
    return out


def _modalities(facts: Facts, deep: DeepDive) -> list[Modality]:
    found = _apply_profile(_apply_delivery(analysis.modalities(facts), deep), deep)
    return sorted(found, key=lambda m: m.priority)[:5]


def _segments(facts: Facts, deep: DeepDive) -> list[str]:
    chosen = analysis.restate_chosen(facts, deep.items(ids.AUDIENCE))
    return uniq([*chosen, *analysis.segments(facts)])[:4]


def _competencies(facts: Facts, deep: DeepDive) -> list[str]:
    chosen = deep.items(ids.COMPETENCIES)
    candidates = analysis.candidate_competencies(facts)
    if chosen:
        return uniq([*chosen, *candidates[: max(0, 3 - len(chosen))]])[:6]
    return candidates[:5]


def _metrics(facts: Facts, deep: DeepDive) -> list[Metric]:
    metrics = parse_metrics(facts)
    baseline = deep.text(ids.BASELINE)
    open_metric = next((m for m in metrics if not m.baseline), None)
    if baseline and open_metric is not None:
        open_metric.baseline = clip(baseline, 20)
    return metrics


def start_draft(facts: Facts) -> Draft:
    """The shared working state for ``facts`` (deep dive read for final reports)."""
    deep = read_deep_dive(facts) if facts.final else DeepDive()
    return Draft(
        facts=facts,
        deep=deep,
        modalities=_modalities(facts, deep),
        segments=_segments(facts, deep),
        competencies=_competencies(facts, deep),
        metrics=_metrics(facts, deep),
        phases=phases(facts),
    )


def content_topics(draft: Draft) -> list[str]:
    """Content items the deep dive named, or modules derived from competencies."""
    named = clauses(draft.deep.text(ids.CONTENT).replace(",", ";"))
    if named:
        return [clip(n, 20) for n in named]
    names = draft.facts.compliance[:3]
    modules = [
        f"Module: {c}"
        for c in draft.competencies[:4]
        if not any(n.casefold() in c.casefold() for n in names)
    ]
    if names:
        modules.insert(0, f"Module: {', '.join(names)} essentials for daily work")
    return modules
