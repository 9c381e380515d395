"""How messages write a number of things: '1 check', '2 checks', '0 points' (one place, so none says '1 checks')."""


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('' for none)."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n noun` with the noun in the plural unless n is 1 (`plural` for irregular ones: 'try', 'tries')."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
