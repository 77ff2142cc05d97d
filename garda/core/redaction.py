"""Personal data kept out of the logs, whatever a message or an exception carries.

Garda's own log calls name records by id, never by person. What they cannot control is the
text of an exception: PostgreSQL quotes the whole failing row of a constraint violation
("DETAIL:  Failing row contains (..., Siti Aminah, ...)"), a mail server refusal names the
address, a bad value is echoed by "invalid input syntax". `PersonalDataFilter` sits on the log
handlers (LOGGING) and masks, in the message and the exception text: PostgreSQL's DETAIL lines
and quoted input, 16-digit numbers (NIK, No KK), Indonesian phone numbers and email addresses.
A name inside some other exception message cannot be recognised; that is why Garda's code
puts ids, not values, into its errors and log calls.
"""

import logging
import re

HIDDEN = "[hidden]"

_PATTERNS = (
    # PostgreSQL: the failing row or key of a constraint violation, on its own DETAIL line.
    (re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE), rf"\1 {HIDDEN}"),
    # PostgreSQL: "invalid input syntax for type uuid: "Siti"" and alike.
    (re.compile(r'(for type \w+: )"[^"\n]*"'), rf"\1{HIDDEN}"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), HIDDEN),  # email addresses
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), HIDDEN),  # NIK, No KK
    # Mobile numbers: 0812..., 62812..., +62 812-7788-4321.
    (re.compile(r"(?<![\w+])(?:\+?62[ -]?|0)8\d{1,3}(?:[ -]?\d{3,4}){2}(?!\d)"), HIDDEN),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Masks personal data in a record before any handler writes it.

    The exception is rendered here, masked, into `record.exc_text` (which formatters write
    instead of rendering `exc_info` again), and `exc_info` is dropped so no formatter can
    render the unmasked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
