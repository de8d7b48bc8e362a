"""The statistics pages' tables, made from the figures of `services.alerts.statistics`: each is a
table of numbers (rendered as HTML and as CSV, the same rows) and how to chart some of its
columns. The browser draws the chart from the table itself (`static/charts.mjs`), so a chart can
only ever show the numbers beside it. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rollwatch.core.csv_safe import csv_text

Cell = int | float | str | None


@dataclass(frozen=True)
class Chart:
    """`series`: the columns drawn, by index (the first column labels the bars)."""

    series: tuple[int, ...]
    stacked: bool = False
    horizontal: bool = False
    average: float | None = None  # a marked line across the bars (the LA average)
    average_label: str = ""
    highlight: int | None = None  # a "Yes"/"No" column: rows with "Yes" drawn apart (the flag)
    highlight_label: str = ""
    percent: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]
    chart: Chart | None = None
    note: str = ""
    links: list[str | None] = field(default_factory=list)  # per row, for its first cell

    @property
    def numeric(self) -> list[bool]:
        return [
            index > 0 and all(not isinstance(row[index], str) for row in self.rows)
            for index in range(len(self.columns))
        ]

    def alt(self) -> str:
        """The chart's text alternative: what it shows, its largest values, where the numbers are."""
        if self.chart is None:
            return ""
        drawn = ", ".join(self.columns[i].lower() for i in self.chart.series)
        shape = "Horizontal bar chart" if self.chart.horizontal else "Bar chart"
        words = f"{shape} of {drawn} by {self.columns[0].lower()}."
        if not self.rows:
            return words + " There is nothing to show for this period."
        first = self.chart.series[0]
        top = sorted(self.rows, key=lambda row: -(_number(row[first])))[:3]
        listed = "; ".join(f"{row[0]}: {_shown(row[first])}" for row in top)
        average = (
            f" {self.chart.average_label}: {self.chart.average:g}." if self.chart.average is not None else ""
        )
        return (
            f"{words} Highest {self.columns[first].lower()}: {listed}.{average} Every number is in the table."
        )

    def csv(self) -> str:
        # Through the one CSV writer, which neutralises formula-like cells (a school's name may be one).
        return csv_text(self.columns, (dict(zip(self.columns, row, strict=False)) for row in self.rows))


def _number(cell: Cell) -> float:
    return float(cell) if isinstance(cell, int | float) else 0.0


def _shown(cell: Cell) -> str:
    return "" if cell is None else f"{cell:g}" if isinstance(cell, float) else str(cell)


