"""`python -m app.cli`: the `homelab` command without the installed script."""

from app.cli import main

raise SystemExit(main())
