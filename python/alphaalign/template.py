"""The AlphaAlign template (template.ts): the instructions put before the user's prompt."""
from .jstext import from_units, to_units
from .settings import Settings


def render_prompt(settings: Settings, prompt: str) -> str:
    """The template with every {{prompt}} replaced by the prompt, taken literally (no backslash escapes)."""
    units = settings.placeholder.sub(lambda _match: to_units(prompt), settings.template)
    return from_units(units)