def month_words(month: str) -> str:
    """'2025-09' as 'Sep 2025'."""
    return dt.date.fromisoformat(f"{month}-01").strftime("%b %Y")


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def dashboard_tables(figures: dict[str, Any]) -> list[Table]:
    by_school = figures["unexplained_by_school"]
    threshold = by_school["threshold"]
    flag = f"Over {threshold['min_pupils']} pupils and {threshold['min_percent_of_roll']:g}% of roll"
    average = by_school["la_average"]
    months = figures["exits_by_month"]["months"]
    alerts = figures["open_alerts"]
    ap = figures["ap_placements"]
    return [
        Table(
            "unexplained_by_school",
            "Unexplained exits by school",
            ("School", "Unexplained exits", "All exits", "Roll", "Unexplained as % of roll", flag),
            [
                (
                    s["name"] or f"URN {s['urn']}",
                    s["unexplained"],
                    s["exits"],
                    s["roll"],
                    s["unexplained_percent_of_roll"],
                    _yes(s["over_threshold"]),
                )
                for s in by_school["schools"]
            ],
            Chart(
                (1,),
                horizontal=True,
                average=average,
                average_label="LA average per school",
                highlight=5,
                highlight_label=flag,
            ),
            note=(
                f"Schools with at least one unexplained exit, most first. LA average: {average:g} "
                f"unexplained exits per school ({by_school['schools_averaged']} schools: those open, and "
                f"closed ones with exits in the period). {by_school['schools_over_threshold']} "
                f"{'school is' if by_school['schools_over_threshold'] == 1 else 'schools are'} over the "
                "flag in this period (the school exit pattern alert looks at 12 months)."
                if average is not None
                else "No school of this LA is in the register for this filter."
            ),
            links=[
                f"/schools/{s['urn']}?from={figures['from']}&to={figures['to']}" for s in by_school["schools"]
            ],
        ),
        Table(
            "exits_by_month",
            "Exits by month, against a year earlier",
            ("Month", "Exits", "Unexplained", "Exits a year earlier", "Unexplained a year earlier"),
            [
                (
                    month_words(m["month"]),
                    m["exits"],
                    m["unexplained"],
                    m["year_before"]["exits"],
                    m["year_before"]["unexplained"],
                )
                for m in months
            ],
            Chart((1, 3)),
            note="A year earlier: the same months of the year before "
            f"({figures['exits_by_month']['year_before']['from']} to "
            f"{figures['exits_by_month']['year_before']['to']}).",
        ),
        Table(
            "year_10_11",
            "Year 10 and 11 exits",
            ("Year group", "Exits", "Explained", "Unexplained"),
            [
                (f"Year {y['year_group']}", y["exits"], y["explained"], y["unexplained"])
                for y in figures["year_10_11"]
            ],
            Chart((2, 3), stacked=True),
            note="Pupils leaving in their GCSE years (the exam cohort EPI and Ofsted watch).",
        ),
        Table(
            "home_education_by_sen",
            "Deletions to home education, by SEN provision",
            ("SEN provision", "Deletions to home education"),
            [(row["label"], row["deletions"]) for row in figures["home_education_by_sen"]],
            Chart((1,)),
        ),
        Table(
            "ap_placements",
            "Alternative provision placements",
            ("Placements", "Number"),
            [("Open", ap["open"]), ("Open with review overdue", ap["review_overdue"])],
            Chart((1,)),
            note=f"Placements the LA's schools arranged that no end is recorded for, on {ap['as_of']} "
            "(whatever the period).",
        ),
        Table(
            "open_alerts",
            "Open alerts by rule and by age",
            ("Rule", "Open alerts", *alerts["age_bands"]),
            [
                (r["title"], r["total"], *(r["by_age"][band] for band in alerts["age_bands"]))
                for r in alerts["by_rule"]
            ],
            Chart(tuple(range(2, 2 + len(alerts["age_bands"]))), stacked=True, horizontal=True),
            note=f"Open or acknowledged alerts on {alerts['as_of']}, by days since they were raised "
            "(whatever the period).",
        ),
    ]


def school_tables(figures: dict[str, Any]) -> list[Table]:
    split = ("Exits", "Explained", "Unexplained")
    roll = figures["roll"]
    return [
        Table(
            "exits_by_month",
            "Exits by month",
            ("Month", *split),
            [
                (month_words(m["month"]), m["exits"], m["explained"], m["unexplained"])
                for m in figures["exits_by_month"]
            ],
            Chart((2, 3), stacked=True),
        ),
        Table(
            "exits_by_ground",
            "Exits by ground",
            ("Ground", *split),
            [(g["label"], g["exits"], g["explained"], g["unexplained"]) for g in figures["exits_by_ground"]],
            Chart((2, 3), stacked=True, horizontal=True),
        ),
        Table(
            "exits_by_year_group",
            "Exits by year group",
            ("Year group", *split),
            [
                (_year(y["year_group"]), y["exits"], y["explained"], y["unexplained"])
                for y in figures["exits_by_year_group"]
            ],
            Chart((2, 3), stacked=True),
        ),
        Table(
            "sen",
            "SEN provision: exits against the roll",
            (
                "SEN provision",
                "Exits",
                "% of exits",
                "Unexplained exits",
                "% of unexplained exits",
                "On roll",
                "% of roll",
            ),
            [
                (
                    s["label"],
                    s["exits"],
                    s["percent_of_exits"],
                    s["unexplained"],
                    s["percent_of_unexplained"],
                    s["on_roll"],
                    s["percent_of_roll"],
                )
                for s in figures["sen"]
            ],
            Chart((2, 4, 6), percent=True),
            note=f"The roll is the {roll['total']} pupils Rollwatch has on roll at the school now "
            f"({roll['send']} with SEN support or an EHC plan), as the school's records sent so far "
            "show it.",
        ),
    ]


def _year(year_group: int) -> str:
    return {-2: "Nursery 1", -1: "Nursery 2", 0: "Reception"}.get(year_group, f"Year {year_group}")


def table_named(tables: Sequence[Table], key: str) -> Table | None:
    return next((table for table in tables if table.key == key), None)
