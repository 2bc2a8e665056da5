"""The write side's use cases: one small handler per command, run by `commands.runner`."""
