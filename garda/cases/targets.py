"""Follow-up targets per urgency. Administrators edit them (`SlaTarget` rows in the admin);
an urgency without a row uses the default below, so the targets never go missing."""

import datetime
from dataclasses import dataclass

from .models import SlaTarget, Urgency


@dataclass(frozen=True)
class Target:
    response_hours: int
    follow_up_days: int

    @property
    def response(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.response_hours)

    @property
    def follow_up(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.follow_up_days)


DEFAULTS: dict[str, Target] = {
    Urgency.EMERGENCY: Target(response_hours=24, follow_up_days=3),
    Urgency.HIGH: Target(response_hours=72, follow_up_days=7),
    Urgency.MEDIUM: Target(response_hours=7 * 24, follow_up_days=14),
    Urgency.LOW: Target(response_hours=14 * 24, follow_up_days=30),
}


def sla_for(urgency: str) -> Target:
    row = SlaTarget.objects.filter(urgency=urgency).first()
    if row is not None:
        return Target(response_hours=row.response_hours, follow_up_days=row.follow_up_days)
    return DEFAULTS[urgency]


def all_targets() -> list[tuple[str, Target]]:
    rows = {r.urgency: r for r in SlaTarget.objects.all()}
    return [
        (
            str(label),
            Target(rows[value].response_hours, rows[value].follow_up_days)
            if value in rows
            else DEFAULTS[value],
        )
        for value, label in Urgency.choices
    ]
