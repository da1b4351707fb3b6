"""CSV as the lab's csv.ts reads it (RFC 4180): quoted fields may hold commas, quotes and line
breaks; records end at \n, \r\n or \r; a leading byte-order mark and blank lines are skipped.
Python's csv module differs on stray quotes and bare \r, so the lab's reader is followed here."""


def parse_csv(text: str) -> list[tuple[int, list[str]]]:
    """(line where the record starts, its cells) per record."""
    records: list[tuple[int, list[str]]] = []
    cells: list[str] = []
    cell: list[str] = []
    quoted = False
    line = 1
    record_line = 1
    i = 1 if text[:1] == "\ufeff" else 0

    def end_record() -> None:
        cells.append("".join(cell))
        if not (len(cells) == 1 and cells[0] == ""):
            records.append((record_line, list(cells)))
        cells.clear()
        cell.clear()

    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"':
                if text[i + 1:i + 2] == '"':
                    cell.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                if ch == "\n":
                    line += 1
                cell.append(ch)
        elif ch == '"' and not cell:
            quoted = True
        elif ch == ",":
            cells.append("".join(cell))
            cell.clear()
        elif ch in "\n\r":
            if ch == "\r" and text[i + 1:i + 2] == "\n":
                i += 1
            end_record()
            line += 1
            record_line = line
        else:
            cell.append(ch)
        i += 1
    if quoted:
        raise ValueError("a quoted field opened on line %d never closes" % record_line)
    if cell or cells:
        end_record()
    return records
