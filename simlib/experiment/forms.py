"""Fitted effects in several forms: a mixture the parameter draws of a comparison come from.

``simlib calibrate uplift --fit promotion`` fits the dip after a promotion in two forms
(``simlib.promotion.DIP_FORMS``) that a test at one depth cannot tell apart and that part at
another depth; its covariance file lists them under ``forms:``, each with its estimates,
covariance, the effects it holds at a value (``fixed``) and its weight. A draw first picks a
form, in proportion to the weights, then draws that form's estimates from their normal
distribution. Picks are balanced: draw g takes the form at (u0 + g x 0.618...) mod 1 of the
cumulative weights, u0 keyed by the seed, so a handful of draws already holds each form about
as often as its weight says, and draw g still depends only on (seed, g).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ExperimentError

MAX_FORMS = 10
GOLDEN = 0.6180339887498949      # the golden ratio's fractional part: an evenly spread sequence
FORM_KEYS = ("name", "weight", "says", "parameters", "covariance", "fixed", "goodness_of_fit")


@dataclass(frozen=True)
class Form:
    """One form over the mixture's keys: a mean and a covariance (zero where the form holds a key)."""

    name: str
    weight: float
    mean: np.ndarray
    cov: np.ndarray


def read_forms(entries, keys: tuple, source: str, parse_parameters) -> tuple:
    """(keys, forms, low, high) from a ``forms:`` list. ``keys`` are the document's own
    parameters; a key a form holds or fits that is not among them is added; the bounds are the
    tightest any form declares. ``parse_parameters(mapping, where)`` reads a ``parameters:``
    mapping (with ``covariance``) into an ``UncertainParameters``."""
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_FORMS:
        raise ExperimentError(source, "forms", f"expected a list of 1 to {MAX_FORMS} forms, each with name, weight, "
                              "parameters and optionally covariance and fixed")
    parsed = []
    all_keys = list(keys)
    for i, entry in enumerate(entries):
        where = f"forms[{i}]"
        if not isinstance(entry, dict):
            raise ExperimentError(source, where, "expected a mapping with name, weight, parameters")
        for k in entry:
            if k not in FORM_KEYS:
                raise ExperimentError(source, f"{where}.{k}", f"unknown key; allowed: {', '.join(FORM_KEYS)}")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            raise ExperimentError(source, f"{where}.name", "expected a short text naming the form")
        weight = entry.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
            raise ExperimentError(source, f"{where}.weight", f"got {str(weight)[:40]!r}; allowed: a number from 0 to 1")
        fitted = parse_parameters({"parameters": entry.get("parameters"), "covariance": entry.get("covariance")},
                                  f"{source}: {where}")
        fixed = entry.get("fixed") or {}
        if not isinstance(fixed, dict):
            raise ExperimentError(source, f"{where}.fixed", "expected {KEY: value} of the effects the form holds")
        held = {}
        for k, v in fixed.items():
            if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise ExperimentError(source, f"{where}.fixed.{str(k)[:80]}", "expected a dotted key and a number")
            if k in fitted.keys:
                raise ExperimentError(source, f"{where}.fixed.{k}", "the form fits this key; it cannot also hold it")
            held[k] = float(v)
        for k in list(fitted.keys) + list(held):
            if k not in all_keys:
                all_keys.append(k)
        parsed.append((name, float(weight), fitted, held))
    total = sum(w for _, w, _, _ in parsed)
    if total <= 0:
        raise ExperimentError(source, "forms", "every weight is 0: at least one form needs a weight above 0")
    low, high = np.full(len(all_keys), -np.inf), np.full(len(all_keys), np.inf)
    for _, _, fitted, _ in parsed:
        for j, k in enumerate(fitted.keys):
            at = all_keys.index(k)
            low[at], high[at] = max(low[at], fitted.low[j]), min(high[at], fitted.high[j])
    forms = []
    for i, (name, weight, fitted, held) in enumerate(parsed):
        missing = [k for k in all_keys if k not in fitted.keys and k not in held]
        if missing:
            raise ExperimentError(source, f"forms[{i}]", f"form '{name}' neither fits nor holds {missing[0]}: each "
                                  "form says every key of the mixture")
        mean = np.array([held[k] if k in held else fitted.mean[fitted.keys.index(k)] for k in all_keys])
        idx = [all_keys.index(k) for k in fitted.keys]
        cov = np.zeros((len(all_keys), len(all_keys)))
        cov[np.ix_(idx, idx)] = fitted.cov
        forms.append(Form(name, weight / total, mean, cov))
    return tuple(all_keys), tuple(forms), low, high


def mixture_moments(forms) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of the mixture (within-form covariance plus the forms' spread)."""
    w = np.array([f.weight for f in forms])
    means = np.array([f.mean for f in forms])
    mean = w @ means
    cov = sum(f.weight * (f.cov + np.outer(f.mean - mean, f.mean - mean)) for f in forms)
    return mean, cov


def form_of_draw(forms, seed: int, g: int) -> Form:
    """The form draw ``g`` comes from (balanced over draws; see the module docstring)."""
    u0 = np.random.default_rng(np.random.SeedSequence([int(seed), 0xF0C5])).random()
    u = (u0 + g * GOLDEN) % 1.0
    cumulative = np.cumsum([f.weight for f in forms])
    return forms[min(int(np.searchsorted(cumulative, u, side="right")), len(forms) - 1)]


def forms_document(forms, keys, low, high) -> list:
    """The forms as ``to_plain`` stores them (every key a parameter; a held one with std_error 0)."""
    out = []
    for f in forms:
        params = {}
        for j, k in enumerate(keys):
            entry = {"estimate": float(f.mean[j]), "std_error": float(np.sqrt(max(f.cov[j, j], 0.0)))}
            if np.isfinite(low[j]):
                entry["low"] = float(low[j])
            if np.isfinite(high[j]):
                entry["high"] = float(high[j])
            params[k] = entry
        out.append({"name": f.name, "weight": float(f.weight), "parameters": params,
                    "covariance": [[float(v) for v in row] for row in f.cov]})
    return out
