"""Managers' reports and reps' commission statements, from the published marts only."""

from publishing.reports.pack import PackSettings, ReportPack, build_report_pack

__all__ = ["PackSettings", "ReportPack", "build_report_pack"]
