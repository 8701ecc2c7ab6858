"""Managers' reports and reps' commission statements, from the published marts only."""

from reportlab import rl_config

# Set before ReportLab's graphics load, which is when it takes effect in full: shapes and chart widgets then
# skip the type check of every attribute set (~10 % of a manager report), which our fixed chart code does not
# need at run time (the tests draw every chart).
rl_config.shapeChecking = 0

from publishing.reports.pack import PackSettings, ReportPack, build_report_pack  # noqa: E402

__all__ = ["PackSettings", "ReportPack", "build_report_pack"]
