"""A prune plan in words: the lines a run's output shows."""

from __future__ import annotations

from ops.maintenance.prune_plan import KIND_LABELS, PruneKind, PrunePlan
from ops.sizes import size_text


def plan_lines(plan: PrunePlan) -> list[str]:
    """One line per item, a total per kind, then the plan's notes."""
    lines = [
        f'{KIND_LABELS[item.kind].lower()}: {item.name} ({item.id[:19]}), {size_text(item.size)}; {item.detail}'
        for item in plan.items
    ]
    counts = [f'{plan.count(kind)} {KIND_LABELS[kind].lower()}(s)' for kind in PruneKind if plan.count(kind)]
    lines.append(
        f'plan: {len(plan.items)} item(s) ({", ".join(counts) or "nothing to remove"}), '
        f'at least {size_text(plan.total_bytes)} freed'
    )
    return lines + [f'note: {note}' for note in plan.notes]
