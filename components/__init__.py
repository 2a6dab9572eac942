"""NiceGUI building blocks: frame, tables, badges, log panes."""
