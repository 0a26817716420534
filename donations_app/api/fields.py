"""Marshmallow field types for offers: human error messages, no control characters."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from email_validator import EmailNotValidError, validate_email
from marshmallow import ValidationError, fields

from donations_app.clock import utctoday
from donations_app.text import TextProblem, clean_text

MAX_SERIAL_NUMBERS = 10_000
MAX_SERIAL_LENGTH = 100


class Text(fields.String):
    """Text without control characters, stripped; an empty optional answer counts as absent."""

    def __init__(
        self,
        *,
        max_length: int,
        min_length: int = 0,
        multiline: bool = False,
        too_long: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.min_length = min_length
        self.max_length = max_length
        self.multiline = multiline
        self.too_long = too_long

    def _deserialize(  # type: ignore[override]  # a blank answer loads as None, unlike String
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str | None:
        try:
            text = clean_text(
                super()._deserialize(value, attr, data, **kwargs), multiline=self.multiline
            )
        except TextProblem as problem:
            raise ValidationError(str(problem)) from None
        if not text:
            if self.min_length:
                raise self.make_error("required")
            return None
        if len(text) > self.max_length:
            raise ValidationError(
                self.too_long or f"Enter {self.max_length:,} characters or fewer."
            )
        return text


class Choice(Text):
    """One value from a fixed list; the message names the list."""

    def __init__(self, choices: tuple[str, ...], *, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", max((len(c) for c in choices), default=1))
        super().__init__(**kwargs)
        self.choices = choices
        self.message = message

    def _deserialize(  # type: ignore[override]  # a blank answer loads as None, as in Text
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str | None:
        if isinstance(value, str) and value.strip() not in self.choices:
            raise ValidationError(f"{self.message}: {', '.join(self.choices)}.")
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(fields.Field):
    """A whole number in a range; numeric text like "12" is accepted, 1.5 and true are not."""

    def __init__(
        self, *, minimum: int, maximum: int, message: str, unit: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.message, self.unit = minimum, maximum, message, unit

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, Decimal | float):
            number = _integral(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,12}\s*", value):
            number = int(value)
        if number is None or not self.minimum <= number <= self.maximum:
            raise ValidationError(self.message)
        return number


def _integral(value: Decimal | float) -> int | None:
    """The whole number a JSON number like 12 or 12.0 stands for; None for 1.5, NaN or 1E+400.

    The magnitude is checked first, without arithmetic: `Decimal("1E+400") % 1` raises
    InvalidOperation, and `abs(Decimal("1e999999999"))` overflows the decimal context.
    """
    if isinstance(value, Decimal):
        if not value.is_finite() or (value and value.adjusted() >= 12):
            return None
    elif value != value or abs(value) >= 10**12:  # NaN, infinities and numbers too big to count
        return None
    return int(value) if value == int(value) else None


class Amount(fields.Field):
    """A number in a range with at most two decimal places (money, a weight, a length...)."""

    def __init__(
        self, *, minimum: Decimal, maximum: Decimal, unit: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.minimum, self.maximum, self.unit = minimum, maximum, unit

    def _beyond(self, bound: Decimal, side: str) -> str:
        unit = f", in {self.unit}" if self.unit else ""
        return f"Enter a value of {bound:,} or {side}{unit}."

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        not_a_number = "Enter the value as a number, like 350.00."
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValidationError(not_a_number)
        try:
            amount = Decimal(
                str(value).strip().replace(",", "")
                if isinstance(value, str)
                else (str(value) if isinstance(value, float) else value)
            )
        except (InvalidOperation, ValueError):
            raise ValidationError(not_a_number) from None
        if not amount.is_finite():
            raise ValidationError(not_a_number)
        if amount < self.minimum:
            raise ValidationError(self._beyond(self.minimum, "more"))
        if amount > self.maximum:
            raise ValidationError(self._beyond(self.maximum, "less"))
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("Enter the value with no more than 2 decimal places.")
        return amount.quantize(Decimal("0.01"))


def earliest_not_past() -> dt.date:
    """The earliest date that is not in the past anywhere in the United States: yesterday in UTC
    (when it is already tomorrow in UTC, it is still today from Hawaii to the East Coast)."""
    return utctoday() - dt.timedelta(days=1)


class Day(fields.Date):
    """A calendar date written YYYY-MM-DD (a `datetime.date` is accepted as is)."""

    def __init__(
        self,
        *,
        label: str,
        past_only: bool = False,
        not_past: bool = False,
        earliest: dt.date | None = None,
        latest: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        message = f"Enter {label} as a real date in the format YYYY-MM-DD, like 2026-03-31."
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", message)
        super().__init__(**kwargs)
        self.label, self.past_only, self.not_past = label, past_only, not_past
        self.earliest, self.latest = earliest, latest

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            raise self.make_error("invalid")
        if isinstance(value, dt.date):
            day = value
        else:
            if not isinstance(value, str):
                raise self.make_error("invalid")
            day = super()._deserialize(value.strip(), attr, data, **kwargs)
        if self.past_only and day > utctoday():
            raise ValidationError(f"Enter {self.label} that is not in the future.")
        if self.not_past and day < earliest_not_past():
            raise ValidationError(f"Enter {self.label} as today or a later date.")
        if (self.earliest and day < self.earliest) or (self.latest and day > self.latest):
            raise ValidationError(
                f"Enter {self.label} as a date between "
                f"{(self.earliest or dt.date.min).isoformat()} and "
                f"{(self.latest or dt.date.max).isoformat()}."
            )
        return day


class YesNo(fields.Boolean):
    """true or false (the text "true"/"false" too, as HTML forms send)."""

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault("invalid", message)
        super().__init__(truthy={True, "true"}, falsy={False, "false"}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool | str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class SerialNumbers(fields.Field):
    """A list of short serial numbers; blank entries are dropped."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise ValidationError("Enter the serial numbers as a list of text values.")
        if len(value) > MAX_SERIAL_NUMBERS:
            raise ValidationError(f"Enter {MAX_SERIAL_NUMBERS:,} serial numbers or fewer.")
        entry = Text(
            max_length=MAX_SERIAL_LENGTH,
            too_long=f"Enter serial numbers of {MAX_SERIAL_LENGTH} characters or fewer.",
            error_messages={"invalid": "Enter each serial number as text."},
        )
        serials, errors = [], {}
        for index, raw in enumerate(value):
            try:
                serial = entry.deserialize(raw)
            except ValidationError as error:
                errors[index] = error.messages
                continue
            if serial:
                serials.append(serial)
        if errors:
            raise ValidationError(errors)
        return serials


class Email(Text):
    """An e-mail address checked with email-validator (syntax only), normalised."""

    def _deserialize(  # type: ignore[override]  # a blank answer loads as None, as in Text
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.gov."
            ) from None
