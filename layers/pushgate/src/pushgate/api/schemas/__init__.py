"""Request and response bodies, in CI-J's PascalCase."""
