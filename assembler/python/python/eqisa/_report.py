"""What ``report`` returns: the CLI's JSON report as a dict, with a table view."""

from __future__ import annotations

from typing import Any


class Report(dict):
    """``eqisa report --json`` as a dict: ``circuits`` (each with its ``encodings``), ``total``,
    the device, the firmware parameters…"""

    def rows(self) -> list[dict[str, Any]]:
        """One row per circuit and encoding: ``circuit``, ``encoding`` and that encoding's
        figures (``bits``, ``link_gbps``, ``energy_j``, ``fidelity_bound``…; nested ones such
        as ``events`` flattened to ``events.link_bits``…), then the totals as circuit
        ``"total"``."""
        out = []
        tables = [(c["file"], c["encodings"]) for c in self.get("circuits", [])]
        if "total" in self:
            tables.append(("total", self["total"]["encodings"]))
        for circuit, encodings in tables:
            for name, figures in encodings.items():
                row: dict[str, Any] = {"circuit": circuit, "encoding": name}
                for key, value in figures.items():
                    if isinstance(value, dict):
                        for k, v in value.items():
                            if not isinstance(v, (dict, list)):
                                row[f"{key}.{k}"] = v
                    elif not isinstance(value, list):
                        row[key] = value
                out.append(row)
        return out

    def to_pandas(self) -> Any:
        """`rows` as a ``pandas.DataFrame`` (pandas must be installed)."""
        try:
            import pandas as pd  # noqa: PLC0415
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Report.to_pandas needs pandas: pip install 'eqisa[pandas]'") from e
        return pd.DataFrame(self.rows())
