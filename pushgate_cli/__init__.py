"""The operator CLI (`pushgate`): every operator route of the API from a terminal.

A development and operations tool, installed with the workspace (`make bootstrap`); it is never
part of the Lambda layer. `app` holds the Typer application, `client` the one place that builds,
signs and sends requests, `commands/` one module per resource.
"""
