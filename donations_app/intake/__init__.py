"""The donor's journey: start page, guidelines, the offer form, results and the status page."""

from flask import Blueprint

bp = Blueprint("intake", __name__)
