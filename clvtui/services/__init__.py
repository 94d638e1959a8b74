"""One function per user job, shared by the CLI and the TUI (which only parse and present)."""
