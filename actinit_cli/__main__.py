"""`python -m actinit_cli` runs the same CLI as the `actinit` script."""

from actinit_cli.entry import main

main()
