"""`python -m actinit_cli` runs the same CLI as the `actinit` script."""

from actinit_cli.cli import main

main()
