"""Writes of the aid programmes, one module per capability (catalogue, enrolment,
distributions, proposals, objections)."""
