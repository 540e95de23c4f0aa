"""P9 verifiable unlearning, first part (circuits/unlearning.md): the provider's request,
the client's registration (data commitment and first lineage record) and its Group-OBS
update. The unlearning proof and lineage verification are not built yet: nothing here
proves or verifies an update."""

__all__: list[str] = []
