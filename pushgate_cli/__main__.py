"""`python -m pushgate_cli`: the same as the `pushgate` command."""

from pushgate_cli.app import main

main()
