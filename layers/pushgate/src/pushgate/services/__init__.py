"""Use cases. Services receive their ports as arguments and never see events or HTTP."""
