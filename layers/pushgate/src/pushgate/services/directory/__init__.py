"""The directory of contacts, leads and profiles, app-user links and the public resolve."""
