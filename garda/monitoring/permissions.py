"""The permissions of monitoring pages.

Dashboards and counts: VIEW_AGGREGATES (Dinas, the head of office, coordinators, viewers).
A social worker's own page and the per-PSM tables: VIEW_PEOPLE (names are people's data).
Indicators, targets and monitoring visits: MANAGE_MONITORING (Dinas administrators and staff).
"""

from garda.accounts.roles import Perm

VIEW = Perm.VIEW_AGGREGATES
VIEW_PEOPLE = Perm.VIEW_PEOPLE
MANAGE = Perm.MANAGE_MONITORING
