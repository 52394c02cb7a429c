"""Labeled CSVs for training and evaluation: any file, with the text and label columns named."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from socialcare.errors import InputError


class DatasetError(InputError):
    pass


@dataclass(frozen=True)
class Labeled:
    texts: list[str]
    labels: list[str]
    skipped: int  # rows without a label


def read_labeled(path: Path, text_column: str, label_column: str) -> Labeled:
    try:
        fh = path.open(newline="", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        for name in (text_column, label_column):
            if name not in columns:
                raise DatasetError(f"{path}: no column {name!r}; columns: {', '.join(columns)}")
        texts, labels, skipped = [], [], 0
        try:
            for row in reader:
                label = (row.get(label_column) or "").strip()
                if not label:
                    skipped += 1
                    continue
                texts.append(row.get(text_column) or "")
                labels.append(label)
        except csv.Error as exc:
            raise DatasetError(f"{path}: unreadable CSV at line {reader.line_num}: {exc}") from None
    if not texts:
        raise DatasetError(f"{path}: no labeled rows in column {label_column!r}")
    return Labeled(texts, labels, skipped)
