"""Table cells the history tables share (Quasar body-cell slots; values are rendered as text, never as HTML)."""

from __future__ import annotations

# A run id as a link to its detail page, a dash when the row has no run.
RUN_LINK_CELL = """
<q-td :props="props">
  <a v-if="props.value" :href="'/runs/' + props.value" class="font-mono text-primary"
     :data-history-run="props.value">#{{ props.value }}</a>
  <span v-else class="opacity-50">—</span>
</q-td>
"""


def wrapped_text_cell(classes: str, max_width: str) -> str:
    """A cell whose text keeps its line breaks and wraps anywhere, at most `max_width` wide (errors, details)."""
    return f"""
<q-td :props="props">
  <div class="{classes}" style="white-space: pre-wrap; word-break: break-word; max-width: {max_width}"
  >{{{{ props.value }}}}</div>
</q-td>
"""
