"""What ``report`` returns: the CLI's JSON report as a dict, with a table view."""

from __future__ import annotations

from typing import Any


class Report(dict):
    """``eqisa report --json`` as a dict: ``circuits`` (each with its ``encodings``), ``total``,
    the device, the firmware parameters…"""

    def rows(self) -> list[dict[str, Any]]:
        """One row per circuit and encoding: ``circuit``, ``encoding`` and that encoding's
        figures (bits, Gb/s, energy, fidelity…)."""
        out = []
        for c in self.get("circuits", []):
            for e in c["encodings"]:
                out.append({"circuit": c["file"], **e})
        return out

    def to_pandas(self) -> Any:
        """`rows` as a ``pandas.DataFrame`` (pandas must be installed)."""
        try:
            import pandas as pd  # noqa: PLC0415
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Report.to_pandas needs pandas: pip install 'eqisa[pandas]'") from e
        return pd.DataFrame(self.rows())
